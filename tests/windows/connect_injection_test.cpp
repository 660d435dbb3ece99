// tests/windows/connect_injection_test.cpp: every line of connect's WSA table end to end: a test
// build (DIAL_TEST_HOOKS) stands in for Winsock's connect, which fails with the chosen code, and
// dial::connect must return its name with the code kept. Windows has no seccomp to do this with.
#include <gtest/gtest.h>
#include <winsock2.h>

#include <string>

#include "dial/error.hpp"
#include "dial/sys.hpp"
#include "portable_support.hpp"
#include "windows/test_hooks.hpp"

namespace {

using dial::connect_error;
namespace hooks = dial::detail::test_hooks;
namespace p = dial::portable;

int injected_code = 0;

int failing_connect(dial::socket_t, const sockaddr*, dial::socklen_t) {
  ::WSASetLastError(injected_code);
  return SOCKET_ERROR;
}

// Winsock's connect fails with `code` for the guard's lifetime.
struct inject {
  explicit inject(int code) {
    injected_code = code;
    hooks::connect = failing_connect;
  }
  inject(const inject&) = delete;
  inject& operator=(const inject&) = delete;
  ~inject() { hooks::connect = nullptr; }
};

struct line {
  int code;
  const char* code_name;
  connect_error want;
};

void PrintTo(const line& l, std::ostream* os) { *os << l.code_name; }

class WsaConnectInjection : public ::testing::TestWithParam<line> {};

TEST_P(WsaConnectInjection, ConnectReturnsTheNameAndKeepsTheCode) {
  const auto& l = GetParam();
  auto s = p::tcp_socket(p::af_inet);
  const auto to = p::loopback(p::af_inet, 9);
  const inject guard(l.code);
  auto r = dial::connect(s.get(), to.sa(), to.len);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), l.want) << l.code_name << " should be " << dial::name(l.want);
  EXPECT_EQ(dial::last_native_error(), l.code);
}

#define DIAL_LINE(code, want) \
  line { code, #code, connect_error::want }
INSTANTIATE_TEST_SUITE_P(Table, WsaConnectInjection,
                         ::testing::Values(DIAL_LINE(WSAEADDRINUSE, address_in_use),
                                           DIAL_LINE(WSAEADDRNOTAVAIL, address_not_available),
                                           DIAL_LINE(WSAECONNREFUSED, connection_refused),
                                           DIAL_LINE(WSAECONNRESET, connection_reset_by_peer),
                                           DIAL_LINE(WSAETIMEDOUT, connection_timed_out),
                                           DIAL_LINE(WSAEHOSTUNREACH, network_unreachable),
                                           DIAL_LINE(WSAENETUNREACH, network_unreachable),
                                           DIAL_LINE(WSAEWOULDBLOCK, would_block),
                                           DIAL_LINE(WSAENOBUFS, system_resources),
                                           DIAL_LINE(WSAEAFNOSUPPORT, address_family_not_supported),
                                           DIAL_LINE(WSAEACCES, access_denied),
                                           DIAL_LINE(WSAEALREADY, connection_pending),
                                           DIAL_LINE(WSAEINPROGRESS, would_block),
                                           DIAL_LINE(WSAEINTR, unexpected),
                                           DIAL_LINE(WSAENETDOWN, unexpected)),
                         [](const ::testing::TestParamInfo<line>& i) {
                           return std::string(i.param.code_name);
                         });
#undef DIAL_LINE

class WsaConnectInjectionDeathTest : public ::testing::TestWithParam<line> {
 protected:
  void SetUp() override { GTEST_FLAG_SET(death_test_style, "threadsafe"); }
};

TEST_P(WsaConnectInjectionDeathTest, ConnectTrapsWithTheCodesName) {
  const auto& l = GetParam();
  auto s = p::tcp_socket(p::af_inet);
  const auto to = p::loopback(p::af_inet, 9);
  EXPECT_EXIT(
      {
        const inject guard(l.code);
        (void)dial::connect(s.get(), to.sa(), to.len);
      },
      p::aborted, std::string("programmer error trapped in connect: ") + l.code_name);
}

#define DIAL_TRAP(code) \
  line { code, #code, connect_error::unexpected }
INSTANTIATE_TEST_SUITE_P(Unreachable, WsaConnectInjectionDeathTest,
                         ::testing::Values(DIAL_TRAP(WSAEFAULT), DIAL_TRAP(WSAEINVAL),
                                           DIAL_TRAP(WSAEISCONN), DIAL_TRAP(WSAENOTSOCK)),
                         [](const ::testing::TestParamInfo<line>& i) {
                           return std::string(i.param.code_name);
                         });
#undef DIAL_TRAP

}  // namespace
