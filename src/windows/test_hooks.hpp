// src/windows/test_hooks.hpp: the test seam of the Winsock back-end. Windows has no seccomp, so a
// build configured with DIAL_TEST_HOOKS=ON (the `mingw` preset's tests) lets a test stand in for
// Winsock's connect; every other build compiles the bare call and this header declares nothing.
#pragma once

#include "dial/sys.hpp"

#ifdef DIAL_TEST_HOOKS
namespace dial::detail::test_hooks {

/// When non-null, detail::connect_native calls this instead of Winsock's connect. It must behave
/// like connect: return 0, or set the code with WSASetLastError and return SOCKET_ERROR (-1).
/// Set it from one thread while no dial call runs; restore nullptr afterwards.
using connect_fn = int (*)(socket_t sock, const sockaddr* addr, socklen_t len);
extern connect_fn connect;

}  // namespace dial::detail::test_hooks
#endif
