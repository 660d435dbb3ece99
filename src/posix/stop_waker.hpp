// src/posix/stop_waker.hpp: a descriptor that polls readable once a std::stop_token is triggered.
#pragma once

#include <fcntl.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/eventfd.h>
#endif

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdint>
#include <optional>
#include <stop_token>

#include "dial/resolve.hpp"

namespace dial::detail {

/// Milliseconds from now to `deadline`, rounded up so that a poll never wakes before it.
inline int ms_until(deadline_clock::time_point deadline) noexcept {
  if (deadline == deadline_clock::time_point::max()) return -1;
  const auto left =
      std::chrono::ceil<std::chrono::milliseconds>(deadline - deadline_clock::now()).count();
  return static_cast<int>(std::clamp<decltype(left)>(left, 0, INT_MAX));
}

/// Makes cancellation part of a poll set: fd() becomes readable when the stop token is triggered.
/// Only made when cancellation is possible. If no descriptor can be had (EMFILE, ENFILE),
/// fd() is -1 and error() says why; callers then poll in slices of `fallback_slice` instead, so
/// a stop is still noticed within that time.
class stop_waker {
 public:
  /// The longest a poll may sleep when the waker has no descriptor.
  static constexpr int fallback_slice_ms = 10;

  explicit stop_waker(const std::stop_token& stop) noexcept {
    if (!stop.stop_possible()) return;
#ifdef __linux__
    read_ = write_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
#else
    int p[2];
    if (::pipe(p) == 0) {
      read_ = p[0];
      write_ = p[1];
      ::fcntl(read_, F_SETFD, FD_CLOEXEC);
      ::fcntl(write_, F_SETFD, FD_CLOEXEC);
      ::fcntl(write_, F_SETFL, O_NONBLOCK);
    }
#endif
    if (read_ < 0) {
      error_ = errno;
      return;
    }
    callback_.emplace(stop, wake{write_});
  }
  ~stop_waker() {
    callback_.reset();  // first: the callback must not write to a closed descriptor
    if (read_ >= 0) ::close(read_);
    if (write_ >= 0 && write_ != read_) ::close(write_);
  }
  stop_waker(const stop_waker&) = delete;
  stop_waker& operator=(const stop_waker&) = delete;

  /// The descriptor to poll for POLLIN, or -1 (none needed, or none available).
  [[nodiscard]] int fd() const noexcept { return read_; }
  /// The errno that kept the descriptor from being made (0: none).
  [[nodiscard]] int error() const noexcept { return error_; }
  /// The poll timeout to use for `deadline`: capped to a slice when a stop cannot wake the poll.
  [[nodiscard]] int timeout_ms(deadline_clock::time_point deadline) const noexcept {
    const int ms = ms_until(deadline);
    if (error_ == 0) return ms;
    return ms < 0 ? fallback_slice_ms : std::min(ms, fallback_slice_ms);
  }

 private:
  struct wake {
    int fd;
    void operator()() const noexcept {
      const std::uint64_t one = 1;
      [[maybe_unused]] auto n = ::write(fd, &one, sizeof one);  // full or closed: already woken
    }
  };
  int read_ = -1;
  int write_ = -1;
  int error_ = 0;
  std::optional<std::stop_callback<wake>> callback_;
};

}  // namespace dial::detail
