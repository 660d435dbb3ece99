// src/windows/names.cpp: getsockname, getpeername and shutdown over Winsock, with their WSA
// tables.
#include "dial/sys.hpp"
#include "windows/test_hooks.hpp"
#include "windows/winsock.hpp"

static_assert(SD_RECEIVE == static_cast<int>(dial::shutdown_how::receive));
static_assert(SD_SEND == static_cast<int>(dial::shutdown_how::send));
static_assert(SD_BOTH == static_cast<int>(dial::shutdown_how::both));

namespace dial {
namespace {

using detail::mapped;

/// getsockname's Winsock codes. Windows has no name for a socket that is not bound (Linux
/// answers 0.0.0.0:0): WSAEINVAL, a call made too early, traps.
constexpr mapped<getsockname_error> map_getsockname_wsa(int code) noexcept {
  using enum getsockname_error;
  switch (code) {
    case WSAENOBUFS: return {system_resources};
    // Programmer errors: each traps, never UB.
    case WSAEFAULT:  // `addr` or `len` outside the address space, or `*len` too small
      return {unexpected, detail::wsa_bad_pointer};
    case WSAEINVAL:
      return {unexpected,
              "the socket is not bound: Windows has no local name for it yet (bind or "
              "connect first)"};
    case WSAENOTSOCK: return {unexpected, detail::wsa_not_a_socket};
    case WSANOTINITIALISED: return {unexpected, detail::wsa_not_initialised};
    default: return {unexpected};  // WSAENETDOWN, WSAEINPROGRESS, ...
  }
}

/// getpeername's Winsock codes.
constexpr mapped<getpeername_error> map_getpeername_wsa(int code) noexcept {
  using enum getpeername_error;
  switch (code) {
    case WSAENOTCONN: return {socket_not_connected};
    case WSAENOBUFS: return {system_resources};
    // Programmer errors: each traps, never UB.
    case WSAEFAULT:  // `addr` or `len` outside the address space, or `*len` too small
      return {unexpected, detail::wsa_bad_pointer};
    case WSAENOTSOCK: return {unexpected, detail::wsa_not_a_socket};
    case WSANOTINITIALISED: return {unexpected, detail::wsa_not_initialised};
    default: return {unexpected};  // WSAENETDOWN, WSAEINPROGRESS, ...
  }
}

/// shutdown's Winsock codes. A connection that is already gone (WSAECONNABORTED after a
/// timeout, WSAECONNRESET by the peer) has nothing left to shut down: SocketNotConnected.
constexpr mapped<shutdown_error> map_shutdown_wsa(int code) noexcept {
  using enum shutdown_error;
  switch (code) {
    case WSAENOTCONN: return {socket_not_connected};
    case WSAECONNABORTED: return {socket_not_connected};
    case WSAECONNRESET: return {socket_not_connected};
    case WSAENOBUFS: return {system_resources};
    // Programmer errors: each traps, never UB.
    case WSAEINVAL:  // shutdown_how is an enum: only a value cast from outside it gets here
      return {unexpected, "`how` is not receive, send or both"};
    case WSAENOTSOCK: return {unexpected, detail::wsa_not_a_socket};
    case WSANOTINITIALISED: return {unexpected, detail::wsa_not_initialised};
    default: return {unexpected};  // WSAENETDOWN, WSAEINPROGRESS, ...
  }
}

}  // namespace

getsockname_error getsockname_error_from_native(int code) noexcept {
  return detail::finish(map_getsockname_wsa(code), "getsockname", code);
}

getpeername_error getpeername_error_from_native(int code) noexcept {
  return detail::finish(map_getpeername_wsa(code), "getpeername", code);
}

shutdown_error shutdown_error_from_native(int code) noexcept {
  return detail::finish(map_shutdown_wsa(code), "shutdown", code);
}

namespace detail {

// The bare calls (a test build may fail them first: windows/test_hooks.hpp).
int getsockname_native(socket_t s, sockaddr* a, socklen_t* n) {
  DIAL_WSA_SEAM("getsockname", SOCKET_ERROR);
  return ::getsockname(s, a, n);
}

int getpeername_native(socket_t s, sockaddr* a, socklen_t* n) {
  DIAL_WSA_SEAM("getpeername", SOCKET_ERROR);
  return ::getpeername(s, a, n);
}

int shutdown_native(socket_t s, int how) {
  DIAL_WSA_SEAM("shutdown", SOCKET_ERROR);
  return ::shutdown(s, how);
}

// None of the three blocks: no retry.
getsockname_error getsockname_failed() noexcept {
  return getsockname_error_from_native(::WSAGetLastError());
}
getpeername_error getpeername_failed() noexcept {
  return getpeername_error_from_native(::WSAGetLastError());
}
shutdown_error shutdown_failed() noexcept {
  return shutdown_error_from_native(::WSAGetLastError());
}

}  // namespace detail
}  // namespace dial
