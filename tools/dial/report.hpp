// tools/dial/report.hpp: one timed connect and the aligned table its outcome is printed in.
#pragma once

#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "dial/sys.hpp"

namespace dial::cli {

/// What one attempt came to: "Connected" or the specification's name of the error, the raw OS
/// code behind it, and how long the call took.
struct outcome {
  bool connected = false;
  std::string_view name;  ///< "Connected", or dial::name of the error
  int native = 0;         ///< errno behind the error (dial::last_native_error); 0 on success
  std::optional<std::chrono::nanoseconds> elapsed;  ///< of the connect call; none if not made
  /// The spelling of `native` when it is not an errno (a resolver's code: "ARES_ENOTFOUND").
  std::string_view native_name{};
};

/// Flushes standard output (each row is shown as soon as it is known) and remembers the errno
/// of the first flush that failed, for flush_error().
void flush_output() noexcept;

/// The errno of the first failed flush_output, or 0.
[[nodiscard]] int flush_error() noexcept;

/// Runs dial::connect once and times it.
[[nodiscard]] outcome timed_connect(socket_t s, const sockaddr* addr, socklen_t len) noexcept;

/// The outcome of a socket() that failed, so no connect was made.
[[nodiscard]] outcome socket_failed(socket_error e) noexcept;

/// "ECONNREFUSED (111)"; "-" for 0. With `name` (a resolver's code): "ARES_ENOTFOUND (4)".
[[nodiscard]] std::string code_text(int native, std::string_view name = {});

/// "52 µs", "1.25 ms", "2.003 s"; "-" for none.
[[nodiscard]] std::string time_text(std::optional<std::chrono::nanoseconds> t);

/// One line of output: the target as the user reads it, its outcome, an optional note.
struct row {
  std::string target;
  outcome result;
  std::string note;    ///< the demo says what each fixture is; probes leave it empty
  std::string peer{};  ///< the address connected to (or whose failure this is); "-" for none
};

/// Prints rows under a header, columns aligned: TARGET [PEER] OUTCOME CODE TIME [NOTE]. The
/// widths are fixed up front so that rows can be printed (and flushed) as soon as each attempt
/// ends.
class table {
 public:
  /// `targets` sizes the first column; `with_note` adds the NOTE column; a `peer_width` other
  /// than 0 adds the PEER column, that wide (a longer peer pushes the rest of its row right).
  table(std::span<const std::string> targets, bool with_note, std::size_t peer_width = 0);
  void header() const;
  void print(const row& r) const;

 private:
  [[nodiscard]] std::string peer_cell(std::string_view peer) const;
  std::size_t target_width_;
  std::size_t outcome_width_;
  bool with_note_;
  std::size_t peer_width_;
};

}  // namespace dial::cli
