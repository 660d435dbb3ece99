// src/windows/socket_owner_os.cpp: the Winsock answers to src/common/socket_owner_os.hpp.
#include "windows/winsock.hpp"

#include "common/socket_owner_os.hpp"

namespace dial::detail {

// Winsock has no SOCK_NONBLOCK: owner_set_non_blocking does it after socket().
int owner_socket_type(socket_type type, bool) noexcept {
  return type == socket_type::datagram ? SOCK_DGRAM : SOCK_STREAM;
}

bool owner_set_non_blocking(socket_t s) noexcept {
  u_long on = 1;
  if (::ioctlsocket(s, FIONBIO, &on) == 0) return true;
  record_native(::WSAGetLastError());
  return false;
}

// A non-blocking Winsock connect under way answers WSAEWOULDBLOCK (not WSAEINPROGRESS).
bool owner_attempt_in_progress(int native_code) noexcept { return native_code == WSAEWOULDBLOCK; }

// Windows picks the source port at bind time; there is no IP_BIND_ADDRESS_NO_PORT.
void owner_defer_source_port(socket_t) noexcept {}

// SO_REUSEADDR on Windows lets another socket bind the same port and steal connections;
// SO_EXCLUSIVEADDRUSE is the safe listener default Microsoft documents for servers.
bool owner_prepare_listener(socket_t s) noexcept {
  const BOOL on = TRUE;
  return bool(dial::setsockopt(s, SOL_SOCKET, SO_EXCLUSIVEADDRUSE, &on, sizeof on));
}

}  // namespace dial::detail
