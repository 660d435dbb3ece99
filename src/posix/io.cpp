// src/posix/io.cpp: send, sendto, recv, recvfrom on Linux, BSD and macOS, with their errno tables.
#include <sys/socket.h>
#include <sys/types.h>

#include <cerrno>
#include <cstddef>
#include <type_traits>

#include "dial/sys.hpp"
#include "posix/errno_map.hpp"

static_assert(std::is_same_v<ssize_t, std::ptrdiff_t>, "the *_native byte counts are ssize_t");

namespace dial {
namespace {

using detail::mapped;

// Sends never raise SIGPIPE. Apple systems lack MSG_NOSIGNAL; there dial::accept sets
// SO_NOSIGPIPE on the sockets it returns.
#ifdef MSG_NOSIGNAL
constexpr int no_sigpipe = MSG_NOSIGNAL;
#else
constexpr int no_sigpipe = 0;
#endif

/// Modelled on Zig's SendToError switch, for send and sendto alike. Differences
/// (docs/spec-differences.md, section 7): EINVAL is InvalidAddress (Zig's UnreachableAddress);
/// ETIMEDOUT is named; and send returns the sendto-only names too, since Linux produces them
/// for send (ENOTCONN on a Unix socket, ENETUNREACH on a connected UDP socket) where Zig's send
/// says unreachable.
constexpr mapped<send_error> map_send_errno(int code) noexcept {
  using enum send_error;
  switch (code) {
    case EACCES: return {access_denied};  // broadcast without SO_BROADCAST; Unix path permissions
    case EAGAIN: return {would_block};
#if EWOULDBLOCK != EAGAIN
    case EWOULDBLOCK: return {would_block};
#endif
    case EALREADY: return {fast_open_already_in_progress};
    case ECONNRESET: return {connection_reset_by_peer};
    case ETIMEDOUT: return {connection_timed_out};
    case ECONNREFUSED:
      return {connection_refused};  // connected UDP: an ICMP port unreachable came back
    case EMSGSIZE: return {message_too_big};
    case ENOBUFS: return {system_resources};
    case ENOMEM: return {system_resources};
    case EPIPE: return {broken_pipe};
    case ENETUNREACH: return {network_unreachable};
    case EHOSTUNREACH: return {network_unreachable};
    case ENETDOWN: return {network_subsystem_failed};
    case EAFNOSUPPORT: return {address_family_not_supported};
    case EINVAL: return {invalid_address};  // port 0; a loopback-bound source sending off-host
    case ELOOP: return {sym_link_loop};
    case ENAMETOOLONG: return {path_too_long};
    case ENOENT: return {file_not_found};
    case ENOTDIR: return {not_dir};
    case ENOTCONN: return {socket_not_connected};  // Unix sockets; TCP says EPIPE instead
    case EADDRNOTAVAIL: return {address_not_available};
    // Programmer errors: each traps, never UB.
    case EBADF:  // the descriptor was closed, or never opened
      return {unexpected, detail::bad_descriptor};
    case ENOTSOCK:  // a file, pipe or other non-socket descriptor
      return {unexpected, detail::not_a_socket};
    case EFAULT:  // the data or the address points outside the process
      return {unexpected, detail::bad_pointer};
    case EDESTADDRREQ:  // an unconnected datagram socket needs sendto with an address
      return {unexpected, "no destination: the datagram socket is not connected"};
    case EISCONN:  // Linux: a connected Unix stream socket given an address
      return {unexpected, "an address was given for a connected socket"};
    case EOPNOTSUPP:  // MSG_OOB on a datagram socket, an address on an unconnected Unix stream
      return {unexpected, "a flag or an address this socket type does not support"};
    default: return {unexpected};
  }
}

/// Modelled on Zig's RecvFromError switch. Differences (docs/spec-differences.md, section 7):
/// ENETUNREACH and EHOSTUNREACH (ICMP errors on connected sockets) are NetworkUnreachable and
/// ENOBUFS is SystemResources, where Zig says Unexpected; EOPNOTSUPP traps like EINVAL.
constexpr mapped<recv_error> map_recv_errno(int code) noexcept {
  using enum recv_error;
  switch (code) {
    case EAGAIN: return {would_block};
#if EWOULDBLOCK != EAGAIN
    case EWOULDBLOCK: return {would_block};
#endif
    case ECONNREFUSED:
      return {connection_refused};  // connected UDP: an ICMP port unreachable came back
    case ECONNRESET: return {connection_reset_by_peer};
    case ETIMEDOUT: return {connection_timed_out};
    case ENETUNREACH: return {network_unreachable};
    case EHOSTUNREACH: return {network_unreachable};
    case ENOTCONN: return {socket_not_connected};
    case ENOMEM: return {system_resources};
    case ENOBUFS: return {system_resources};
    // Programmer errors: each traps, never UB.
    case EBADF:  // the descriptor was closed, or never opened
      return {unexpected, detail::bad_descriptor};
    case ENOTSOCK:  // a file, pipe or other non-socket descriptor
      return {unexpected, detail::not_a_socket};
    case EFAULT:  // the buffer or the address points outside the process
      return {unexpected, detail::bad_pointer};
    case EINVAL:  // Linux: MSG_OOB with no urgent data pending (or SO_OOBINLINE set)
      return {unexpected, "MSG_OOB without pending urgent data: wait for poll_pri first"};
    case EOPNOTSUPP:  // Linux: MSG_OOB on a socket type without urgent data
      return {unexpected, "a flag this socket type does not support"};
    default: return {unexpected};
  }
}

}  // namespace

send_error send_error_from_native(int code) noexcept {
  return detail::finish(map_send_errno(code), "send", code);
}

recv_error recv_error_from_native(int code) noexcept {
  return detail::finish(map_recv_errno(code), "recv", code);
}

namespace detail {

// The bare system calls: the test suite's seccomp filters act here (glibc's send and recv are
// the sendto and recvfrom system calls on x86-64).
std::ptrdiff_t send_native(socket_t s, const void* d, std::size_t n, int flags) {
  return ::send(s, d, n, flags | no_sigpipe);
}

std::ptrdiff_t sendto_native(socket_t s, const void* d, std::size_t n, int flags,
                             const sockaddr* to, socklen_t len) {
  return ::sendto(s, d, n, flags | no_sigpipe, to, len);
}

std::ptrdiff_t recv_native(socket_t s, void* b, std::size_t n, int flags) {
  return ::recv(s, b, n, flags);
}

std::ptrdiff_t recvfrom_native(socket_t s, void* b, std::size_t n, int flags, sockaddr* from,
                               socklen_t* len) {
  return ::recvfrom(s, b, n, flags, from, len);
}

// EINTR: the kernel reports EINTR only when nothing was sent (a partial send returns its
// count), so sending again is exact.
std::expected<std::size_t, send_error> sendto_failed(socket_t s, std::span<const std::byte> d,
                                                     int flags, const sockaddr* to,
                                                     socklen_t len) noexcept {
  int code = errno;
  while (code == EINTR) {
    const std::ptrdiff_t n = sendto_native(s, d.data(), d.size(), flags, to, len);
    if (n >= 0) return static_cast<std::size_t>(n);
    code = errno;
  }
  return std::unexpected(send_error_from_native(code));
}

// EINTR: nothing was read (a partial read returns its count), so receiving again is exact.
std::expected<std::size_t, recv_error> recvfrom_failed(socket_t s, std::span<std::byte> b,
                                                       int flags, sockaddr* from,
                                                       socklen_t* len) noexcept {
  int code = errno;
  while (code == EINTR) {
    const std::ptrdiff_t n = recvfrom_native(s, b.data(), b.size(), flags, from, len);
    if (n >= 0) return static_cast<std::size_t>(n);
    code = errno;
  }
  return std::unexpected(recv_error_from_native(code));
}

}  // namespace detail
}  // namespace dial
