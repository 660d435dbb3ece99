// src/windows/io.cpp: send, sendto, recv, recvfrom over Winsock, with their WSA tables.
#include <algorithm>
#include <climits>
#include <cstddef>

#include "dial/sys.hpp"
#include "windows/test_hooks.hpp"
#include "windows/winsock.hpp"

namespace dial {
namespace {

using detail::mapped;

/// send's and sendto's Winsock codes (Microsoft's documentation of send and sendto) into POSIX
/// send's names (docs/spec-differences.md, section 6). Windows has no SIGPIPE to suppress.
constexpr mapped<send_error> map_send_wsa(int code) noexcept {
  using enum send_error;
  switch (code) {
    case WSAEACCES: return {access_denied};  // a broadcast destination without SO_BROADCAST
    case WSAEWOULDBLOCK: return {would_block};
    case WSAEINPROGRESS:
      return {would_block};  // another blocking call is in progress: retry later, as connect
    case WSAECONNRESET:
      return {connection_reset_by_peer};  // datagram sockets: sendto_failed says ConnectionRefused
    case WSAECONNABORTED:
      return {connection_reset_by_peer};  // "terminated due to a time-out or other failure"
    case WSAECONNREFUSED:
      return {connection_refused};  // a datagram met ICMP port unreachable (wine's answer)
    case WSAETIMEDOUT: return {connection_timed_out};
    case WSAENETRESET:
      return {connection_timed_out};  // keepalives found the connection dead (Linux: ETIMEDOUT)
    case WSAEMSGSIZE: return {message_too_big};
    case WSAENOBUFS: return {system_resources};
    case WSAESHUTDOWN: return {broken_pipe};  // shut down for sending: POSIX's EPIPE
    case WSAENETUNREACH: return {network_unreachable};
    case WSAEHOSTUNREACH: return {network_unreachable};
    case WSAENETDOWN: return {network_subsystem_failed};
    case WSAEAFNOSUPPORT: return {address_family_not_supported};
    case WSAENOTCONN: return {socket_not_connected};
    case WSAEADDRNOTAVAIL:
      return {address_not_available};  // the destination is not valid (the any address), as connect
    // Programmer errors: each traps, never UB.
    case WSAEFAULT:  // the data or the address outside the address space, or `len` too small
      return {unexpected, detail::wsa_bad_pointer};
    case WSAENOTSOCK: return {unexpected, detail::wsa_not_a_socket};
    case WSANOTINITIALISED: return {unexpected, detail::wsa_not_initialised};
    case WSAEDESTADDRREQ:  // an unconnected datagram socket needs sendto with an address
      return {unexpected, "no destination: the datagram socket is not connected"};
    case WSAEISCONN: return {unexpected, "an address was given for a connected socket"};
    case WSAEOPNOTSUPP:  // MSG_OOB on a datagram socket, a flag the socket type lacks
      return {unexpected, "a flag this socket type does not support"};
    case WSAEINVAL:  // an unknown flag, MSG_OOB with SO_OOBINLINE, a socket never bound
      return {unexpected,
              "a flag the socket cannot honour, or a socket neither bound nor connected"};
    default:
      return {unexpected};  // WSAEINTR: a cancelled blocking call (the socket closed meanwhile)
  }
}

/// recv's and recvfrom's Winsock codes. WSAEMSGSIZE is not an error for dial: recvfrom_failed
/// returns the truncated datagram, as POSIX does.
constexpr mapped<recv_error> map_recv_wsa(int code) noexcept {
  using enum recv_error;
  switch (code) {
    case WSAEWOULDBLOCK: return {would_block};  // nothing to read, or SO_RCVTIMEO expired
    case WSAEINPROGRESS: return {would_block};
    case WSAECONNRESET:
      return {connection_reset_by_peer};  // datagram sockets: recvfrom_failed: ConnectionRefused
    case WSAECONNABORTED: return {connection_reset_by_peer};
    case WSAECONNREFUSED:
      return {connection_refused};  // a datagram met ICMP port unreachable (wine's answer)
    case WSAETIMEDOUT: return {connection_timed_out};
    case WSAENETRESET:
      return {connection_timed_out};  // keepalives; datagram sockets: NetworkUnreachable
    case WSAENETUNREACH: return {network_unreachable};
    case WSAEHOSTUNREACH: return {network_unreachable};
    case WSAENOTCONN: return {socket_not_connected};
    case WSAESHUTDOWN:
      return {socket_not_connected};  // shut down for receiving (POSIX reads 0 instead)
    case WSAENOBUFS: return {system_resources};
    // Programmer errors: each traps, never UB.
    case WSAEFAULT:  // the buffer or the address outside the address space, `*len` too small
      return {unexpected, detail::wsa_bad_pointer};
    case WSAENOTSOCK: return {unexpected, detail::wsa_not_a_socket};
    case WSANOTINITIALISED: return {unexpected, detail::wsa_not_initialised};
    case WSAEINVAL:  // an unknown flag, MSG_OOB with SO_OOBINLINE, a datagram socket never bound
      return {unexpected, "a flag the socket cannot honour, or a datagram socket never bound"};
    case WSAEOPNOTSUPP:  // MSG_OOB on a socket type without urgent data
      return {unexpected, "a flag this socket type does not support"};
    default: return {unexpected};  // WSAEINTR, WSAENETDOWN, WSAEMSGSIZE outside recvfrom_failed
  }
}

// Winsock counts bytes in an int; a larger span is sent or read in part, as a stream may be.
int clamp(std::size_t n) noexcept { return static_cast<int>(std::min<std::size_t>(n, INT_MAX)); }

bool is_datagram(socket_t s) noexcept {
  int type = 0;
  int len = sizeof type;
  const int saved = ::WSAGetLastError();
  const bool ok = ::getsockopt(s, SOL_SOCKET, SO_TYPE, reinterpret_cast<char*>(&type), &len) == 0;
  ::WSASetLastError(saved);
  return ok && type == SOCK_DGRAM;
}

// On a datagram socket Winsock reports ICMP errors with connection codes: WSAECONNRESET is an
// ICMP port unreachable (POSIX: ECONNREFUSED), WSAENETRESET an expired TTL. Give them the names
// POSIX gives, keeping Winsock's code.
template <class E>
bool datagram_name(socket_t s, int code, E& out) noexcept {
  if ((code != WSAECONNRESET && code != WSAENETRESET) || !is_datagram(s)) return false;
  detail::record_native(code);
  if constexpr (requires { E::connection_refused; }) {
    if (code == WSAECONNRESET) {
      out = E::connection_refused;
      return true;
    }
  }
  out = E::network_unreachable;
  return true;
}

}  // namespace

send_error send_error_from_native(int code) noexcept {
  return detail::finish(map_send_wsa(code), "send", code);
}

recv_error recv_error_from_native(int code) noexcept {
  return detail::finish(map_recv_wsa(code), "recv", code);
}

namespace detail {

// The bare calls (a test build may fail them first: windows/test_hooks.hpp).
std::ptrdiff_t send_native(socket_t s, const void* d, std::size_t n, int flags) {
  DIAL_WSA_SEAM("send", SOCKET_ERROR);
  return ::send(s, static_cast<const char*>(d), clamp(n), flags);
}

std::ptrdiff_t sendto_native(socket_t s, const void* d, std::size_t n, int flags,
                             const sockaddr* to, socklen_t len) {
  DIAL_WSA_SEAM("sendto", SOCKET_ERROR);
  return ::sendto(s, static_cast<const char*>(d), clamp(n), flags, to, len);
}

std::ptrdiff_t recv_native(socket_t s, void* b, std::size_t n, int flags) {
  DIAL_WSA_SEAM("recv", SOCKET_ERROR);
  return ::recv(s, static_cast<char*>(b), clamp(n), flags);
}

std::ptrdiff_t recvfrom_native(socket_t s, void* b, std::size_t n, int flags, sockaddr* from,
                               socklen_t* len) {
  DIAL_WSA_SEAM("recvfrom", SOCKET_ERROR);
  return ::recvfrom(s, static_cast<char*>(b), clamp(n), flags, from, len);
}

// No retry: Windows has no signals that interrupt a call (WSAEINTR is a cancelled one).
std::expected<std::size_t, send_error> sendto_failed(socket_t s, std::span<const std::byte>, int,
                                                     const sockaddr*, socklen_t) noexcept {
  const int code = ::WSAGetLastError();
  if (send_error e{}; datagram_name(s, code, e)) return std::unexpected(e);
  return std::unexpected(send_error_from_native(code));
}

std::expected<std::size_t, recv_error> recvfrom_failed(socket_t s, std::span<std::byte> b, int,
                                                       sockaddr*, socklen_t*) noexcept {
  const int code = ::WSAGetLastError();
  // A datagram larger than the buffer: Winsock filled the buffer and dropped the rest, which is
  // what POSIX's recv returns as a success.
  if (code == WSAEMSGSIZE) return static_cast<std::size_t>(clamp(b.size()));
  if (recv_error e{}; datagram_name(s, code, e)) return std::unexpected(e);
  return std::unexpected(recv_error_from_native(code));
}

}  // namespace detail
}  // namespace dial
