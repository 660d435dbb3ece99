// src/windows/test_hooks.hpp: the test seam of the Winsock back-end. Windows has no seccomp, so a
// build configured with DIAL_TEST_HOOKS=ON (the `mingw` preset's tests) lets a test stand in for
// Winsock's calls; every other build compiles the bare calls and this header declares nothing.
#pragma once

#include <string_view>

#include "dial/sys.hpp"

#ifdef DIAL_TEST_HOOKS
namespace dial::detail::test_hooks {

/// When non-null, detail::connect_native calls this instead of Winsock's connect. It must behave
/// like connect: return 0, or set the code with WSASetLastError and return SOCKET_ERROR (-1).
/// Set it from one thread while no dial call runs; restore nullptr afterwards.
using connect_fn = int (*)(socket_t sock, const sockaddr* addr, socklen_t len);
extern connect_fn connect;

/// When non-null, every other `detail::*_native` of src/windows (bind, listen, accept,
/// getsockname, getpeername, shutdown, setsockopt, getsockopt, send, sendto, recv, recvfrom,
/// poll) first asks it, with the call's name ("bind", "sendto", "poll", ...): a non-zero answer
/// is a WSA code the call then fails with (WSASetLastError, and SOCKET_ERROR or INVALID_SOCKET
/// returned) without reaching Winsock; 0 lets the real call run. Same rules as `connect`.
using fail_fn = int (*)(std::string_view call);
extern fail_fn fail;

/// What each `*_native` calls: true when `fail` chose a code for `call` (already set with
/// WSASetLastError).
bool injected(std::string_view call) noexcept;

}  // namespace dial::detail::test_hooks
#define DIAL_WSA_SEAM(call, failed) \
  if (::dial::detail::test_hooks::injected(call)) return failed
#else
#define DIAL_WSA_SEAM(call, failed) static_cast<void>(0)
#endif
