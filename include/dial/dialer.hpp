// dial/dialer.hpp: layer 3, connecting with a deadline and cancellation.
#pragma once

#include <chrono>
#include <expected>
#include <stop_token>

#include "dial/error.hpp"
#include "dial/sys.hpp"

namespace dial {

/// The clock of every dial deadline: monotonic, immune to wall-clock changes.
using deadline_clock = std::chrono::steady_clock;

/// The names connect_until can return: connect's fourteen, plus
///   Timeout   the deadline passed while the attempt was still in progress.
///   Canceled  the stop token was triggered (before or during the attempt).
/// connect_error widens into it without a table: dial::widen<connect_until_error>(e).
#define DIAL_CONNECT_UNTIL_ERRORS(X) DIAL_CONNECT_ERRORS(X) X(timeout) X(canceled)
DIAL_DECLARE_ERROR_SET(connect_until_error, DIAL_CONNECT_UNTIL_ERRORS);

/// Connects with a deadline and optional cancellation. Does not correspond to a single system
/// call: it starts a non-blocking connect, waits for writability (or cancellation) until
/// `deadline`, then completes through getsockopt_error and checks that the socket really is
/// connected before trusting the wake-up (spurious readiness goes back to waiting). Every error
/// goes through connect's one table.
///
/// The socket may be blocking or not; a blocking socket is made non-blocking for the attempt and
/// restored to blocking on success. An attempt that completes at once succeeds even if the
/// deadline has passed; a stop already requested gives Canceled without any system call.
///
/// A Unix socket whose listener's backlog is full (EAGAIN) has no attempt in progress to wait
/// for: connect_until retries it with a growing pause (1 ms to 50 ms) until the deadline.
///
/// State after a failure: the socket cannot be connected again. After Timeout or Canceled, the
/// kernel's attempt may still be running; after any other name the socket's error has been
/// consumed. Close it (dial::close) and open a new one for the next attempt.
[[nodiscard]] std::expected<void, connect_until_error> connect_until(
    socket_t sock, const sockaddr* addr, socklen_t len, deadline_clock::time_point deadline,
    std::stop_token stop = {}) noexcept;

/// connect_until with a deadline `timeout` from now.
[[nodiscard]] inline std::expected<void, connect_until_error> connect_for(
    socket_t sock, const sockaddr* addr, socklen_t len, std::chrono::nanoseconds timeout,
    std::stop_token stop = {}) noexcept {
  return connect_until(sock, addr, len, deadline_clock::now() + timeout, std::move(stop));
}

}  // namespace dial

DIAL_REGISTER_ERROR_SET(dial::connect_until_error);
