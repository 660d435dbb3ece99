// src/posix/names.cpp: getsockname, getpeername and shutdown on Linux, BSD and macOS, with their
// errno tables.
#include <sys/socket.h>

#include <cerrno>

#include "dial/sys.hpp"
#include "posix/errno_map.hpp"

static_assert(SHUT_RD == static_cast<int>(dial::shutdown_how::receive));
static_assert(SHUT_WR == static_cast<int>(dial::shutdown_how::send));
static_assert(SHUT_RDWR == static_cast<int>(dial::shutdown_how::both));

namespace dial {
namespace {

using detail::mapped;

/// Modelled on Zig's GetSockNameError switch. Difference: ENOTSOCK traps (Zig names it
/// FileDescriptorNotASocket).
constexpr mapped<getsockname_error> map_getsockname_errno(int code) noexcept {
  using enum getsockname_error;
  switch (code) {
    case ENOBUFS: return {system_resources};
    case ENOMEM: return {system_resources};
    // Programmer errors: each traps, never UB.
    case EBADF:  // the descriptor was closed, or never opened
      return {unexpected, detail::bad_descriptor};
    case ENOTSOCK:  // a file, pipe or other non-socket descriptor
      return {unexpected, detail::not_a_socket};
    case EFAULT:  // `addr` or `len` points outside the process
      return {unexpected, detail::bad_pointer};
    case EINVAL:  // `*len` is negative as a C int
      return {unexpected, "the address length is negative"};
    default: return {unexpected};
  }
}

/// Zig's getpeername shares getsockname's set and leaves ENOTCONN Unexpected; dial names it
/// (docs/spec-differences.md, section 7): a socket without a peer is a runtime condition. Every
/// other line is getsockname's, widened.
constexpr mapped<getpeername_error> map_getpeername_errno(int code) noexcept {
  if (code == ENOTCONN) return {getpeername_error::socket_not_connected};
  const auto m = map_getsockname_errno(code);
  return {widen<getpeername_error>(m.error), m.trap_reason};
}

/// Modelled on Zig's ShutdownError switch, line for line.
constexpr mapped<shutdown_error> map_shutdown_errno(int code) noexcept {
  using enum shutdown_error;
  switch (code) {
    case ENOTCONN: return {socket_not_connected};
    case ENOBUFS: return {system_resources};
    case ENOMEM: return {system_resources};
    // Programmer errors: each traps, never UB.
    case EBADF:  // the descriptor was closed, or never opened
      return {unexpected, detail::bad_descriptor};
    case ENOTSOCK:  // a file, pipe or other non-socket descriptor
      return {unexpected, detail::not_a_socket};
    case EINVAL:  // shutdown_how is an enum: only a value cast from outside it gets here
      return {unexpected, "`how` is not receive, send or both"};
    default: return {unexpected};
  }
}

}  // namespace

getsockname_error getsockname_error_from_native(int code) noexcept {
  return detail::finish(map_getsockname_errno(code), "getsockname", code);
}

getpeername_error getpeername_error_from_native(int code) noexcept {
  return detail::finish(map_getpeername_errno(code), "getpeername", code);
}

shutdown_error shutdown_error_from_native(int code) noexcept {
  return detail::finish(map_shutdown_errno(code), "shutdown", code);
}

namespace detail {

// The bare system calls: the test suite's seccomp filters act here.
int getsockname_native(socket_t s, sockaddr* a, socklen_t* n) { return ::getsockname(s, a, n); }
int getpeername_native(socket_t s, sockaddr* a, socklen_t* n) { return ::getpeername(s, a, n); }
int shutdown_native(socket_t s, int how) { return ::shutdown(s, how); }

// None of the three blocks, so none is interrupted by signals: no EINTR loop.
getsockname_error getsockname_failed() noexcept { return getsockname_error_from_native(errno); }
getpeername_error getpeername_failed() noexcept { return getpeername_error_from_native(errno); }
shutdown_error shutdown_failed() noexcept { return shutdown_error_from_native(errno); }

}  // namespace detail
}  // namespace dial
