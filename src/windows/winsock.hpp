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

#include "common/native.hpp"
#include "dial/error.hpp"
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

/// The one way a sibling call's WSA table answer is finished (as src/posix/errno_map.hpp does for
/// errno): trap on a programmer error, otherwise record the code for last_native_error() and
/// report an Unexpected one.
template <error_set E>
E finish(mapped<E> m, std::string_view call, int code) noexcept {
  return finish_mapped(m, call, code, wsa_name(code));
}

// The trap reasons every call on a socket shares.
inline constexpr const char* wsa_not_a_socket =
    "the handle is not a socket: closed already, or never a socket";
inline constexpr const char* wsa_not_initialised =
    "Winsock is not started, so no socket is open: the handle is not a socket";
inline constexpr const char* wsa_bad_pointer =
    "a pointer or length argument is not valid (outside the address space, or a length too "
    "small for the structure)";

}  // namespace dial::detail
