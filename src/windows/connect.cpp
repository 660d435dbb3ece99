// src/windows/connect.cpp: connect and its completion over Winsock, with the specification's WSA
// table.
#include "common/native.hpp"
#include "dial/sys.hpp"
#include "windows/test_hooks.hpp"
#include "windows/winsock.hpp"

namespace dial {
namespace {

using detail::mapped;

/// The specification's WSA switch, name for name, one native code a line. dial's changes and
/// additions (WSAEACCES, WSAEALREADY, WSAEINPROGRESS, WSANOTINITIALISED, WSAEINTR) are explained in
/// docs/spec-differences.md, section 6.
constexpr mapped<connect_error> map_connect_wsa(int code) noexcept {
  using enum connect_error;
  switch (code) {
    case WSAEADDRINUSE: return {address_in_use};
    case WSAEADDRNOTAVAIL: return {address_not_available};
    case WSAECONNREFUSED: return {connection_refused};
    case WSAECONNRESET: return {connection_reset_by_peer};
    case WSAETIMEDOUT: return {connection_timed_out};
    case WSAEHOSTUNREACH: return {network_unreachable};
    case WSAENETUNREACH: return {network_unreachable};
    case WSAEWOULDBLOCK: return {would_block};  // non-blocking socket: the attempt is under way
    case WSAEACCES:
      return {access_denied};  // spec: unreachable; its documentation: AccessDenied (broadcast)
    case WSAENOBUFS: return {system_resources};
    case WSAEAFNOSUPPORT: return {address_family_not_supported};
    // dial's additions: codes the specification's Windows branch has no line for.
    case WSAEALREADY:
      return {connection_pending};  // a non-blocking connect is still in progress on the socket
    case WSAEINPROGRESS:
      return {would_block};  // another blocking call is in progress: retry later, as EINPROGRESS
    case WSAEINTR:
      return {unexpected};  // a cancelled call (no signals on Windows): kept, never retried
    // Programmer errors: the specification's `unreachable` lines. Each traps, never UB.
    case WSAEFAULT:
      return {unexpected,
              "the address or its length is not valid (outside the address space, or "
              "shorter than the family's sockaddr)"};
    case WSAEINVAL:
      return {unexpected, "the socket is listening: a listening socket cannot connect"};
    case WSAEISCONN: return {unexpected, "the socket is already connected"};
    case WSAENOTSOCK:
      return {unexpected, "the handle is not a socket: closed already, or never a socket"};
    case WSANOTINITIALISED:  // dial's addition: see detail::trap_if_not_a_socket
      return {unexpected,
              "Winsock is not started, so no socket is open: the handle is not a "
              "socket"};
    default: return {unexpected};
  }
}

}  // namespace

#ifdef DIAL_TEST_HOOKS
detail::test_hooks::connect_fn detail::test_hooks::connect = nullptr;
#endif

namespace detail {

// The bare system call (a test build may stand in for it: windows/test_hooks.hpp).
int connect_native(socket_t s, const sockaddr* a, socklen_t n) {
#ifdef DIAL_TEST_HOOKS
  if (test_hooks::connect != nullptr) return test_hooks::connect(s, a, n);
#endif
  return ::connect(s, a, n);
}

// The out-of-line rest of connect: the mapping. Nothing is retried: Windows has no signals that
// interrupt a system call, so there is no EINTR to resume (docs/spec-differences.md, section 6).
std::expected<void, connect_error> connect_failed(socket_t, const sockaddr*, socklen_t) noexcept {
  return std::unexpected(connect_error_from_native(::WSAGetLastError(), "connect"));
}

}  // namespace detail

connect_error connect_error_from_native(int code, std::string_view call) noexcept {
  return detail::finish(map_connect_wsa(code), call, code);
}

std::expected<void, connect_error> getsockopt_error(socket_t sock) noexcept {
  int err = 0;
  int len = sizeof err;
  if (::getsockopt(sock, SOL_SOCKET, SO_ERROR, reinterpret_cast<char*>(&err), &len) != 0) {
    const int e = ::WSAGetLastError();
    detail::trap_if_not_a_socket("getsockopt(SO_ERROR)", e);
    detail::record_native(e);
    detail::report_unexpected("getsockopt(SO_ERROR)", e);
    return std::unexpected(connect_error::unexpected);
  }
  if (err == 0) return {};
  return std::unexpected(connect_error_from_native(err, "getsockopt(SO_ERROR)"));
}

}  // namespace dial
