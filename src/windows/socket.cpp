// src/windows/socket.cpp: socket and close over Winsock, with the WSA table of socket.
#include "common/native.hpp"
#include "dial/sys.hpp"
#include "windows/winsock.hpp"

namespace dial {
namespace {

/// Modelled on Zig's WSASocketW switch (WSAEAFNOSUPPORT, WSAEMFILE, WSAENOBUFS,
/// WSAEPROTONOSUPPORT); the other lines are dial's, mirroring the POSIX table
/// (docs/spec-differences.md, sections 5 and 6).
constexpr socket_error map_socket_wsa(int code) noexcept {
  using enum socket_error;
  switch (code) {
    case WSAEACCES: return access_denied;  // raw sockets without administrator rights
    case WSAEAFNOSUPPORT: return address_family_not_supported;
    case WSAEINVAL:
      return protocol_family_not_available;  // an invalid af/type/protocol combination or flag
    case WSAEMFILE: return process_fd_quota_exceeded;
    case WSAENOBUFS: return system_resources;
    case WSAEPROTONOSUPPORT: return protocol_not_supported;
    case WSAEPROTOTYPE: return socket_type_not_supported;
    case WSAESOCKTNOSUPPORT: return socket_type_not_supported;
    default: return unexpected;  // WSAENETDOWN, provider failures, a failed WSAStartup, ...
  }
}

// Flags of every socket dial creates: not inheritable by child processes (the close-on-exec of
// Windows), and overlapped, as Winsock's own socket() makes them, so that IOCP can use them.
constexpr DWORD socket_flags = WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT;

// The first socket of the process: Winsock answered WSANOTINITIALISED, so start it and try again.
[[gnu::cold]] SOCKET socket_after_start(int domain, int type, int protocol) noexcept {
  if (const int rc = detail::wsa_start(); rc != 0) {
    ::WSASetLastError(rc);  // socket_failed maps the reason Winsock could not start
    return INVALID_SOCKET;
  }
  return ::WSASocketW(domain, type, protocol, nullptr, 0, socket_flags);
}

}  // namespace

socket_error socket_error_from_native(int code) noexcept {
  const socket_error e = map_socket_wsa(code);
  detail::record_native(code);
  if (e == socket_error::unexpected) detail::report_unexpected("socket", code);
  return e;
}

namespace detail {

// The bare call, plus one compare that is only reached on failure: Winsock is started lazily,
// the first time it answers WSANOTINITIALISED (users never call WSAStartup for dial). `type` is
// passed unchanged: Winsock has no SOCK_NONBLOCK or SOCK_CLOEXEC bits (docs/errors.md).
socket_t socket_native(int domain, int type, int protocol) {
  const SOCKET s = ::WSASocketW(domain, type, protocol, nullptr, 0, socket_flags);
  if (s != INVALID_SOCKET || ::WSAGetLastError() != WSANOTINITIALISED) [[likely]]
    return s;
  return socket_after_start(domain, type, protocol);
}

socket_error socket_failed() noexcept { return socket_error_from_native(::WSAGetLastError()); }

int close_native(socket_t sock) { return ::closesocket(sock); }

void close_failed() noexcept {
  const int e = ::WSAGetLastError();
  trap_if_not_a_socket("close", e);
  // WSAENETDOWN, WSAEINTR, WSAEINPROGRESS, WSAEWOULDBLOCK (a non-blocking socket with a linger
  // timeout): nothing the caller can act on; the code is kept for last_native_error().
  record_native(e);
}

}  // namespace detail
}  // namespace dial
