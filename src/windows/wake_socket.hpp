// src/windows/wake_socket.hpp: what a pipe or an eventfd is on POSIX, for Winsock's poll, which
// takes sockets only: a loopback UDP socket connected to itself (src/windows/dialer_os.cpp).
#pragma once

#include <expected>

#include "dial/sys.hpp"

namespace dial::detail {

/// A non-blocking, not inheritable UDP socket bound to 127.0.0.1:0 and connected to itself:
/// wake_socket_send makes it poll readable (poll_in). The socket, or the WSA code that kept it from
/// being made (socket, bind, getsockname, connect or ioctlsocket; nothing is left open then).
/// Nothing is recorded for last_native_error().
[[nodiscard]] std::expected<socket_t, int> make_wake_socket() noexcept;

/// Makes `s` readable: sends it one byte. Safe from any thread while `s` is open; a full buffer
/// means it is readable already.
void wake_socket_send(socket_t s) noexcept;

/// Reads what wake_socket_send sent, so that `s` stops polling readable (until the next send).
void wake_socket_drain(socket_t s) noexcept;

}  // namespace dial::detail
