// src/windows/bind_listen.cpp: bind and listen over Winsock, with their WSA tables.
#include <ws2tcpip.h>

#include "dial/sys.hpp"
#include "windows/test_hooks.hpp"
#include "windows/winsock.hpp"

namespace dial {
namespace {

using detail::mapped;

/// bind's Winsock codes (Microsoft's documentation of bind) into POSIX bind's names
/// (docs/spec-differences.md, section 6). WSAEINVAL means "already bound" there, a bug that
/// traps; bind_failed asks getsockname first, so that a WSAEINVAL on an unbound socket is
/// InvalidAddress, as on Linux.
constexpr mapped<bind_error> map_bind_wsa(int code) noexcept {
  using enum bind_error;
  switch (code) {
    case WSAEACCES:
      return {access_denied};  // broadcast without SO_BROADCAST; SO_EXCLUSIVEADDRUSE elsewhere
    case WSAEADDRINUSE: return {address_in_use};
    case WSAEADDRNOTAVAIL: return {address_not_available};  // not an address of this host
    case WSAEAFNOSUPPORT: return {address_family_not_supported};
    case WSAEINVAL:
      return {invalid_address};  // bind_failed traps first when the socket is already bound
    case WSAENOBUFS: return {system_resources};
    // Programmer errors: each traps, never UB.
    case WSAEFAULT:  // `addr` outside the address space, or `len` too small for the family
      return {unexpected, detail::wsa_bad_pointer};
    case WSAENOTSOCK: return {unexpected, detail::wsa_not_a_socket};
    case WSANOTINITIALISED: return {unexpected, detail::wsa_not_initialised};
    default: return {unexpected};  // WSAENETDOWN, WSAEINPROGRESS (a Winsock 1.1 blocking call), ...
  }
}

/// listen's Winsock codes. Windows never binds on listen: a socket that was not bound gives
/// WSAEINVAL, a wrong call sequence that traps, where Linux binds an ephemeral port.
constexpr mapped<listen_error> map_listen_wsa(int code) noexcept {
  using enum listen_error;
  switch (code) {
    case WSAEADDRINUSE: return {address_in_use};
    case WSAEOPNOTSUPP: return {operation_not_supported};  // UDP: no connections to queue
    case WSAENOBUFS: return {system_resources};
    case WSAEMFILE:
      return {system_resources};  // "no more socket descriptors are available"
    // Programmer errors: each traps, never UB.
    case WSAEINVAL:
      return {unexpected, "the socket is not bound: Windows needs bind before listen"};
    case WSAEISCONN: return {unexpected, "the socket is already connected"};
    case WSAENOTSOCK: return {unexpected, detail::wsa_not_a_socket};
    case WSANOTINITIALISED: return {unexpected, detail::wsa_not_initialised};
    default: return {unexpected};  // WSAENETDOWN, WSAEINPROGRESS, ...
  }
}

// Whether the socket already has a local address: Winsock's getsockname fails on an unbound
// socket, and a bound one has a port (IP) or a name (AF_UNIX).
bool already_bound(socket_t s) noexcept {
  sockaddr_storage ss{};
  int len = sizeof ss;
  const int saved = ::WSAGetLastError();
  const bool named = ::getsockname(s, reinterpret_cast<sockaddr*>(&ss), &len) == 0;
  ::WSASetLastError(saved);
  if (!named) return false;
  switch (ss.ss_family) {
    case AF_INET: return reinterpret_cast<const sockaddr_in&>(ss).sin_port != 0;
    case AF_INET6: return reinterpret_cast<const sockaddr_in6&>(ss).sin6_port != 0;
    default: return len > 2;  // AF_UNIX: more than the family
  }
}

}  // namespace

bind_error bind_error_from_native(int code) noexcept {
  return detail::finish(map_bind_wsa(code), "bind", code);
}

listen_error listen_error_from_native(int code) noexcept {
  return detail::finish(map_listen_wsa(code), "listen", code);
}

namespace detail {

// The bare calls (a test build may fail them first: windows/test_hooks.hpp).
int bind_native(socket_t s, const sockaddr* a, socklen_t n) {
  DIAL_WSA_SEAM("bind", SOCKET_ERROR);
  return ::bind(s, a, n);
}

int listen_native(socket_t s, int backlog) {
  DIAL_WSA_SEAM("listen", SOCKET_ERROR);
  return ::listen(s, backlog);
}

// Neither call blocks or is interrupted: no retry.
std::expected<void, bind_error> bind_failed(socket_t s) noexcept {
  const int code = ::WSAGetLastError();
  if (code == WSAEINVAL && already_bound(s))
    trap("bind", code, "WSAEINVAL",
         "the socket is already bound (by bind, or implicitly by connect)");
  return std::unexpected(bind_error_from_native(code));
}

listen_error listen_failed() noexcept { return listen_error_from_native(::WSAGetLastError()); }

}  // namespace detail
}  // namespace dial
