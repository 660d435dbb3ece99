// tests/unit/trap_test.cpp: programmer errors trap (print call, code and reason; SIGABRT), for
// real.
#include <gtest/gtest.h>
#include <poll.h>
#include <unistd.h>

#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "dial/dial.hpp"
#include "support.hpp"

namespace {

using dial::connect_error;
namespace t = dial::test;
using ::testing::KilledBySignal;

class TrapDeathTest : public ::testing::Test {
 protected:
  void SetUp() override { GTEST_FLAG_SET(death_test_style, "threadsafe"); }
};

// A descriptor number that is certainly closed: one that was just open.
int closed_descriptor() {
  auto s = t::make_socket(AF_INET, SOCK_STREAM);
  return s.get();  // closed when s goes out of scope
}

TEST_F(TrapDeathTest, BadDescriptorTrapsWithCallCodeAndReason) {
  auto l = t::tcp_listener(AF_INET);
  const int bad = closed_descriptor();
  EXPECT_EXIT((void)dial::connect(bad, l.where.sa(), l.where.len), KilledBySignal(SIGABRT),
              "programmer error trapped in connect: EBADF \\(9\\): sock is not an open file");
}

TEST_F(TrapDeathTest, NotASocketTraps) {
  int p[2];
  ASSERT_EQ(::pipe(p), 0);
  t::fd r(p[0]), w(p[1]);
  auto l = t::tcp_listener(AF_INET);
  EXPECT_EXIT((void)dial::connect(r.get(), l.where.sa(), l.where.len), KilledBySignal(SIGABRT),
              "connect: ENOTSOCK .*does not refer to a socket");
}

TEST_F(TrapDeathTest, AlreadyConnectedTraps) {
  auto l = t::tcp_listener(AF_INET);
  auto s = t::make_socket(AF_INET, SOCK_STREAM);
  ASSERT_TRUE(dial::connect(s.get(), l.where.sa(), l.where.len));
  EXPECT_EXIT((void)dial::connect(s.get(), l.where.sa(), l.where.len), KilledBySignal(SIGABRT),
              "connect: EISCONN .*already connected");
}

TEST_F(TrapDeathTest, AddressOutsideTheAddressSpaceTraps) {
  auto s = t::make_socket(AF_INET, SOCK_STREAM);
  const auto* wild = reinterpret_cast<const sockaddr*>(std::uintptr_t{16});
  EXPECT_EXIT((void)dial::connect(s.get(), wild, sizeof(sockaddr_in)), KilledBySignal(SIGABRT),
              "connect: EFAULT");
}

TEST_F(TrapDeathTest, StreamSocketToADatagramPathTraps) {
  // "fast" (plain fork, no re-run of this body in the child) so that the child creates no
  // scratch directory of its own; no other thread runs here.
  GTEST_FLAG_SET(death_test_style, "fast");
  const auto dir = t::temp_dir();
  {
    auto dgram = t::unix_listener(dir + "/dgram", 0, SOCK_DGRAM);
    auto s = t::make_socket(AF_UNIX, SOCK_STREAM);
    EXPECT_EXIT((void)dial::connect(s.get(), dgram.where.sa(), dgram.where.len),
                KilledBySignal(SIGABRT), "connect: EPROTOTYPE");
  }
  std::filesystem::remove_all(dir);
}

TEST_F(TrapDeathTest, ReusingASocketWhoseConnectFailedTraps) {
  // Hold the attempt pending, let it be refused, consume the error, then connect again.
  auto full = t::full_tcp_listener(AF_INET);
  const auto where = full.l.where;
  auto s = t::make_socket(AF_INET, SOCK_STREAM, SOCK_NONBLOCK);
  ASSERT_FALSE(dial::connect(s.get(), where.sa(), where.len));
  full = {};
  pollfd p{s.get(), POLLOUT, 0};
  ASSERT_EQ(::poll(&p, 1, 10000), 1);
  auto done = dial::getsockopt_error(s.get());
  ASSERT_FALSE(done);
  ASSERT_EQ(done.error(), connect_error::connection_refused);
  EXPECT_EXIT((void)dial::connect(s.get(), where.sa(), where.len), KilledBySignal(SIGABRT),
              "connect: ECONNABORTED .*close it");
}

TEST_F(TrapDeathTest, GetsockoptErrorOnANonSocketTraps) {
  int p[2];
  ASSERT_EQ(::pipe(p), 0);
  t::fd r(p[0]), w(p[1]);
  EXPECT_EXIT((void)dial::getsockopt_error(r.get()), KilledBySignal(SIGABRT),
              "getsockopt\\(SO_ERROR\\): ENOTSOCK");
}

TEST_F(TrapDeathTest, DoubleCloseTraps) {
  auto s = dial::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_TRUE(s);
  dial::close(*s);
  EXPECT_EXIT(dial::close(*s), KilledBySignal(SIGABRT), "close: EBADF .*double close");
}

[[noreturn]] void exit_42(const dial::trap_info& info) {
  std::fprintf(stderr, "custom handler saw %.*s code %d\n", static_cast<int>(info.call.size()),
               info.call.data(), info.native_code);
  std::_Exit(42);
}

void returns_normally(const dial::trap_info&) {}

TEST_F(TrapDeathTest, AReplacementHandlerIsCalledWithTheCallAndCode) {
  auto l = t::tcp_listener(AF_INET);
  const int bad = closed_descriptor();
  EXPECT_EXIT(
      {
        dial::set_trap_handler(exit_42);
        (void)dial::connect(bad, l.where.sa(), l.where.len);
      },
      ::testing::ExitedWithCode(42), "custom handler saw connect code 9");
}

TEST_F(TrapDeathTest, AHandlerThatReturnsStillAborts) {
  auto l = t::tcp_listener(AF_INET);
  const int bad = closed_descriptor();
  EXPECT_EXIT(
      {
        dial::set_trap_handler(returns_normally);
        (void)dial::connect(bad, l.where.sa(), l.where.len);
      },
      KilledBySignal(SIGABRT), "");
}

TEST(TrapHandler, SetReturnsThePreviousHandler) {
  EXPECT_EQ(dial::set_trap_handler(returns_normally), nullptr);
  EXPECT_EQ(dial::set_trap_handler(nullptr), &returns_normally);
}

}  // namespace
