// src/windows/test_hooks.cpp: the test seam's state (DIAL_TEST_HOOKS builds only; empty otherwise).
#include "windows/test_hooks.hpp"

#ifdef DIAL_TEST_HOOKS
#include "windows/winsock.hpp"

namespace dial::detail::test_hooks {

fail_fn fail = nullptr;

bool injected(std::string_view call) noexcept {
  if (fail == nullptr) return false;
  const int code = fail(call);
  if (code == 0) return false;
  ::WSASetLastError(code);
  return true;
}

}  // namespace dial::detail::test_hooks
#endif
