// tests/unit/sockopt_test.cpp: dial::setsockopt and dial::getsockopt, every line of their tables
// (real kernel, injection, death tests).
#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdint>

#include "dial/dial.hpp"
#include "sibling_support.hpp"
#include "support.hpp"

namespace {

using dial::getsockopt_call_error;
using dial::setsockopt_error;
namespace t = dial::test;
namespace sib = dial::test::sib;
using ::testing::KilledBySignal;

template <class T>
std::expected<void, setsockopt_error> set(int s, int level, int name, const T& v) {
  return dial::setsockopt(s, level, name, &v, sizeof v);
}

template <class T, class E>
void expect_error(const std::expected<T, E>& r, E want, int native) {
  ASSERT_FALSE(r) << "expected " << dial::name(want);
  EXPECT_EQ(r.error(), want) << dial::name(r.error());
  EXPECT_EQ(dial::last_native_error(), native);
}

TEST(Setsockopt, SetsAnOptionThatGetsockoptReadsBack) {
  auto s = t::make_socket(AF_INET, SOCK_STREAM);
  ASSERT_TRUE(set(s.get(), SOL_SOCKET, SO_KEEPALIVE, 1));
  int v = 0;
  dial::socklen_t len = sizeof v;
  ASSERT_TRUE(dial::getsockopt(s.get(), SOL_SOCKET, SO_KEEPALIVE, &v, &len));
  EXPECT_EQ(v, 1);
  EXPECT_EQ(len, sizeof v);
}

TEST(Setsockopt, InvalidProtocolOptionForAnUnknownOptionOrLevel) {
  auto s = t::make_socket(AF_INET, SOCK_STREAM);
  expect_error(set(s.get(), SOL_SOCKET, 9999, 1), setsockopt_error::invalid_protocol_option,
               ENOPROTOOPT);
  expect_error(set(s.get(), 9999, 1, 1), setsockopt_error::invalid_protocol_option, ENOPROTOOPT);
}

TEST(Setsockopt, InvalidOptionForAValueOfTheWrongLength) {
  auto s = t::make_socket(AF_INET, SOCK_STREAM);
  const char one = 1;
  expect_error(set(s.get(), SOL_SOCKET, SO_RCVBUF, one), setsockopt_error::invalid_option, EINVAL);
}

TEST(Setsockopt, TimeoutTooBigForATimeoutOutOfRange) {
  auto s = t::make_socket(AF_INET, SOCK_STREAM);
  const timeval tv{1, 2000000};  // microseconds must stay below one second
  expect_error(set(s.get(), SOL_SOCKET, SO_RCVTIMEO, tv), setsockopt_error::timeout_too_big, EDOM);
}

TEST(Setsockopt, UnknownInterfaceForBindToDeviceWithAMissingDevice) {
  auto s = t::make_socket(AF_INET, SOCK_STREAM);
  const char dev[] = "nosuchdev0";
  auto r = dial::setsockopt(s.get(), SOL_SOCKET, SO_BINDTODEVICE, dev, sizeof dev);
  expect_error(r, setsockopt_error::unknown_interface, ENODEV);
}

TEST(Setsockopt, PermissionDeniedForAPrivilegedPriorityAsNobody) {
  const int rc = t::run_in_child([] {
    if (!sib::become_nobody()) return static_cast<int>(sib::setup_failed);
    auto s = t::make_socket(AF_INET, SOCK_STREAM);
    auto r = set(s.get(), SOL_SOCKET, SO_PRIORITY, 7);  // above 6 needs CAP_NET_ADMIN
    if (!r && dial::last_native_error() != EPERM) return static_cast<int>(sib::lost_native_code);
    return sib::code_of(r);
  });
  if (rc == 0 && !t::is_root()) GTEST_SKIP() << "this user has CAP_NET_ADMIN";
  EXPECT_EQ(rc, sib::code(setsockopt_error::permission_denied));
}

TEST(Setsockopt, MulticastMembershipJoinedTwiceOrNeverJoined) {
  auto s = t::make_socket(AF_INET, SOCK_DGRAM);
  ip_mreqn group{};
  ASSERT_EQ(::inet_pton(AF_INET, "239.1.2.3", &group.imr_multiaddr), 1);
  group.imr_ifindex = static_cast<int>(::if_nametoindex("lo"));
  expect_error(set(s.get(), IPPROTO_IP, IP_DROP_MEMBERSHIP, group),
               setsockopt_error::address_not_available, EADDRNOTAVAIL);
  ASSERT_TRUE(set(s.get(), IPPROTO_IP, IP_ADD_MEMBERSHIP, group));
  expect_error(set(s.get(), IPPROTO_IP, IP_ADD_MEMBERSHIP, group), setsockopt_error::address_in_use,
               EADDRINUSE);
}

TEST(Getsockopt, InvalidProtocolOptionForAnUnknownOption) {
  auto s = t::make_socket(AF_INET, SOCK_STREAM);
  int v = 0;
  dial::socklen_t len = sizeof v;
  expect_error(dial::getsockopt(s.get(), SOL_SOCKET, 9999, &v, &len),
               getsockopt_call_error::invalid_protocol_option, ENOPROTOOPT);
}

TEST(Getsockopt, InvalidOptionForANegativeLength) {
  auto s = t::make_socket(AF_INET, SOCK_STREAM);
  int v = 0;
  auto len = static_cast<dial::socklen_t>(-1);
  expect_error(dial::getsockopt(s.get(), SOL_SOCKET, SO_RCVBUF, &v, &len),
               getsockopt_call_error::invalid_option, EINVAL);
}

TEST(Getsockopt, BufferTooSmallForThePeersGroupsWithTheSizeNeeded) {
  const int rc = t::run_in_child([] {
    // Two supplementary groups: the credentials a socketpair records for its peer.
    const gid_t groups[] = {1, 2};
    if (t::is_root() && ::setgroups(2, groups) != 0) return static_cast<int>(sib::setup_failed);
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
      return static_cast<int>(sib::setup_failed);
    gid_t one = 0;
    dial::socklen_t len = sizeof one;
    auto r = dial::getsockopt(sv[0], SOL_SOCKET, SO_PEERGROUPS, &one, &len);
    if (r) return 0;
    if (dial::last_native_error() != ERANGE) return static_cast<int>(sib::lost_native_code);
    if (len < 2 * sizeof(gid_t)) return 150;  // *len tells the size needed
    return sib::code_of(r);
  });
  if (!t::is_root() && rc == 0) GTEST_SKIP() << "this user has fewer than two groups";
  EXPECT_EQ(rc, sib::code(getsockopt_call_error::buffer_too_small));
}

// ---- every line of the tables, injected ---------------------------------------------------

class SetsockoptTable : public ::testing::TestWithParam<sib::line<setsockopt_error>> {};

TEST_P(SetsockoptTable, MapsTheInjectedCodeToItsName) {
  auto s = t::make_socket(AF_INET, SOCK_STREAM);
  const int rc = sib::injected(SYS_setsockopt, GetParam().code, s.get(),
                               [&] { return set(s.get(), SOL_SOCKET, SO_KEEPALIVE, 1); });
  EXPECT_EQ(rc, sib::code(GetParam().want));
}

INSTANTIATE_TEST_SUITE_P(
    Table, SetsockoptTable,
    ::testing::Values(DIAL_LINE(setsockopt_error, EISCONN, already_connected),
                      DIAL_LINE(setsockopt_error, ENOPROTOOPT, invalid_protocol_option),
                      DIAL_LINE(setsockopt_error, EDOM, timeout_too_big),
                      DIAL_LINE(setsockopt_error, ENOMEM, system_resources),
                      DIAL_LINE(setsockopt_error, ENOBUFS, system_resources),
                      DIAL_LINE(setsockopt_error, EPERM, permission_denied),
                      DIAL_LINE(setsockopt_error, EINVAL, invalid_option),
                      DIAL_LINE(setsockopt_error, ENODEV, unknown_interface),
                      DIAL_LINE(setsockopt_error, EOPNOTSUPP, operation_not_supported),
                      DIAL_LINE(setsockopt_error, EADDRINUSE, address_in_use),
                      DIAL_LINE(setsockopt_error, EADDRNOTAVAIL, address_not_available)),
    sib::line_name<setsockopt_error>);

INSTANTIATE_TEST_SUITE_P(OutsideTheTable, SetsockoptTable,
                         ::testing::Values(DIAL_LINE(setsockopt_error, EIO, unexpected),
                                           DIAL_LINE(setsockopt_error, EACCES, unexpected),
                                           DIAL_LINE(setsockopt_error, ERANGE, unexpected)),
                         sib::line_name<setsockopt_error>);

class GetsockoptTable : public ::testing::TestWithParam<sib::line<getsockopt_call_error>> {};

TEST_P(GetsockoptTable, MapsTheInjectedCodeToItsName) {
  auto s = t::make_socket(AF_INET, SOCK_STREAM);
  int v = 0;
  dial::socklen_t len = sizeof v;
  const int rc = sib::injected(SYS_getsockopt, GetParam().code, s.get(), [&] {
    return dial::getsockopt(s.get(), SOL_SOCKET, SO_KEEPALIVE, &v, &len);
  });
  EXPECT_EQ(rc, sib::code(GetParam().want));
}

INSTANTIATE_TEST_SUITE_P(
    Table, GetsockoptTable,
    ::testing::Values(DIAL_LINE(getsockopt_call_error, EINVAL, invalid_option),
                      DIAL_LINE(getsockopt_call_error, ENOPROTOOPT, invalid_protocol_option),
                      DIAL_LINE(getsockopt_call_error, ENOMEM, system_resources),
                      DIAL_LINE(getsockopt_call_error, ENOBUFS, system_resources),
                      DIAL_LINE(getsockopt_call_error, EACCES, access_denied),
                      DIAL_LINE(getsockopt_call_error, ERANGE, buffer_too_small),
                      DIAL_LINE(getsockopt_call_error, EOPNOTSUPP, operation_not_supported)),
    sib::line_name<getsockopt_call_error>);

INSTANTIATE_TEST_SUITE_P(OutsideTheTable, GetsockoptTable,
                         ::testing::Values(DIAL_LINE(getsockopt_call_error, EIO, unexpected),
                                           DIAL_LINE(getsockopt_call_error, EPERM, unexpected)),
                         sib::line_name<getsockopt_call_error>);

class SockoptTrapTable : public ::testing::TestWithParam<int> {};

TEST_P(SockoptTrapTable, InjectedProgrammerErrorTrapsInBoth) {
  auto s = t::make_socket(AF_INET, SOCK_STREAM);
  EXPECT_EQ(sib::injected(SYS_setsockopt, GetParam(), s.get(),
                          [&] { return set(s.get(), SOL_SOCKET, SO_KEEPALIVE, 1); }),
            sib::trapped);
  int v = 0;
  dial::socklen_t len = sizeof v;
  EXPECT_EQ(
      sib::injected(SYS_getsockopt, GetParam(), s.get(),
                    [&] { return dial::getsockopt(s.get(), SOL_SOCKET, SO_KEEPALIVE, &v, &len); }),
      sib::trapped);
}

INSTANTIATE_TEST_SUITE_P(Traps, SockoptTrapTable, ::testing::Values(EBADF, ENOTSOCK, EFAULT),
                         sib::errno_label);

TEST(SockoptErrorsFromNative, AreThePureTables) {
  EXPECT_EQ(dial::setsockopt_error_from_native(ENODEV), setsockopt_error::unknown_interface);
  EXPECT_EQ(dial::getsockopt_call_error_from_native(ERANGE),
            getsockopt_call_error::buffer_too_small);
  EXPECT_EQ(dial::last_native_error(), ERANGE);
}

// ---- traps against the real kernel ----------------------------------------------------------

class SockoptTrapDeathTest : public ::testing::Test {
 protected:
  void SetUp() override { GTEST_FLAG_SET(death_test_style, "threadsafe"); }
};

TEST_F(SockoptTrapDeathTest, BadDescriptorTraps) {
  const int bad = t::make_socket(AF_INET, SOCK_STREAM).get();  // closed at once
  int v = 0;
  dial::socklen_t len = sizeof v;
  EXPECT_EXIT((void)set(bad, SOL_SOCKET, SO_KEEPALIVE, 1), KilledBySignal(SIGABRT),
              "setsockopt: EBADF");
  EXPECT_EXIT((void)dial::getsockopt(bad, SOL_SOCKET, SO_KEEPALIVE, &v, &len),
              KilledBySignal(SIGABRT), "getsockopt: EBADF");
}

TEST_F(SockoptTrapDeathTest, NotASocketTraps) {
  int p[2];
  ASSERT_EQ(::pipe2(p, O_CLOEXEC), 0);
  t::fd r(p[0]), w(p[1]);
  int v = 0;
  dial::socklen_t len = sizeof v;
  EXPECT_EXIT((void)set(r.get(), SOL_SOCKET, SO_KEEPALIVE, 1), KilledBySignal(SIGABRT),
              "setsockopt: ENOTSOCK");
  EXPECT_EXIT((void)dial::getsockopt(r.get(), SOL_SOCKET, SO_KEEPALIVE, &v, &len),
              KilledBySignal(SIGABRT), "getsockopt: ENOTSOCK");
}

TEST_F(SockoptTrapDeathTest, ValueOutsideTheAddressSpaceTraps) {
  auto s = t::make_socket(AF_INET, SOCK_STREAM);
  const void* wild = reinterpret_cast<const void*>(std::uintptr_t{16});
  EXPECT_EXIT((void)dial::setsockopt(s.get(), SOL_SOCKET, SO_KEEPALIVE, wild, sizeof(int)),
              KilledBySignal(SIGABRT), "setsockopt: EFAULT");
  dial::socklen_t len = sizeof(int);
  EXPECT_EXIT(
      (void)dial::getsockopt(s.get(), SOL_SOCKET, SO_KEEPALIVE, const_cast<void*>(wild), &len),
      KilledBySignal(SIGABRT), "getsockopt: EFAULT");
}

}  // namespace
