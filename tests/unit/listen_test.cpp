// tests/unit/listen_test.cpp: dial::listen, every line of its table (real kernel, injection,
// death tests).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "dial/dial.hpp"
#include "sibling_support.hpp"
#include "support.hpp"

namespace {

using dial::listen_error;
namespace t = dial::test;
namespace sib = dial::test::sib;
using ::testing::KilledBySignal;

t::fd bound_tcp(const t::addr& where, bool reuse) {
  auto s = t::make_socket(AF_INET, SOCK_STREAM);
  const int on = reuse ? 1 : 0;
  if (::setsockopt(s.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) != 0 ||
      ::bind(s.get(), where.sa(), where.len) != 0)
    ADD_FAILURE() << "bind";
  return s;
}

TEST(Listen, SucceedsAndAcceptsAConnection) {
  auto s = bound_tcp(t::ip("127.0.0.1", 0), false);
  ASSERT_TRUE(dial::listen(s.get(), 8));
  t::addr where;
  where.len = sizeof where.ss;
  ASSERT_EQ(::getsockname(s.get(), where.sa(), &where.len), 0);
  auto c = t::make_socket(AF_INET, SOCK_STREAM);
  EXPECT_EQ(::connect(c.get(), where.sa(), where.len), 0);
}

TEST(Listen, SucceedsOnAnUnboundTcpSocketByBindingAnEphemeralPort) {
  auto s = t::make_socket(AF_INET, SOCK_STREAM);
  ASSERT_TRUE(dial::listen(s.get(), 8));
  t::addr where;
  where.len = sizeof where.ss;
  ASSERT_EQ(::getsockname(s.get(), where.sa(), &where.len), 0);
  EXPECT_NE(where.port(), 0);
}

TEST(Listen, AddressInUseWhenAnotherSocketListensOnThePort) {
  // Both bound to one port with SO_REUSEADDR, which Linux allows while neither listens.
  auto first = bound_tcp(t::ip("127.0.0.1", 0), true);
  t::addr where;
  where.len = sizeof where.ss;
  ASSERT_EQ(::getsockname(first.get(), where.sa(), &where.len), 0);
  auto second = bound_tcp(where, true);
  ASSERT_TRUE(dial::listen(first.get(), 8));
  auto r = dial::listen(second.get(), 8);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), listen_error::address_in_use);
  EXPECT_EQ(dial::last_native_error(), EADDRINUSE);
}

TEST(Listen, OperationNotSupportedForDatagramSockets) {
  for (int family : {AF_INET, AF_INET6, AF_UNIX}) {
    auto s = t::make_socket(family, SOCK_DGRAM);
    auto r = dial::listen(s.get(), 8);
    ASSERT_FALSE(r) << family;
    EXPECT_EQ(r.error(), listen_error::operation_not_supported) << family;
    EXPECT_EQ(dial::last_native_error(), EOPNOTSUPP);
  }
}

// ---- every line of the table, injected ----------------------------------------------------

class ListenTable : public ::testing::TestWithParam<sib::line<listen_error>> {};

TEST_P(ListenTable, MapsTheInjectedCodeToItsName) {
  auto s = t::make_socket(AF_INET, SOCK_STREAM);
  const int rc =
      sib::injected(SYS_listen, GetParam().code, s.get(), [&] { return dial::listen(s.get(), 8); });
  EXPECT_EQ(rc, sib::code(GetParam().want));
}

INSTANTIATE_TEST_SUITE_P(Table, ListenTable,
                         ::testing::Values(DIAL_LINE(listen_error, EADDRINUSE, address_in_use),
                                           DIAL_LINE(listen_error, EOPNOTSUPP,
                                                     operation_not_supported),
                                           DIAL_LINE(listen_error, ENOBUFS, system_resources),
                                           DIAL_LINE(listen_error, ENOMEM, system_resources)),
                         sib::line_name<listen_error>);

INSTANTIATE_TEST_SUITE_P(OutsideTheTable, ListenTable,
                         ::testing::Values(DIAL_LINE(listen_error, EIO, unexpected),
                                           DIAL_LINE(listen_error, EACCES, unexpected),
                                           DIAL_LINE(listen_error, EISCONN, unexpected)),
                         sib::line_name<listen_error>);

class ListenTrapTable : public ::testing::TestWithParam<sib::line<listen_error>> {};

TEST_P(ListenTrapTable, InjectedProgrammerErrorTraps) {
  auto s = t::make_socket(AF_INET, SOCK_STREAM);
  const int rc =
      sib::injected(SYS_listen, GetParam().code, s.get(), [&] { return dial::listen(s.get(), 8); });
  EXPECT_EQ(rc, sib::trapped);
}

INSTANTIATE_TEST_SUITE_P(Traps, ListenTrapTable,
                         ::testing::Values(DIAL_LINE(listen_error, EBADF, unexpected),
                                           DIAL_LINE(listen_error, ENOTSOCK, unexpected),
                                           DIAL_LINE(listen_error, EINVAL, unexpected)),
                         sib::line_name<listen_error>);

TEST(ListenErrorFromNative, IsThePureTable) {
  EXPECT_EQ(dial::listen_error_from_native(EOPNOTSUPP), listen_error::operation_not_supported);
  EXPECT_EQ(dial::last_native_error(), EOPNOTSUPP);
}

// ---- traps against the real kernel ----------------------------------------------------------

class ListenTrapDeathTest : public ::testing::Test {
 protected:
  void SetUp() override { GTEST_FLAG_SET(death_test_style, "threadsafe"); }
};

TEST_F(ListenTrapDeathTest, AnUnboundUnixSocketTraps) {
  auto s = t::make_socket(AF_UNIX, SOCK_STREAM);
  EXPECT_EXIT((void)dial::listen(s.get(), 8), KilledBySignal(SIGABRT),
              "programmer error trapped in listen: EINVAL .*never bound");
}

TEST_F(ListenTrapDeathTest, AConnectedSocketTraps) {
  auto p = sib::connected_tcp();
  EXPECT_EXIT((void)dial::listen(p.client.get(), 8), KilledBySignal(SIGABRT),
              "listen: EINVAL .*connected");
}

TEST_F(ListenTrapDeathTest, BadDescriptorTraps) {
  const int bad = t::make_socket(AF_INET, SOCK_STREAM).get();  // closed at once
  EXPECT_EXIT((void)dial::listen(bad, 8), KilledBySignal(SIGABRT), "listen: EBADF");
}

TEST_F(ListenTrapDeathTest, NotASocketTraps) {
  int p[2];
  ASSERT_EQ(::pipe2(p, O_CLOEXEC), 0);
  t::fd r(p[0]), w(p[1]);
  EXPECT_EXIT((void)dial::listen(r.get(), 8), KilledBySignal(SIGABRT), "listen: ENOTSOCK");
}

}  // namespace
