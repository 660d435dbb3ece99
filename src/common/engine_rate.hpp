// src/common/engine_rate.hpp: engine_options::rate, the start schedule every engine thread shares
// (Linux and Windows).
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>

#include "dial/dialer.hpp"

namespace dial::detail::eng {

/// Connects started per second at most, over all threads: a generic cell rate algorithm on one
/// atomic, the theoretical time of the next start. A start may run at most `burst` ahead of that
/// schedule, so in any window of W seconds at most rate x (W + burst) + 1 connects start.
class start_rate {
 public:
  /// 0: no limit. Otherwise rate > 0 (engine::create checks it): starts per second.
  void set(double rate, std::chrono::nanoseconds burst = std::chrono::milliseconds(10)) noexcept {
    interval_ns_ = rate > 0 ? std::max<std::int64_t>(1, std::llround(1e9 / rate)) : 0;
    burst_ns_ = burst.count();
  }

  /// Whether one more connect may start now; otherwise `until` is when it may.
  bool admit(deadline_clock::time_point& until) noexcept {
    if (interval_ns_ == 0) return true;
    const std::int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                 deadline_clock::now().time_since_epoch())
                                 .count();
    std::int64_t s = schedule_ns_.load(std::memory_order_relaxed);
    for (;;) {  // retried only when another thread took a start in between
      const std::int64_t t = std::max(s, now);
      if (t - now > burst_ns_) {
        until = deadline_clock::time_point(std::chrono::duration_cast<deadline_clock::duration>(
            std::chrono::nanoseconds(t - burst_ns_)));
        return false;
      }
      if (schedule_ns_.compare_exchange_weak(s, t + interval_ns_, std::memory_order_relaxed))
        return true;
    }
  }

 private:
  std::int64_t interval_ns_ = 0;
  std::int64_t burst_ns_ = 0;
  std::atomic<std::int64_t> schedule_ns_{0};
};

/// Whether `rate` is one engine_options::rate accepts: finite and >= 0.
[[nodiscard]] inline bool valid_rate(double rate) noexcept {
  return std::isfinite(rate) && rate >= 0;
}

}  // namespace dial::detail::eng
