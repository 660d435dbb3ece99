// src/common/dialer_os.hpp: what connect_until, resolve and connect_to_host (src/common/) need
// from each OS family, one small primitive each (src/posix/dialer_os.cpp, src/windows/...).
// Sockets for attempts come from socket_owner_os.hpp (owner_socket_type, owner_set_non_blocking,
// owner_attempt_in_progress); waits go through dial::poll, whose poll_out means "the attempt
// ended" on every OS (WSAPoll adds poll_err or poll_hup when it failed: Windows 10 2004 and later).
#pragma once

#include <chrono>
#include <expected>
#include <optional>
#include <stop_token>

#include "dial/resolve.hpp"  // deadline_clock
#include "dial/sys.hpp"

namespace dial::detail {

/// The value of a socket_t that names no socket (-1; Windows: INVALID_SOCKET).
[[nodiscard]] socket_t no_socket() noexcept;

/// Makes `s` non-blocking for an attempt. Returns whether it has to be made blocking again
/// afterwards (POSIX reads the mode with F_GETFL; Windows cannot read it and answers true: a
/// socket is blocking afterwards on every path, Winsock's default). On failure the native code
/// (also recorded for last_native_error); a descriptor that is not a socket traps.
[[nodiscard]] std::expected<bool, int> enter_non_blocking(socket_t s) noexcept;

/// Makes `s` blocking again (after enter_non_blocking said so, or a race's winner), keeping
/// last_native_error().
void leave_non_blocking(socket_t s) noexcept;

/// Makes cancellation part of a poll set: fd() polls readable (poll_in) once the stop token is
/// triggered (POSIX: an eventfd or a pipe; Windows: a loopback UDP socket that the stop callback
/// sends a datagram to). Only made when a stop is possible. When no descriptor can be had,
/// fd() is no_socket() and error() says why; timeout_ms() then caps each wait to
/// fallback_slice_ms, so a stop is still noticed within that time.
class stop_waker {
 public:
  static constexpr int fallback_slice_ms = 10;

  explicit stop_waker(const std::stop_token& stop) noexcept;
  ~stop_waker();
  stop_waker(const stop_waker&) = delete;
  stop_waker& operator=(const stop_waker&) = delete;

  /// The descriptor to poll for poll_in, or no_socket().
  [[nodiscard]] socket_t fd() const noexcept { return read_; }
  /// Whether fd() is a descriptor to poll.
  [[nodiscard]] bool has_fd() const noexcept { return read_ != no_socket(); }
  /// The native code that kept the descriptor from being made (0: none).
  [[nodiscard]] int error() const noexcept { return error_; }
  /// The poll timeout for `deadline`, capped to a slice when a stop cannot wake the poll.
  [[nodiscard]] int timeout_ms(deadline_clock::time_point deadline) const noexcept;

 private:
  struct wake {
    socket_t fd;
    void operator()() const noexcept;
  };
  socket_t read_;
  socket_t write_;
  int error_ = 0;
  std::optional<std::stop_callback<wake>> callback_;
};

/// Milliseconds from now to `deadline`, rounded up so that a poll never wakes before it; -1 for
/// no deadline.
[[nodiscard]] int ms_until(deadline_clock::time_point deadline) noexcept;

/// Whether `s` has a peer: readiness is a hint, only a peer name proves the connection exists
/// (Asio does the same). Through dial::getpeername's table.
[[nodiscard]] bool is_connected(socket_t s) noexcept;

}  // namespace dial::detail
