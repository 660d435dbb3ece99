// tests/unit/socket_call_test.cpp: the system call dial::socket (sys.hpp) and dial::close, real
// fixtures and injected codes. The owner, dial::owned_socket, is tested in owned_socket_test.cpp.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <csignal>
#include <string>
#include <vector>

#include "dial/dial.hpp"
#include "support.hpp"

namespace {

using dial::socket_error;
namespace t = dial::test;

template <class T>
int exit_code_of(const std::expected<T, socket_error>& r) {
  return r ? 0 : static_cast<int>(r.error());
}

TEST(Socket, IsCloseOnExecByDefault) {
  for (int type : {int{SOCK_STREAM}, int{SOCK_DGRAM}, SOCK_STREAM | SOCK_NONBLOCK}) {
    auto s = dial::socket(AF_INET, type, 0);
    ASSERT_TRUE(s);
    EXPECT_TRUE(::fcntl(*s, F_GETFD) & FD_CLOEXEC);
    EXPECT_EQ((::fcntl(*s, F_GETFL) & O_NONBLOCK) != 0, (type & SOCK_NONBLOCK) != 0);
    dial::close(*s);
  }
}

TEST(Socket, AddressFamilyNotSupportedForAnUnknownFamily) {
  auto s = dial::socket(AF_MAX + 1, SOCK_STREAM, 0);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error(), socket_error::address_family_not_supported);
  EXPECT_EQ(dial::last_native_error(), EAFNOSUPPORT);
}

TEST(Socket, ProtocolNotSupportedForUdpOverAStreamSocket) {
  auto s = dial::socket(AF_INET, SOCK_STREAM, IPPROTO_UDP);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error(), socket_error::protocol_not_supported);
  EXPECT_EQ(dial::last_native_error(), EPROTONOSUPPORT);
}

TEST(Socket, SocketTypeNotSupportedForAnUnsupportedType) {
  auto s = dial::socket(AF_UNIX, SOCK_RDM, 0);  // Linux: ESOCKTNOSUPPORT
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error(), socket_error::socket_type_not_supported);
  EXPECT_EQ(dial::last_native_error(), ESOCKTNOSUPPORT);
}

TEST(Socket, ProtocolFamilyNotAvailableForAnInvalidType) {
  auto s = dial::socket(AF_INET, 1000, 0);  // not a socket type at all
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error(), socket_error::protocol_family_not_available);
  EXPECT_EQ(dial::last_native_error(), EINVAL);
}

TEST(Socket, ProcessFdQuotaExceededAtTheDescriptorLimit) {
  int rc = t::run_in_child([] {
    rlimit lim{};
    ::getrlimit(RLIMIT_NOFILE, &lim);
    lim.rlim_cur = 32;
    if (::setrlimit(RLIMIT_NOFILE, &lim) != 0) return 201;
    std::vector<int> held;
    for (int i = 0; i < 64; ++i) {  // bounded: the limit is 32
      auto s = dial::socket(AF_INET, SOCK_DGRAM, 0);
      if (!s) {
        if (dial::last_native_error() != EMFILE) return 200;
        return exit_code_of(s);
      }
      held.push_back(*s);
    }
    return 0;
  });
  EXPECT_EQ(rc, static_cast<int>(socket_error::process_fd_quota_exceeded));
}

TEST(Socket, AccessDeniedForARawSocketWithoutPrivilege) {
  int rc = t::run_in_child([] {
    if (t::is_root() && (::setgid(65534) != 0 || ::setuid(65534) != 0)) return 201;
    return exit_code_of(dial::socket(AF_INET, SOCK_RAW, IPPROTO_ICMP));
  });
  EXPECT_EQ(rc, static_cast<int>(socket_error::access_denied));
}

struct socket_line {
  int code;
  const char* code_name;
  socket_error want;
};

void PrintTo(const socket_line& l, std::ostream* os) { *os << l.code_name; }

std::string line_name(const ::testing::TestParamInfo<socket_line>& p) { return p.param.code_name; }

class SocketTable : public ::testing::TestWithParam<socket_line> {};

TEST_P(SocketTable, MapsTheInjectedCodeToItsName) {
  const int code = GetParam().code;
  int rc = t::run_in_child([code] {
    // socket(2)'s first argument is the domain: only AF_INET6 sockets fail.
    if (!t::inject_errno(SYS_socket, code, AF_INET6)) return 201;
    auto s = dial::socket(AF_INET6, SOCK_STREAM, 0);
    if (!s && dial::last_native_error() != code) return 200;
    return exit_code_of(s);
  });
  EXPECT_EQ(rc, static_cast<int>(GetParam().want)) << GetParam().code_name;
}

INSTANTIATE_TEST_SUITE_P(
    Table, SocketTable,
    ::testing::Values(
        socket_line{EACCES, "EACCES", socket_error::access_denied},
        socket_line{EPERM, "EPERM", socket_error::access_denied},
        socket_line{EAFNOSUPPORT, "EAFNOSUPPORT", socket_error::address_family_not_supported},
        socket_line{EINVAL, "EINVAL", socket_error::protocol_family_not_available},
        socket_line{EMFILE, "EMFILE", socket_error::process_fd_quota_exceeded},
        socket_line{ENFILE, "ENFILE", socket_error::system_fd_quota_exceeded},
        socket_line{ENOBUFS, "ENOBUFS", socket_error::system_resources},
        socket_line{ENOMEM, "ENOMEM", socket_error::system_resources},
        socket_line{EPROTONOSUPPORT, "EPROTONOSUPPORT", socket_error::protocol_not_supported},
        socket_line{EPROTOTYPE, "EPROTOTYPE", socket_error::socket_type_not_supported},
        socket_line{ESOCKTNOSUPPORT, "ESOCKTNOSUPPORT", socket_error::socket_type_not_supported},
        socket_line{EIO, "EIO", socket_error::unexpected},
        socket_line{ENOSYS, "ENOSYS", socket_error::unexpected},
        socket_line{EOPNOTSUPP, "EOPNOTSUPP", socket_error::unexpected}),
    line_name);

TEST(Close, EintrAndEioAreNotErrorsAndDoNotTrap) {
  for (int code : {EINTR, EIO}) {
    int rc = t::run_in_child([code] {
      auto s = dial::socket(AF_INET, SOCK_STREAM, 0);
      if (!s) return 201;
      if (!t::inject_errno(SYS_close, code, *s)) return 202;
      dial::close(*s);  // returns; no trap
      return dial::last_native_error() == code ? 0 : 200;
    });
    EXPECT_EQ(rc, 0) << code;
  }
}

TEST(Close, InjectedBadDescriptorTraps) {
  int rc = t::run_in_child([] {
    auto s = dial::socket(AF_INET, SOCK_STREAM, 0);
    if (!s) return 201;
    if (!t::inject_errno(SYS_close, EBADF, *s)) return 202;
    dial::close(*s);
    return 0;
  });
  EXPECT_EQ(rc, 128 + SIGABRT);
}

TEST(Close, ReleasesTheDescriptor) {
  const int before = t::count_open_fds();
  auto s = dial::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_TRUE(s);
  EXPECT_EQ(t::count_open_fds(), before + 1);
  dial::close(*s);
  EXPECT_EQ(t::count_open_fds(), before);
}

}  // namespace
