// tools/dial/scan_output.hpp: what `dial scan` prints: results as they come, then a summary.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <span>
#include <string>
#include <vector>

#include "dial/engine.hpp"

namespace dial::cli {

/// How the scan ran, for the header and the summary.
struct scan_setup {
  engine_backend backend = engine_backend::automatic;  ///< the back-end actually running
  unsigned threads = 0;                                ///< the engine's threads
  std::size_t concurrency = 0;                         ///< connects in flight at most
  std::chrono::milliseconds timeout{0};                ///< per-connect deadline
  std::size_t targets = 0;                             ///< targets asked for
};

/// How the scan ended.
struct scan_end {
  std::size_t results = 0;           ///< results delivered
  std::chrono::nanoseconds elapsed;  ///< wall-clock time of engine::run
  bool interrupted = false;          ///< a signal stopped it
};

/// Collects results (and, with --json, prints one NDJSON line each as it arrives). The engine
/// serialises on_result, so nothing here is locked; `done` is read by the progress bar.
class scan_sink final : public engine_sink {
 public:
  /// `json`: print each result on stdout as it arrives. Room for `targets` open ones is taken
  /// now, so that on_result never allocates for them (it must not throw std::bad_alloc).
  scan_sink(bool json, std::size_t targets) : json_(json) { open_.reserve(targets); }
  void on_result(const engine_result& r) override;

  /// Results so far (read by the progress bar on another thread).
  std::atomic<std::size_t> done{0};

  /// Prints the human report: open targets (of `targets`, the span given to run()) in target
  /// order, outcome counts, elapsed time.
  void print_report(const scan_setup& setup, const scan_end& end, std::span<const address> targets);
  /// Prints the final NDJSON summary object.
  void print_json_summary(const scan_setup& setup, const scan_end& end) const;
  /// How many targets were open.
  [[nodiscard]] std::size_t open_count() const noexcept { return open_.size(); }

 private:
  struct open_target {
    std::size_t index;  ///< into the targets given to run()
    std::chrono::nanoseconds elapsed;
  };
  bool json_;
  std::array<std::size_t, 256> by_outcome_{};  ///< [0]: Connected, [id]: error_id id
  std::size_t self_connects_ = 0;
  std::vector<open_target> open_;
};

/// The header line: what is scanned and how.
void print_scan_header(const scan_setup& setup, std::string_view what);

/// "Connected", or the error's name.
[[nodiscard]] std::string_view outcome_name(std::size_t outcome_index) noexcept;

}  // namespace dial::cli
