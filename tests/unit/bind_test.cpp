// tests/unit/bind_test.cpp: dial::bind, every line of its table: real kernel fixtures where Linux
// produces the code, injection at the system-call boundary for the rest, death tests for traps.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdint>
#include <string>

#include "dial/dial.hpp"
#include "sibling_support.hpp"
#include "support.hpp"

namespace {

using dial::bind_error;
namespace t = dial::test;
namespace sib = dial::test::sib;
using ::testing::KilledBySignal;

// A child's exit status for binding `s` to `a`, with the raw code checked.
int bind_status(int s, const t::addr& a, int native) {
  auto r = dial::bind(s, a.sa(), a.len);
  if (!r && dial::last_native_error() != native) return sib::lost_native_code;
  return sib::code_of(r);
}

TEST(Bind, SucceedsAndTheSocketHasThePort) {
  for (int family : {AF_INET, AF_INET6}) {
    auto s = t::make_socket(family, SOCK_STREAM);
    const auto a = t::ip(family == AF_INET ? "127.0.0.1" : "::1", 0);
    ASSERT_TRUE(dial::bind(s.get(), a.sa(), a.len));
    t::addr got;
    got.len = sizeof got.ss;
    ASSERT_TRUE(dial::getsockname(s.get(), got.sa(), &got.len));
    EXPECT_NE(got.port(), 0);
  }
}

TEST(Bind, AddressInUseForATakenPortAndATakenUnixPath) {
  auto l = t::tcp_listener(AF_INET);
  auto s = t::make_socket(AF_INET, SOCK_STREAM);
  auto r = dial::bind(s.get(), l.where.sa(), l.where.len);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), bind_error::address_in_use);
  EXPECT_EQ(dial::last_native_error(), EADDRINUSE);

  t::scratch_dir dir;
  auto ul = t::unix_listener(dir / "s");
  auto us = t::make_socket(AF_UNIX, SOCK_STREAM);
  r = dial::bind(us.get(), ul.where.sa(), ul.where.len);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), bind_error::address_in_use);
}

TEST(Bind, AccessDeniedForAPrivilegedPortAsNobody) {
  const int rc = t::run_in_child([] {
    // In a private namespace (when root) so the sysctl is ours to set; no packet is sent.
    if (t::is_root() && (!t::enter_new_netns() ||
                         !t::write_sysctl("/proc/sys/net/ipv4/ip_unprivileged_port_start", "1024")))
      return static_cast<int>(sib::setup_failed);
    if (!sib::become_nobody()) return static_cast<int>(sib::setup_failed);
    auto s = t::make_socket(AF_INET, SOCK_STREAM);
    return bind_status(s.get(), t::ip("127.0.0.1", 80), EACCES);
  });
  EXPECT_EQ(rc, sib::code(bind_error::access_denied));
}

TEST(Bind, AccessDeniedForAUnixPathInADirectoryWithoutWritePermission) {
  t::scratch_dir dir;  // mode 0755, owned by root: nobody may not create files in it
  if (!t::is_root()) {
    ASSERT_EQ(::chmod(dir.path.c_str(), 0555), 0);
  }
  const int rc = t::run_in_child([&] {
    if (!sib::become_nobody()) return static_cast<int>(sib::setup_failed);
    auto s = t::make_socket(AF_UNIX, SOCK_STREAM);
    return bind_status(s.get(), t::unix_path(dir / "s"), EACCES);
  });
  EXPECT_EQ(rc, sib::code(bind_error::access_denied));
  ::chmod(dir.path.c_str(), 0755);
}

TEST(Bind, AddressNotAvailableForAnAddressThisHostDoesNotHave) {
  const int rc = t::run_in_child([] {
    if (t::is_root() && !t::enter_new_netns()) return static_cast<int>(sib::setup_failed);
    auto s = t::make_socket(AF_INET, SOCK_STREAM);
    return bind_status(s.get(), t::ip("192.0.2.1", 0), EADDRNOTAVAIL);
  });
  EXPECT_EQ(rc, sib::code(bind_error::address_not_available));
}

TEST(Bind, AddressFamilyNotSupportedForAnIpv6AddressOnAnIpv4Socket) {
  auto s = t::make_socket(AF_INET, SOCK_STREAM);
  const auto a = t::ip("::1", 0);
  auto r = dial::bind(s.get(), a.sa(), a.len);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), bind_error::address_family_not_supported);
  EXPECT_EQ(dial::last_native_error(), EAFNOSUPPORT);
}

TEST(Bind, InvalidAddressForALinkLocalAddressWithoutAScope) {
  // Zig calls bind's EINVAL unreachable; this one comes from data, not from a bug.
  auto s = t::make_socket(AF_INET6, SOCK_DGRAM);
  const auto a = t::ip("fe80::1", 0);
  auto r = dial::bind(s.get(), a.sa(), a.len);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), bind_error::invalid_address);
  EXPECT_EQ(dial::last_native_error(), EINVAL);
}

TEST(Bind, InvalidAddressForALengthTooShortForTheFamily) {
  auto s = t::make_socket(AF_INET, SOCK_STREAM);
  const auto a = t::ip("127.0.0.1", 0);
  auto r = dial::bind(s.get(), a.sa(), 4);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), bind_error::invalid_address);
}

TEST(Bind, UnixPathErrorsAreNamed) {
  t::scratch_dir dir;
  ASSERT_EQ(::symlink("loop", (dir / "loop").c_str()), 0);
  const int file = ::open((dir / "file").c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
  ASSERT_GE(file, 0);
  ::close(file);
  const struct {
    std::string path;
    bind_error want;
    int native;
  } cases[] = {
      {dir / "loop/s", bind_error::sym_link_loop, ELOOP},
      {dir / "missing/s", bind_error::file_not_found, ENOENT},
      {dir / "file/s", bind_error::not_dir, ENOTDIR},
  };
  for (const auto& c : cases) {
    auto s = t::make_socket(AF_UNIX, SOCK_STREAM);
    const auto a = t::unix_path(c.path);
    auto r = dial::bind(s.get(), a.sa(), a.len);
    ASSERT_FALSE(r) << c.path;
    EXPECT_EQ(r.error(), c.want) << c.path;
    EXPECT_EQ(dial::last_native_error(), c.native) << c.path;
  }
}

TEST(Bind, ReadOnlyFileSystemForAUnixPathOnAReadOnlyMount) {
  if (!t::is_root()) GTEST_SKIP() << t::needs_root;
  t::scratch_dir dir;
  const int rc = t::run_in_child([&] {
    // A private mount namespace: the read-only tmpfs is seen by this child only.
    if (::unshare(CLONE_NEWNS) != 0 || ::mount("none", "/", nullptr, MS_REC | MS_PRIVATE, nullptr))
      return static_cast<int>(sib::setup_failed);
    if (::mount("tmpfs", dir.path.c_str(), "tmpfs", MS_RDONLY, nullptr) != 0)
      return static_cast<int>(sib::setup_failed);
    auto s = t::make_socket(AF_UNIX, SOCK_STREAM);
    return bind_status(s.get(), t::unix_path(dir / "s"), EROFS);
  });
  EXPECT_EQ(rc, sib::code(bind_error::read_only_file_system));
}

TEST(Bind, FailedBindsLeakNoDescriptor) {
  const int before = t::count_open_fds();
  {
    auto l = t::tcp_listener(AF_INET);
    for (int i = 0; i < 10; ++i) {
      auto s = t::make_socket(AF_INET, SOCK_STREAM);
      EXPECT_FALSE(dial::bind(s.get(), l.where.sa(), l.where.len));
    }
  }
  EXPECT_EQ(t::count_open_fds(), before);
}

// ---- every line of the table, injected ----------------------------------------------------

class BindTable : public ::testing::TestWithParam<sib::line<bind_error>> {};

TEST_P(BindTable, MapsTheInjectedCodeToItsName) {
  const auto& l = GetParam();
  auto s = t::make_socket(AF_INET, SOCK_STREAM);  // unbound: EINVAL is InvalidAddress
  const auto a = t::ip("127.0.0.1", 0);
  const int rc =
      sib::injected(SYS_bind, l.code, s.get(), [&] { return dial::bind(s.get(), a.sa(), a.len); });
  EXPECT_EQ(rc, sib::code(l.want));
}

INSTANTIATE_TEST_SUITE_P(
    Table, BindTable,
    ::testing::Values(DIAL_LINE(bind_error, EACCES, access_denied),
                      DIAL_LINE(bind_error, EPERM, permission_denied),
                      DIAL_LINE(bind_error, EADDRINUSE, address_in_use),
                      DIAL_LINE(bind_error, EADDRNOTAVAIL, address_not_available),
                      DIAL_LINE(bind_error, EAFNOSUPPORT, address_family_not_supported),
                      DIAL_LINE(bind_error, EINVAL, invalid_address),
                      DIAL_LINE(bind_error, ELOOP, sym_link_loop),
                      DIAL_LINE(bind_error, ENAMETOOLONG, path_too_long),
                      DIAL_LINE(bind_error, ENOENT, file_not_found),
                      DIAL_LINE(bind_error, ENOTDIR, not_dir),
                      DIAL_LINE(bind_error, EROFS, read_only_file_system),
                      DIAL_LINE(bind_error, ENOMEM, system_resources),
                      DIAL_LINE(bind_error, ENOBUFS, system_resources)),
    sib::line_name<bind_error>);

INSTANTIATE_TEST_SUITE_P(OutsideTheTable, BindTable,
                         ::testing::Values(DIAL_LINE(bind_error, EIO, unexpected),
                                           DIAL_LINE(bind_error, EOPNOTSUPP, unexpected),
                                           DIAL_LINE(bind_error, EISCONN, unexpected)),
                         sib::line_name<bind_error>);

class BindTrapTable : public ::testing::TestWithParam<sib::line<bind_error>> {};

TEST_P(BindTrapTable, InjectedProgrammerErrorTraps) {
  auto s = t::make_socket(AF_INET, SOCK_STREAM);
  const auto a = t::ip("127.0.0.1", 0);
  const int rc = sib::injected(SYS_bind, GetParam().code, s.get(),
                               [&] { return dial::bind(s.get(), a.sa(), a.len); });
  EXPECT_EQ(rc, sib::trapped);
}

INSTANTIATE_TEST_SUITE_P(Traps, BindTrapTable,
                         ::testing::Values(DIAL_LINE(bind_error, EBADF, unexpected),
                                           DIAL_LINE(bind_error, ENOTSOCK, unexpected),
                                           DIAL_LINE(bind_error, EFAULT, unexpected)),
                         sib::line_name<bind_error>);

TEST(BindInjection, EinvalOnAnAlreadyBoundSocketTraps) {
  auto l = t::tcp_listener(AF_INET);  // bound and listening
  const auto a = t::ip("127.0.0.1", 0);
  const int rc = sib::injected(SYS_bind, EINVAL, l.sock.get(),
                               [&] { return dial::bind(l.sock.get(), a.sa(), a.len); });
  EXPECT_EQ(rc, sib::trapped);
}

TEST(BindErrorFromNative, IsThePureTable) {
  EXPECT_EQ(dial::bind_error_from_native(EADDRINUSE), bind_error::address_in_use);
  EXPECT_EQ(dial::last_native_error(), EADDRINUSE);
  EXPECT_EQ(dial::bind_error_from_native(EINVAL), bind_error::invalid_address);
  EXPECT_EQ(dial::bind_error_from_native(EIO), bind_error::unexpected);
  EXPECT_EQ(dial::last_native_error(), EIO);
}

// ---- traps against the real kernel ----------------------------------------------------------

class BindTrapDeathTest : public ::testing::Test {
 protected:
  void SetUp() override { GTEST_FLAG_SET(death_test_style, "threadsafe"); }
};

TEST_F(BindTrapDeathTest, BindingTwiceTraps) {
  auto s = t::make_socket(AF_INET, SOCK_STREAM);
  const auto a = t::ip("127.0.0.1", 0);
  ASSERT_TRUE(dial::bind(s.get(), a.sa(), a.len));
  EXPECT_EXIT((void)dial::bind(s.get(), a.sa(), a.len), KilledBySignal(SIGABRT),
              "programmer error trapped in bind: EINVAL .*already bound");
}

TEST_F(BindTrapDeathTest, BindingAConnectedSocketTraps) {
  auto p = sib::connected_tcp();  // connect bound it implicitly
  const auto a = t::ip("127.0.0.1", 0);
  EXPECT_EXIT((void)dial::bind(p.client.get(), a.sa(), a.len), KilledBySignal(SIGABRT),
              "bind: EINVAL .*already bound");
}

TEST_F(BindTrapDeathTest, BadDescriptorTraps) {
  const int bad = t::make_socket(AF_INET, SOCK_STREAM).get();  // closed at once
  const auto a = t::ip("127.0.0.1", 0);
  EXPECT_EXIT((void)dial::bind(bad, a.sa(), a.len), KilledBySignal(SIGABRT), "bind: EBADF");
}

TEST_F(BindTrapDeathTest, NotASocketTraps) {
  int p[2];
  ASSERT_EQ(::pipe2(p, O_CLOEXEC), 0);
  t::fd r(p[0]), w(p[1]);
  const auto a = t::ip("127.0.0.1", 0);
  EXPECT_EXIT((void)dial::bind(r.get(), a.sa(), a.len), KilledBySignal(SIGABRT), "bind: ENOTSOCK");
}

TEST_F(BindTrapDeathTest, AddressOutsideTheAddressSpaceTraps) {
  auto s = t::make_socket(AF_INET, SOCK_STREAM);
  const auto* wild = reinterpret_cast<const sockaddr*>(std::uintptr_t{16});
  EXPECT_EXIT((void)dial::bind(s.get(), wild, sizeof(sockaddr_in)), KilledBySignal(SIGABRT),
              "bind: EFAULT");
}

}  // namespace
