// src/posix/socket.cpp: socket and close on Linux, BSD and macOS, with the errno table.
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "common/native.hpp"
#include "dial/sys.hpp"

namespace dial {
namespace {

/// Modelled on Zig's socket switch. Additions (EPERM, ESOCKTNOSUPPORT, ENOPROTOOPT) are in
/// docs/spec-differences.md.
constexpr socket_error map_socket_errno(int code) noexcept {
  using enum socket_error;
  switch (code) {
    case EACCES: return access_denied;
    case EPERM: return access_denied;  // Linux: raw sockets without CAP_NET_RAW, seccomp, LSM
    case EAFNOSUPPORT: return address_family_not_supported;
    case EINVAL: return protocol_family_not_available;
    case EMFILE: return process_fd_quota_exceeded;
    case ENFILE: return system_fd_quota_exceeded;
    case ENOBUFS: return system_resources;
    case ENOMEM: return system_resources;
    case EPROTONOSUPPORT: return protocol_not_supported;
    case ENOPROTOOPT: return protocol_not_supported;  // Linux: IPPROTO_MPTCP, net.mptcp.enabled=0
    case EPROTOTYPE: return socket_type_not_supported;
#ifdef ESOCKTNOSUPPORT
    case ESOCKTNOSUPPORT: return socket_type_not_supported;  // Linux: unknown type
#endif
    default: return unexpected;
  }
}

}  // namespace

socket_error socket_error_from_native(int code) noexcept {
  const socket_error e = map_socket_errno(code);
  detail::record_native(code);
  if (e == socket_error::unexpected) detail::report_unexpected("socket", code);
  return e;
}

namespace detail {

// The bare system calls: the test suite's seccomp filters act here.
socket_t socket_native(int domain, int type, int protocol) {
#ifdef SOCK_CLOEXEC
  return ::socket(domain, type | SOCK_CLOEXEC, protocol);
#else
  // macOS has no SOCK_CLOEXEC: set the flag at once (a fork in another thread between the two
  // calls can still inherit the descriptor; that window is the platform's).
  const int fd = ::socket(domain, type, protocol);
  if (fd >= 0) ::fcntl(fd, F_SETFD, FD_CLOEXEC);
  return fd;
#endif
}

socket_error socket_failed() noexcept { return socket_error_from_native(errno); }

int close_native(socket_t sock) { return ::close(sock); }

void close_failed() noexcept {
  const int e = errno;
  if (e == EBADF)
    trap("close", e, "EBADF",
         "not an open descriptor: a double close, or a handle that was never opened");
  // EINTR, EIO: Linux has released the descriptor already; never retry (it may be reused).
  record_native(e);
}

}  // namespace detail
}  // namespace dial
