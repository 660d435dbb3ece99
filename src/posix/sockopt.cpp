// src/posix/sockopt.cpp: setsockopt and getsockopt on Linux, BSD and macOS, with their errno
// tables. (getsockopt_error, which reads SO_ERROR for connect, lives in connect.cpp.)
#include <sys/socket.h>

#include <cerrno>

#include "dial/sys.hpp"
#include "posix/errno_map.hpp"

namespace dial {
namespace {

using detail::mapped;

/// Modelled on Zig's SetSockOptError switch. Differences (docs/spec-differences.md, section 7):
/// ENODEV is UnknownInterface (Zig's NoDevice); EADDRINUSE and EADDRNOTAVAIL (multicast
/// membership) are named where Zig says Unexpected.
constexpr mapped<setsockopt_error> map_setsockopt_errno(int code) noexcept {
  using enum setsockopt_error;
  switch (code) {
    case EISCONN: return {already_connected};
    case ENOPROTOOPT: return {invalid_protocol_option};
    case EDOM: return {timeout_too_big};  // SO_RCVTIMEO, SO_SNDTIMEO
    case ENOMEM: return {system_resources};
    case ENOBUFS: return {system_resources};
    case EPERM: return {permission_denied};  // the option needs CAP_NET_ADMIN or CAP_NET_RAW
    case EINVAL: return {invalid_option};
    case ENODEV: return {unknown_interface};  // SO_BINDTODEVICE, IP_ADD_MEMBERSHIP
    case EOPNOTSUPP: return {operation_not_supported};
    case EADDRINUSE: return {address_in_use};  // IP_ADD_MEMBERSHIP: the group is joined already
    case EADDRNOTAVAIL:
      return {address_not_available};  // IP_DROP_MEMBERSHIP: the group was not joined
    // Programmer errors: each traps, never UB.
    case EBADF:  // the descriptor was closed, or never opened
      return {unexpected, detail::bad_descriptor};
    case ENOTSOCK:  // a file, pipe or other non-socket descriptor
      return {unexpected, detail::not_a_socket};
    case EFAULT:  // `value` points outside the process
      return {unexpected, detail::bad_pointer};
    default: return {unexpected};
  }
}

/// Modelled on Zig's GetSockOptError switch. Difference: EOPNOTSUPP is named.
constexpr mapped<getsockopt_call_error> map_getsockopt_errno(int code) noexcept {
  using enum getsockopt_call_error;
  switch (code) {
    case EINVAL: return {invalid_option};
    case ENOPROTOOPT: return {invalid_protocol_option};
    case ENOMEM: return {system_resources};
    case ENOBUFS: return {system_resources};
    case EACCES: return {access_denied};
    case ERANGE: return {buffer_too_small};  // SO_PEERGROUPS: `*len` now holds the size needed
    case EOPNOTSUPP: return {operation_not_supported};
    // Programmer errors: each traps, never UB.
    case EBADF:  // the descriptor was closed, or never opened
      return {unexpected, detail::bad_descriptor};
    case ENOTSOCK:  // a file, pipe or other non-socket descriptor
      return {unexpected, detail::not_a_socket};
    case EFAULT:  // `value` or `len` points outside the process
      return {unexpected, detail::bad_pointer};
    default: return {unexpected};
  }
}

}  // namespace

setsockopt_error setsockopt_error_from_native(int code) noexcept {
  return detail::finish(map_setsockopt_errno(code), "setsockopt", code);
}

getsockopt_call_error getsockopt_call_error_from_native(int code) noexcept {
  return detail::finish(map_getsockopt_errno(code), "getsockopt", code);
}

namespace detail {

// The bare system calls: the test suite's seccomp filters act here.
int setsockopt_native(socket_t s, int level, int name, const void* v, socklen_t n) {
  return ::setsockopt(s, level, name, v, n);
}
int getsockopt_native(socket_t s, int level, int name, void* v, socklen_t* n) {
  return ::getsockopt(s, level, name, v, n);
}

// Neither call blocks, so neither is interrupted by signals: no EINTR loop.
setsockopt_error setsockopt_failed() noexcept { return setsockopt_error_from_native(errno); }
getsockopt_call_error getsockopt_failed() noexcept {
  return getsockopt_call_error_from_native(errno);
}

}  // namespace detail
}  // namespace dial
