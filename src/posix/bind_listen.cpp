// src/posix/bind_listen.cpp: bind and listen on Linux, BSD and macOS, with their errno tables.
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cerrno>
#include <cstddef>

#include "dial/sys.hpp"
#include "posix/errno_map.hpp"

namespace dial {
namespace {

using detail::mapped;

/// Modelled on Zig's BindError switch. dial's differences (docs/spec-differences.md, section 7):
/// EPERM is PermissionDenied (a security hook, as for connect) where Zig says AccessDenied;
/// EINVAL on an unbound socket is InvalidAddress where Zig says unreachable; ENOBUFS is
/// SystemResources.
constexpr mapped<bind_error> map_bind_errno(int code) noexcept {
  using enum bind_error;
  switch (code) {
    case EACCES: return {access_denied};     // a privileged port; no permission on the Unix path
    case EPERM: return {permission_denied};  // cgroup-bpf bind4/bind6 hook, LSM
    case EADDRINUSE: return {address_in_use};
    case EADDRNOTAVAIL: return {address_not_available};
    case EAFNOSUPPORT: return {address_family_not_supported};
    case EINVAL:
      return {invalid_address};  // bind_failed traps first when the socket is already bound
    case ELOOP: return {sym_link_loop};
    case ENAMETOOLONG: return {path_too_long};
    case ENOENT: return {file_not_found};
    case ENOTDIR: return {not_dir};
    case EROFS: return {read_only_file_system};
    case ENOMEM: return {system_resources};
    case ENOBUFS: return {system_resources};
    // Programmer errors: each traps, never UB.
    case EBADF:  // the descriptor was closed, or never opened
      return {unexpected, detail::bad_descriptor};
    case ENOTSOCK:  // a file, pipe or other non-socket descriptor
      return {unexpected, detail::not_a_socket};
    case EFAULT:  // `addr` points outside the process
      return {unexpected, detail::bad_pointer};
    default: return {unexpected};
  }
}

/// Modelled on Zig's ListenError switch. Differences: ENOTSOCK traps (Zig names it
/// FileDescriptorNotASocket) and EINVAL traps (Zig: Unexpected); ENOBUFS and ENOMEM are named.
constexpr mapped<listen_error> map_listen_errno(int code) noexcept {
  using enum listen_error;
  switch (code) {
    case EADDRINUSE: return {address_in_use};
    case EOPNOTSUPP:
      return {operation_not_supported};  // UDP, Unix datagram: no connections to queue
    case ENOBUFS: return {system_resources};
    case ENOMEM: return {system_resources};
    // Programmer errors: each traps, never UB.
    case EBADF:  // the descriptor was closed, or never opened
      return {unexpected, detail::bad_descriptor};
    case ENOTSOCK:  // a file, pipe or other non-socket descriptor
      return {unexpected, detail::not_a_socket};
    case EINVAL:  // Linux: a connected socket, or a Unix socket that was never bound
      return {unexpected, "the socket is connected, or is a Unix socket that was never bound"};
    default: return {unexpected};
  }
}

// Whether the socket already has a local address: Linux answers EINVAL both for that (a bug:
// binding twice) and for an address the socket cannot use (a runtime condition).
bool already_bound(socket_t s) noexcept {
  sockaddr_storage ss{};
  ::socklen_t len = sizeof ss;
  if (::getsockname(s, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return false;
  switch (ss.ss_family) {
    case AF_INET: return reinterpret_cast<const sockaddr_in&>(ss).sin_port != 0;
    case AF_INET6: return reinterpret_cast<const sockaddr_in6&>(ss).sin6_port != 0;
    case AF_UNIX: return len > offsetof(sockaddr_un, sun_path);  // a path or an abstract name
    default: return false;
  }
}

}  // namespace

bind_error bind_error_from_native(int code) noexcept {
  return detail::finish(map_bind_errno(code), "bind", code);
}

listen_error listen_error_from_native(int code) noexcept {
  return detail::finish(map_listen_errno(code), "listen", code);
}

namespace detail {

// The bare system calls: the test suite's seccomp filters act here.
int bind_native(socket_t s, const sockaddr* a, socklen_t n) { return ::bind(s, a, n); }
int listen_native(socket_t s, int backlog) { return ::listen(s, backlog); }

std::expected<void, bind_error> bind_failed(socket_t s) noexcept {
  const int code = errno;
  if (code == EINVAL && already_bound(s))
    trap("bind", code, "EINVAL",
         "the socket is already bound (by bind, or implicitly by connect or listen)");
  return std::unexpected(bind_error_from_native(code));
}

listen_error listen_failed() noexcept { return listen_error_from_native(errno); }

}  // namespace detail
}  // namespace dial
