// tools/dial/progress.hpp: the scan's watcher thread: Ctrl-C, and the progress bar on stderr.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <stop_token>
#include <string>
#include <thread>

namespace dial::cli {

/// Blocks SIGINT and SIGTERM in the calling thread, so that every thread started after it (the
/// engine's) inherits the mask and only scan_monitor's sigtimedwait sees them. Call it before
/// the engine is created.
void block_stop_signals() noexcept;

/// The total of a scan whose targets are counted only at the end (an input streamed from a pipe).
inline constexpr std::size_t unknown_total = static_cast<std::size_t>(-1);

/// Renders one progress line: "[=====>    ]  12345/65535  19%  45.1k/s  ETA 1.2 s", at most
/// `width` columns: the bar shrinks (from 50 cells to 10), then goes, then the rest is cut. For
/// `total` unknown_total there is no bar, percentage or ETA: "12345 done  45.1k/s".
[[nodiscard]] std::string progress_line(std::size_t done, std::size_t total,
                                        std::chrono::nanoseconds elapsed, std::size_t width);

/// While a scan runs: turns SIGINT/SIGTERM into a stop request (a second one exits at once with
/// status 130) and, when `draw` is set, redraws the progress bar on stderr ten times a second.
class scan_monitor {
 public:
  /// `done` is the count of results so far; the monitor only reads it. `total` may be
  /// unknown_total.
  scan_monitor(std::size_t total, bool draw, std::stop_source stop,
               const std::atomic<std::size_t>& done);
  scan_monitor(const scan_monitor&) = delete;
  scan_monitor& operator=(const scan_monitor&) = delete;
  /// Same as finish().
  ~scan_monitor();

  /// Stops the thread; draws the final state and erases the bar, so the next output starts on
  /// a clean line. Idempotent.
  void finish();
  /// Whether a signal asked the scan to stop.
  [[nodiscard]] bool interrupted() const noexcept { return interrupted_.load(); }

 private:
  void run(std::stop_token quit);
  void draw() const;

  std::size_t total_;
  bool draw_;
  std::stop_source stop_;
  const std::atomic<std::size_t>& done_;
  std::chrono::steady_clock::time_point start_;
  std::atomic<bool> interrupted_{false};
  std::jthread thread_;
};

}  // namespace dial::cli
