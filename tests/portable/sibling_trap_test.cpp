// tests/portable/sibling_trap_test.cpp: the socket layer's other calls trap on programmer errors,
// for real, on Linux (a pipe: ENOTSOCK) and Windows (an event handle: WSAENOTSOCK).
#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <cstddef>

#include "dial/dialer.hpp"
#include "dial/error.hpp"
#include "dial/sys.hpp"
#include "portable_support.hpp"

namespace {

namespace p = dial::portable;
using namespace std::chrono_literals;

// Death-test regexes stay within GoogleTest's simple regex engine on Windows (no alternation).
class PortableSiblingTrapDeathTest : public ::testing::Test {
 protected:
  void SetUp() override { GTEST_FLAG_SET(death_test_style, "threadsafe"); }
};

TEST_F(PortableSiblingTrapDeathTest, EveryCallOnAHandleThatIsNotASocketTraps) {
  p::not_a_socket h;
  const auto at = p::loopback(p::af_inet, 0);
  auto name = p::buffer();
  std::array<std::byte, 8> buf{};
  int value = 0;
  dial::socklen_t len = sizeof value;
  EXPECT_EXIT((void)dial::bind(h.get(), at.sa(), at.len), p::aborted,
              "trapped in bind: .*ENOTSOCK");
  EXPECT_EXIT((void)dial::listen(h.get(), 1), p::aborted, "trapped in listen: .*ENOTSOCK");
  EXPECT_EXIT((void)dial::accept(h.get()), p::aborted, "trapped in accept: .*ENOTSOCK");
  EXPECT_EXIT((void)dial::getsockname(h.get(), name.sa(), &name.len), p::aborted,
              "trapped in getsockname: .*ENOTSOCK");
  EXPECT_EXIT((void)dial::getpeername(h.get(), name.sa(), &name.len), p::aborted,
              "trapped in getpeername: .*ENOTSOCK");
  EXPECT_EXIT((void)dial::shutdown(h.get(), dial::shutdown_how::both), p::aborted,
              "trapped in shutdown: .*ENOTSOCK");
  EXPECT_EXIT((void)dial::setsockopt(h.get(), p::sol_socket, p::so_reuseaddr, &value, len),
              p::aborted, "trapped in setsockopt: .*ENOTSOCK");
  EXPECT_EXIT((void)dial::getsockopt(h.get(), p::sol_socket, p::so_reuseaddr, &value, &len),
              p::aborted, "trapped in getsockopt: .*ENOTSOCK");
  EXPECT_EXIT((void)dial::send(h.get(), buf), p::aborted, "trapped in send: .*ENOTSOCK");
  EXPECT_EXIT((void)dial::sendto(h.get(), buf, at.sa(), at.len), p::aborted,
              "trapped in send: .*ENOTSOCK");
  EXPECT_EXIT((void)dial::recv(h.get(), buf), p::aborted, "trapped in recv: .*ENOTSOCK");
  EXPECT_EXIT((void)dial::recvfrom(h.get(), buf, name.sa(), &name.len), p::aborted,
              "trapped in recv: .*ENOTSOCK");
  // Linux: connect says ENOTSOCK; Windows: setting FIONBIO first says WSAENOTSOCK.
  EXPECT_EXIT((void)dial::connect_for(h.get(), at.sa(), at.len, 1s), p::aborted,
              "trapped in connect.*: .*ENOTSOCK");
}

TEST_F(PortableSiblingTrapDeathTest, BindingTwiceTraps) {
  auto s = p::tcp_socket(p::af_inet);
  const auto at = p::loopback(p::af_inet, 0);
  ASSERT_TRUE(dial::bind(s.get(), at.sa(), at.len));
  EXPECT_EXIT((void)dial::bind(s.get(), at.sa(), at.len), p::aborted,
              "trapped in bind: .*EINVAL.*already bound");
}

TEST_F(PortableSiblingTrapDeathTest, ListenOnAConnectedSocketTraps) {
  // Linux says EINVAL, Windows WSAEISCONN: both are the caller's bug.
  auto l = p::tcp_listener(p::af_inet);
  auto s = p::tcp_socket(p::af_inet);
  ASSERT_TRUE(dial::connect(s.get(), l.where.sa(), l.where.len));
  EXPECT_EXIT((void)dial::listen(s.get(), 1), p::aborted, "programmer error trapped in listen: ");
}

TEST_F(PortableSiblingTrapDeathTest, ShutdownWithAHowOutsideTheEnumTraps) {
  auto l = p::tcp_listener(p::af_inet);
  auto s = p::tcp_socket(p::af_inet);
  ASSERT_TRUE(dial::connect(s.get(), l.where.sa(), l.where.len));
  EXPECT_EXIT((void)dial::shutdown(s.get(), static_cast<dial::shutdown_how>(7)), p::aborted,
              "trapped in shutdown: .*EINVAL");
}

}  // namespace
