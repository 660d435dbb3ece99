// src/windows/accept.cpp: accept over Winsock, never inheritable, with its WSA table.
#include "dial/sys.hpp"
#include "windows/test_hooks.hpp"
#include "windows/winsock.hpp"

namespace dial {
namespace {

using detail::mapped;

/// accept's Winsock codes (Microsoft's documentation of accept) into POSIX accept's names
/// (docs/spec-differences.md, section 6).
constexpr mapped<accept_error> map_accept_wsa(int code) noexcept {
  using enum accept_error;
  switch (code) {
    case WSAEWOULDBLOCK: return {would_block};  // non-blocking listener, nothing queued
    case WSAEINPROGRESS:
      return {would_block};  // another blocking call is in progress: retry later, as connect
    case WSAECONNRESET:
      return {connection_aborted};  // the peer reset that queued connection: accept again
    case WSAECONNABORTED: return {connection_aborted};
    case WSAEINVAL: return {socket_not_listening};  // listen was not called
    case WSAEMFILE: return {process_fd_quota_exceeded};
    case WSAENOBUFS: return {system_resources};
    // Programmer errors: each traps, never UB.
    case WSAEFAULT:  // `addr` outside the address space, or `*len` too small for it
      return {unexpected, detail::wsa_bad_pointer};
    case WSAENOTSOCK: return {unexpected, detail::wsa_not_a_socket};
    case WSANOTINITIALISED: return {unexpected, detail::wsa_not_initialised};
    case WSAEOPNOTSUPP:  // a datagram socket: listen said OperationNotSupported already
      return {unexpected, "the socket type does not accept connections"};
    default: return {unexpected};  // WSAEINTR (the listener closed by another thread), WSAENETDOWN
  }
}

// The new socket is made exactly as flags say: Winsock gives it the listener's properties
// (non-blocking mode included), and dial sockets are never inheritable.
void set_up(SOCKET s, accept_flags flags) noexcept {
  ::SetHandleInformation(reinterpret_cast<HANDLE>(s), HANDLE_FLAG_INHERIT, 0);
  u_long non_blocking = flags.non_blocking ? 1 : 0;
  ::ioctlsocket(s, FIONBIO, &non_blocking);
}

}  // namespace

accept_error accept_error_from_native(int code) noexcept {
  return detail::finish(map_accept_wsa(code), "accept", code);
}

namespace detail {

// The call and the new socket's set-up (a test build may fail it first: windows/test_hooks.hpp).
socket_t accept_native(socket_t s, sockaddr* a, socklen_t* n, accept_flags f) {
  DIAL_WSA_SEAM("accept", INVALID_SOCKET);
  const SOCKET c = ::accept(s, a, n);
  if (c != INVALID_SOCKET) set_up(c, f);
  return c;
}

// No retry: Windows has no signals that interrupt accept. WSAEINTR means a cancelled call (the
// listener closed meanwhile), which a retry would act on a closed handle for.
std::expected<socket_t, accept_error> accept_failed(socket_t, sockaddr*, socklen_t*,
                                                    accept_flags) noexcept {
  return std::unexpected(accept_error_from_native(::WSAGetLastError()));
}

}  // namespace detail
}  // namespace dial
