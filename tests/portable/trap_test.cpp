// tests/portable/trap_test.cpp: programmer errors trap, for real, on Linux and Windows: the
// default trap names the call and aborts; an installed handler sees the same report.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>

#include "dial/error.hpp"
#include "dial/sys.hpp"
#include "portable_support.hpp"

namespace {

namespace p = dial::portable;

// Death-test regexes stay within what GoogleTest's simple regex engine on Windows accepts: no
// alternation, groups or brackets. ".*ENOTSOCK" matches ENOTSOCK and WSAENOTSOCK alike.
class PortableTrapDeathTest : public ::testing::Test {
 protected:
  void SetUp() override { GTEST_FLAG_SET(death_test_style, "threadsafe"); }
};

TEST_F(PortableTrapDeathTest, ConnectOnAHandleThatIsNotASocketTraps) {
  auto l = p::tcp_listener(p::af_inet);
  p::not_a_socket h;
  EXPECT_EXIT((void)dial::connect(h.get(), l.where.sa(), l.where.len), p::aborted,
              "programmer error trapped in connect: .*ENOTSOCK");
}

TEST_F(PortableTrapDeathTest, ConnectOnAConnectedSocketTraps) {
  auto l = p::tcp_listener(p::af_inet);
  auto s = p::tcp_socket(p::af_inet);
  ASSERT_TRUE(dial::connect(s.get(), l.where.sa(), l.where.len));
  EXPECT_EXIT((void)dial::connect(s.get(), l.where.sa(), l.where.len), p::aborted,
              "trapped in connect: .*EISCONN.*already connected");
}

TEST_F(PortableTrapDeathTest, ConnectOnAListeningSocketTraps) {
  // Linux says EISCONN, Windows WSAEINVAL: both are the caller's bug.
  auto l = p::tcp_listener(p::af_inet);
  auto other = p::closed_port(p::af_inet);
  EXPECT_EXIT((void)dial::connect(l.sock.get(), other.where.sa(), other.where.len), p::aborted,
              "programmer error trapped in connect: ");
}

TEST_F(PortableTrapDeathTest, DoubleCloseTraps) {
  auto s = p::tcp_socket(p::af_inet);
  const dial::socket_t raw = s.release();
  dial::close(raw);
  EXPECT_EXIT(dial::close(raw), p::aborted, "programmer error trapped in close: ");
}

TEST_F(PortableTrapDeathTest, GetsockoptErrorOnAHandleThatIsNotASocketTraps) {
  p::not_a_socket h;
  EXPECT_EXIT((void)dial::getsockopt_error(h.get()), p::aborted,
              "trapped in getsockopt.SO_ERROR.: .*ENOTSOCK");
}

[[noreturn]] void exit_with_report(const dial::trap_info& t) {
  std::fprintf(stderr, "handler: call=%.*s name=%.*s\n", static_cast<int>(t.call.size()),
               t.call.data(), static_cast<int>(t.native_name.size()), t.native_name.data());
  std::fflush(stderr);
  std::_Exit(42);
}

TEST_F(PortableTrapDeathTest, AnInstalledHandlerSeesCallAndName) {
  auto l = p::tcp_listener(p::af_inet);
  p::not_a_socket h;
  EXPECT_EXIT(
      {
        dial::set_trap_handler(exit_with_report);
        (void)dial::connect(h.get(), l.where.sa(), l.where.len);
      },
      ::testing::ExitedWithCode(42), "handler: call=connect name=.*ENOTSOCK");
}

}  // namespace
