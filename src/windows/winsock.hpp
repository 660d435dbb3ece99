// src/windows/winsock.hpp: what the Winsock back-end's sources share: the Windows headers, the
// one WSAStartup, and the names of the codes that trap.
#pragma once

#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#ifndef NOMINMAX
#define NOMINMAX
#endif
#include <winsock2.h>

#include <string_view>
#include <type_traits>

#include "dial/sys.hpp"

static_assert(std::is_same_v<SOCKET, dial::socket_t>, "dial::socket_t must be Winsock's SOCKET");
static_assert(INVALID_SOCKET == dial::invalid_socket);

namespace dial::detail {

/// Starts Winsock 2.2 for the process, once: the first call that succeeds holds dial's one
/// reference for the rest of the process (there is no WSACleanup; see docs/errors.md). Thread-safe.
/// Returns 0, or the WSA code WSAStartup failed with (a later call tries again). Cold: callers
/// reach it only after Winsock answered WSANOTINITIALISED.
[[gnu::cold]] int wsa_start() noexcept;

/// The symbolic name of a WSA code dial traps on or documents ("WSAENOTSOCK"); "WSA error"
/// for any other.
[[nodiscard]] std::string_view wsa_name(int code) noexcept;

/// Traps when a call on an existing socket failed because the handle cannot be a socket:
/// WSAENOTSOCK, or WSANOTINITIALISED (no socket can be open while Winsock is not started: dial
/// starts it before creating any, and a WSACleanup too many closes them all).
void trap_if_not_a_socket(std::string_view call, int code) noexcept;

}  // namespace dial::detail
