// tools/dial/scan_output.hpp: what `dial scan` prints: results as they come, then a summary.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <span>
#include <stop_token>
#include <string>
#include <vector>

#include "dial/engine.hpp"
#include "targets.hpp"

namespace dial::cli {

/// How the scan ran, for the header and the summary.
struct scan_setup {
  engine_backend backend = engine_backend::automatic;  ///< the back-end actually running
  unsigned threads = 0;                                ///< the engine's threads
  std::size_t concurrency = 0;                         ///< connects in flight at most
  std::chrono::milliseconds timeout{0};                ///< per-connect deadline
  std::size_t targets = 0;                             ///< targets asked for
  double rate = 0;                                     ///< connects started per second; 0: no cap
  std::string options{};  ///< the connect options in force ("interface lo, nodelay"); "" none
};

/// How the scan ended.
struct scan_end {
  std::size_t results = 0;           ///< results delivered
  std::chrono::nanoseconds elapsed;  ///< wall-clock time of engine::run
  bool interrupted = false;          ///< a signal stopped it
};

/// Collects results (and, with --json, prints one NDJSON line each as it arrives). The engine
/// serialises on_result, so nothing here is locked; `done` is read by the progress bar. The scan
/// runs in chunks (one engine::run each); begin_chunk says where each starts.
class scan_sink final : public engine_sink {
 public:
  /// `json`: print each result on stdout as it arrives; a write that fails (a full disk, a
  /// closed pipe with SIGPIPE ignored) requests `stop`, since nothing more can be reported.
  /// `show_closed`: the report lists refused targets too.
  scan_sink(bool json, bool show_closed, std::stop_source stop);
  /// The next run() gets targets base .. base + size - 1 of the plan. Room for `size` more open
  /// and listed targets is taken now, so that on_result never allocates (it must not throw
  /// std::bad_alloc).
  void begin_chunk(std::uint64_t base, std::size_t size);
  void on_result(const engine_result& r) override;

  /// Results so far, over every chunk (read by the progress bar on another thread).
  std::atomic<std::size_t> done{0};

  /// Prints the human report: open targets in target order (with their /etc/services name);
  /// every target neither open nor refused (Timeout and the unreachables first, then the
  /// others, each group in target order; then the refused ones with --show closed), each with
  /// its outcome; outcome counts, elapsed time.
  void print_report(const scan_setup& setup, const scan_end& end);
  /// Prints the final NDJSON summary object.
  void print_json_summary(const scan_setup& setup, const scan_end& end) const;
  /// How many targets were open.
  [[nodiscard]] std::size_t open_count() const noexcept { return open_.size(); }

 private:
  // The target itself is kept, not only its index: a streamed input (-i) forgets each chunk's
  // targets once they are scanned.
  struct open_target {
    std::uint64_t index;  ///< into the plan
    std::chrono::nanoseconds elapsed;
    address target;
  };
  struct listed_target {  ///< a target the NOT OPEN list shows
    std::uint64_t index;  ///< into the plan
    std::uint8_t outcome;
    address target;
  };
  void print_not_open();

  bool json_;
  bool show_closed_;
  bool write_failed_ = false;  ///< a JSON line could not be written: the scan is stopping
  std::stop_source stop_;
  std::uint64_t base_ = 0;                     ///< the plan index of the chunk's first target
  std::array<std::size_t, 256> by_outcome_{};  ///< [0]: Connected, [id]: error_id id
  std::vector<listed_target> not_open_;        ///< neither open nor (without --show) refused
  std::size_t self_connects_ = 0;
  std::vector<open_target> open_;
};

/// The header line: what is scanned and how.
void print_scan_header(const scan_setup& setup, std::string_view what);

/// "Connected", or the error's name.
[[nodiscard]] std::string_view outcome_name(std::size_t outcome_index) noexcept;

}  // namespace dial::cli
