// src/posix/accept.cpp: accept on Linux, BSD and macOS, close-on-exec always, with its errno table.
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "dial/sys.hpp"
#include "posix/errno_map.hpp"

namespace dial {
namespace {

using detail::mapped;

/// Modelled on Zig's AcceptError switch. Differences (docs/spec-differences.md, section 7): EPERM
/// is PermissionDenied (Zig's BlockedByFirewall: the same meaning, one name); the network errors
/// accept(2) says Linux may pass on from the pending connection are ConnectionAborted (Zig:
/// Unexpected); ENOTSOCK and EOPNOTSUPP trap as in Zig.
constexpr mapped<accept_error> map_accept_errno(int code) noexcept {
  using enum accept_error;
  switch (code) {
    case EAGAIN: return {would_block};
#if EWOULDBLOCK != EAGAIN
    case EWOULDBLOCK: return {would_block};
#endif
    case ECONNABORTED: return {connection_aborted};
    case EINVAL: return {socket_not_listening};  // not listening, or shut down while accept waited
    case EMFILE: return {process_fd_quota_exceeded};
    case ENFILE: return {system_fd_quota_exceeded};
    case ENOBUFS: return {system_resources};
    case ENOMEM: return {system_resources};
    case EPROTO: return {protocol_failure};
    case EPERM:
      return {permission_denied};  // Linux: firewall rules forbid the connection
    // accept(2), Linux: "already-pending network errors on the new socket" that the caller
    // should treat like EAGAIN and retry. Each ends that one connection only.
    case ENETDOWN: return {connection_aborted};
    case ENOPROTOOPT: return {connection_aborted};
    case EHOSTDOWN: return {connection_aborted};
#ifdef ENONET
    case ENONET: return {connection_aborted};
#endif
    case EHOSTUNREACH: return {connection_aborted};
    case ENETUNREACH: return {connection_aborted};
    // Programmer errors: each traps, never UB.
    case EBADF:  // the descriptor was closed, or never opened
      return {unexpected, detail::bad_descriptor};
    case ENOTSOCK:  // a file, pipe or other non-socket descriptor
      return {unexpected, detail::not_a_socket};
    case EFAULT:  // `addr` or `len` points outside the process (Linux drops that connection)
      return {unexpected, detail::bad_pointer};
    case EOPNOTSUPP:  // a datagram socket: listen said OperationNotSupported already
      return {unexpected, "the socket type does not accept connections"};
    default: return {unexpected};
  }
}

}  // namespace

accept_error accept_error_from_native(int code) noexcept {
  return detail::finish(map_accept_errno(code), "accept", code);
}

namespace detail {

// The bare system call: the test suite's seccomp filters act here.
socket_t accept_native(socket_t s, sockaddr* a, socklen_t* n, accept_flags f) {
#ifdef SOCK_CLOEXEC
  return ::accept4(s, a, n, SOCK_CLOEXEC | (f.non_blocking ? SOCK_NONBLOCK : 0));
#else
  // Apple systems have no accept4: set the flags at once (a fork in another thread between the
  // calls can still inherit the descriptor; that window is the platform's). They have no
  // MSG_NOSIGNAL either, so the socket itself is told never to raise SIGPIPE.
  const int fd = ::accept(s, a, n);
  if (fd < 0) return fd;
  ::fcntl(fd, F_SETFD, FD_CLOEXEC);
  if (f.non_blocking) ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
#ifdef SO_NOSIGPIPE
  const int on = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &on, sizeof on);
#endif
  return fd;
#endif
}

// EINTR: the interrupted accept took no connection, so calling again is exact.
std::expected<socket_t, accept_error> accept_failed(socket_t s, sockaddr* a, socklen_t* n,
                                                    accept_flags f) noexcept {
  int code = errno;
  while (code == EINTR) {
    const socket_t fd = accept_native(s, a, n, f);
    if (fd != invalid_socket) return fd;
    code = errno;
  }
  return std::unexpected(accept_error_from_native(code));
}

}  // namespace detail
}  // namespace dial
