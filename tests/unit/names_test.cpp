// tests/unit/names_test.cpp: dial::getsockname, dial::getpeername and dial::shutdown, every line
// of their tables (real kernel, injection, death tests).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdint>

#include "dial/dial.hpp"
#include "sibling_support.hpp"
#include "support.hpp"

namespace {

using dial::getpeername_error;
using dial::getsockname_error;
using dial::shutdown_error;
namespace t = dial::test;
namespace sib = dial::test::sib;
using ::testing::KilledBySignal;

TEST(Getsockname, GivesTheLocalAddressAndGetpeernameThePeers) {
  auto p = sib::connected_tcp(AF_INET6);
  t::addr local, peer, server_local;
  local.len = peer.len = server_local.len = sizeof local.ss;
  ASSERT_TRUE(dial::getsockname(p.client.get(), local.sa(), &local.len));
  ASSERT_TRUE(dial::getpeername(p.server.get(), peer.sa(), &peer.len));
  EXPECT_EQ(local.family(), AF_INET6);
  EXPECT_EQ(local.len, sizeof(sockaddr_in6));
  EXPECT_EQ(local.port(), peer.port());
}

TEST(Getsockname, ReportsTheFullLengthWhenTheBufferIsTooSmall) {
  auto p = sib::connected_tcp(AF_INET6);
  sockaddr_in small{};
  dial::socklen_t len = sizeof small;
  ASSERT_TRUE(dial::getsockname(p.client.get(), reinterpret_cast<sockaddr*>(&small), &len));
  EXPECT_EQ(len, sizeof(sockaddr_in6));  // truncated: the caller can tell
}

TEST(Getpeername, SocketNotConnectedForAnUnconnectedSocketAndAListener) {
  // Zig leaves this ENOTCONN Unexpected; a socket without a peer is an ordinary condition.
  auto s = t::make_socket(AF_INET, SOCK_STREAM);
  auto l = t::tcp_listener(AF_INET);
  for (int fd : {s.get(), l.sock.get()}) {
    t::addr a;
    a.len = sizeof a.ss;
    auto r = dial::getpeername(fd, a.sa(), &a.len);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), getpeername_error::socket_not_connected);
    EXPECT_EQ(dial::last_native_error(), ENOTCONN);
  }
}

TEST(Shutdown, SendingSideMakesThePeerReadEndOfStream) {
  auto p = sib::connected_tcp();
  ASSERT_TRUE(dial::shutdown(p.client.get(), dial::shutdown_how::send));
  char c;
  EXPECT_EQ(::recv(p.server.get(), &c, 1, 0), 0);
  ASSERT_TRUE(dial::shutdown(p.client.get(), dial::shutdown_how::both));
}

TEST(Shutdown, SocketNotConnectedForUnconnectedSockets) {
  for (int type : {SOCK_STREAM, SOCK_DGRAM}) {
    auto s = t::make_socket(AF_INET, type);
    auto r = dial::shutdown(s.get(), dial::shutdown_how::both);
    ASSERT_FALSE(r) << type;
    EXPECT_EQ(r.error(), shutdown_error::socket_not_connected) << type;
    EXPECT_EQ(dial::last_native_error(), ENOTCONN);
  }
}

// ---- every line of the tables, injected ---------------------------------------------------

template <class E>
class NameTable : public ::testing::TestWithParam<sib::line<E>> {};

using GetsocknameTable = NameTable<getsockname_error>;
using GetpeernameTable = NameTable<getpeername_error>;
using ShutdownTable = NameTable<shutdown_error>;

int injected_getsockname(int code) {
  auto p = sib::connected_tcp();
  t::addr a;
  a.len = sizeof a.ss;
  return sib::injected(SYS_getsockname, code, p.client.get(),
                       [&] { return dial::getsockname(p.client.get(), a.sa(), &a.len); });
}

int injected_getpeername(int code) {
  auto p = sib::connected_tcp();
  t::addr a;
  a.len = sizeof a.ss;
  return sib::injected(SYS_getpeername, code, p.client.get(),
                       [&] { return dial::getpeername(p.client.get(), a.sa(), &a.len); });
}

int injected_shutdown(int code) {
  auto p = sib::connected_tcp();
  return sib::injected(SYS_shutdown, code, p.client.get(),
                       [&] { return dial::shutdown(p.client.get(), dial::shutdown_how::both); });
}

TEST_P(GetsocknameTable, MapsTheInjectedCodeToItsName) {
  EXPECT_EQ(injected_getsockname(GetParam().code), sib::code(GetParam().want));
}
TEST_P(GetpeernameTable, MapsTheInjectedCodeToItsName) {
  EXPECT_EQ(injected_getpeername(GetParam().code), sib::code(GetParam().want));
}
TEST_P(ShutdownTable, MapsTheInjectedCodeToItsName) {
  EXPECT_EQ(injected_shutdown(GetParam().code), sib::code(GetParam().want));
}

INSTANTIATE_TEST_SUITE_P(Table, GetsocknameTable,
                         ::testing::Values(DIAL_LINE(getsockname_error, ENOBUFS, system_resources),
                                           DIAL_LINE(getsockname_error, ENOMEM, system_resources)),
                         sib::line_name<getsockname_error>);
INSTANTIATE_TEST_SUITE_P(OutsideTheTable, GetsocknameTable,
                         ::testing::Values(DIAL_LINE(getsockname_error, EIO, unexpected),
                                           DIAL_LINE(getsockname_error, ENOTCONN, unexpected)),
                         sib::line_name<getsockname_error>);

INSTANTIATE_TEST_SUITE_P(Table, GetpeernameTable,
                         ::testing::Values(DIAL_LINE(getpeername_error, ENOTCONN,
                                                     socket_not_connected),
                                           DIAL_LINE(getpeername_error, ENOBUFS, system_resources),
                                           DIAL_LINE(getpeername_error, ENOMEM, system_resources)),
                         sib::line_name<getpeername_error>);
INSTANTIATE_TEST_SUITE_P(OutsideTheTable, GetpeernameTable,
                         ::testing::Values(DIAL_LINE(getpeername_error, EIO, unexpected),
                                           DIAL_LINE(getpeername_error, EPERM, unexpected)),
                         sib::line_name<getpeername_error>);

INSTANTIATE_TEST_SUITE_P(Table, ShutdownTable,
                         ::testing::Values(DIAL_LINE(shutdown_error, ENOTCONN,
                                                     socket_not_connected),
                                           DIAL_LINE(shutdown_error, ENOBUFS, system_resources),
                                           DIAL_LINE(shutdown_error, ENOMEM, system_resources)),
                         sib::line_name<shutdown_error>);
INSTANTIATE_TEST_SUITE_P(OutsideTheTable, ShutdownTable,
                         ::testing::Values(DIAL_LINE(shutdown_error, EIO, unexpected),
                                           DIAL_LINE(shutdown_error, ECONNRESET, unexpected)),
                         sib::line_name<shutdown_error>);

class NameTrapTable : public ::testing::TestWithParam<int> {};

TEST_P(NameTrapTable, InjectedProgrammerErrorTrapsInGetsocknameAndGetpeername) {
  EXPECT_EQ(injected_getsockname(GetParam()), sib::trapped);
  EXPECT_EQ(injected_getpeername(GetParam()), sib::trapped);
}

INSTANTIATE_TEST_SUITE_P(Traps, NameTrapTable, ::testing::Values(EBADF, ENOTSOCK, EFAULT, EINVAL),
                         sib::errno_label);

class ShutdownTrapTable : public ::testing::TestWithParam<int> {};

TEST_P(ShutdownTrapTable, InjectedProgrammerErrorTraps) {
  EXPECT_EQ(injected_shutdown(GetParam()), sib::trapped);
}

INSTANTIATE_TEST_SUITE_P(Traps, ShutdownTrapTable, ::testing::Values(EBADF, ENOTSOCK, EINVAL),
                         sib::errno_label);

TEST(NameErrorsFromNative, AreThePureTables) {
  EXPECT_EQ(dial::getsockname_error_from_native(ENOBUFS), getsockname_error::system_resources);
  EXPECT_EQ(dial::getpeername_error_from_native(ENOTCONN), getpeername_error::socket_not_connected);
  EXPECT_EQ(dial::shutdown_error_from_native(ENOTCONN), shutdown_error::socket_not_connected);
  EXPECT_EQ(dial::last_native_error(), ENOTCONN);
}

// ---- traps against the real kernel ----------------------------------------------------------

class NamesTrapDeathTest : public ::testing::Test {
 protected:
  void SetUp() override { GTEST_FLAG_SET(death_test_style, "threadsafe"); }
};

TEST_F(NamesTrapDeathTest, BadDescriptorTraps) {
  const int bad = t::make_socket(AF_INET, SOCK_STREAM).get();  // closed at once
  t::addr a;
  a.len = sizeof a.ss;
  EXPECT_EXIT((void)dial::getsockname(bad, a.sa(), &a.len), KilledBySignal(SIGABRT),
              "getsockname: EBADF");
  EXPECT_EXIT((void)dial::getpeername(bad, a.sa(), &a.len), KilledBySignal(SIGABRT),
              "getpeername: EBADF");
  EXPECT_EXIT((void)dial::shutdown(bad, dial::shutdown_how::both), KilledBySignal(SIGABRT),
              "shutdown: EBADF");
}

TEST_F(NamesTrapDeathTest, NotASocketTraps) {
  int p[2];
  ASSERT_EQ(::pipe2(p, O_CLOEXEC), 0);
  t::fd r(p[0]), w(p[1]);
  t::addr a;
  a.len = sizeof a.ss;
  EXPECT_EXIT((void)dial::getsockname(r.get(), a.sa(), &a.len), KilledBySignal(SIGABRT),
              "getsockname: ENOTSOCK");
  EXPECT_EXIT((void)dial::getpeername(r.get(), a.sa(), &a.len), KilledBySignal(SIGABRT),
              "getpeername: ENOTSOCK");
  EXPECT_EXIT((void)dial::shutdown(r.get(), dial::shutdown_how::both), KilledBySignal(SIGABRT),
              "shutdown: ENOTSOCK");
}

TEST_F(NamesTrapDeathTest, AddressOutsideTheAddressSpaceTraps) {
  auto p = sib::connected_tcp();
  auto* wild = reinterpret_cast<sockaddr*>(std::uintptr_t{16});
  dial::socklen_t len = sizeof(sockaddr_in);
  EXPECT_EXIT((void)dial::getsockname(p.client.get(), wild, &len), KilledBySignal(SIGABRT),
              "getsockname: EFAULT");
  EXPECT_EXIT((void)dial::getpeername(p.client.get(), wild, &len), KilledBySignal(SIGABRT),
              "getpeername: EFAULT");
}

TEST_F(NamesTrapDeathTest, NegativeLengthTraps) {
  auto p = sib::connected_tcp();
  t::addr a;
  dial::socklen_t len = static_cast<dial::socklen_t>(-1);
  EXPECT_EXIT((void)dial::getsockname(p.client.get(), a.sa(), &len), KilledBySignal(SIGABRT),
              "getsockname: EINVAL .*negative");
  EXPECT_EXIT((void)dial::getpeername(p.client.get(), a.sa(), &len), KilledBySignal(SIGABRT),
              "getpeername: EINVAL .*negative");
}

TEST_F(NamesTrapDeathTest, ShutdownHowOutsideTheEnumTraps) {
  auto p = sib::connected_tcp();
  const auto bogus = static_cast<dial::shutdown_how>(7);
  EXPECT_EXIT((void)dial::shutdown(p.client.get(), bogus), KilledBySignal(SIGABRT),
              "shutdown: EINVAL");
}

}  // namespace
