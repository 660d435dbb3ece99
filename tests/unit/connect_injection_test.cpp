// tests/unit/connect_injection_test.cpp: every errno line of connect's table, injected at the
// system-call boundary with a seccomp filter (the kernel itself returns the code to libc).
#include <gtest/gtest.h>
#include <sys/syscall.h>

#include <csignal>
#include <string>

#include "dial/dial.hpp"
#include "support.hpp"

namespace {

using dial::connect_error;
namespace t = dial::test;

struct table_line {
  int code;
  const char* code_name;
  connect_error want;
};

// Runs dial::connect in a child whose connect(2) on that socket returns `code`; returns the child's
// status: the error id on a correct mapping with the raw code kept, 200 when the raw code is lost.
int connect_with_injected(int code) {
  return t::run_in_child([code] {
    auto l = t::tcp_listener(AF_INET);
    auto s = t::make_socket(AF_INET, SOCK_STREAM);
    if (!t::inject_errno(SYS_connect, code, s.get())) return 201;
    auto r = dial::connect(s.get(), l.where.sa(), l.where.len);
    if (!r && dial::last_native_error() != code) return 200;
    return t::exit_code(r);
  });
}

void PrintTo(const table_line& l, std::ostream* os) { *os << l.code_name; }

std::string line_name(const ::testing::TestParamInfo<table_line>& p) { return p.param.code_name; }

class ConnectTable : public ::testing::TestWithParam<table_line> {};

TEST_P(ConnectTable, MapsTheInjectedCodeToItsName) {
  const auto& line = GetParam();
  EXPECT_EQ(connect_with_injected(line.code), static_cast<int>(line.want))
      << line.code_name << " should be " << dial::name(line.want);
}

// The specification's errno switch, line for line (EINTR and the traps are tested apart), plus
// dial's two documented additions (ENOBUFS, ENOMEM).
INSTANTIATE_TEST_SUITE_P(
    Specification, ConnectTable,
    ::testing::Values(
        table_line{EACCES, "EACCES", connect_error::access_denied},
        table_line{EPERM, "EPERM", connect_error::permission_denied},
        table_line{EADDRINUSE, "EADDRINUSE", connect_error::address_in_use},
        table_line{EADDRNOTAVAIL, "EADDRNOTAVAIL", connect_error::address_not_available},
        table_line{EAFNOSUPPORT, "EAFNOSUPPORT", connect_error::address_family_not_supported},
        table_line{EAGAIN, "EAGAIN", connect_error::would_block},
        table_line{EINPROGRESS, "EINPROGRESS", connect_error::would_block},
        table_line{EALREADY, "EALREADY", connect_error::connection_pending},
        table_line{ECONNREFUSED, "ECONNREFUSED", connect_error::connection_refused},
        table_line{ECONNRESET, "ECONNRESET", connect_error::connection_reset_by_peer},
        table_line{EHOSTUNREACH, "EHOSTUNREACH", connect_error::network_unreachable},
        table_line{ENETUNREACH, "ENETUNREACH", connect_error::network_unreachable},
        table_line{ETIMEDOUT, "ETIMEDOUT", connect_error::connection_timed_out},
        table_line{ENOENT, "ENOENT", connect_error::file_not_found},
        table_line{ENOBUFS, "ENOBUFS", connect_error::system_resources},
        table_line{ENOMEM, "ENOMEM", connect_error::system_resources}),
    line_name);

// Codes outside the table: Unexpected, with the raw value kept for the report.
INSTANTIATE_TEST_SUITE_P(
    OutsideTheTable, ConnectTable,
    ::testing::Values(table_line{EINVAL, "EINVAL", connect_error::unexpected},
                      table_line{ENOTDIR, "ENOTDIR", connect_error::unexpected},
                      table_line{ELOOP, "ELOOP", connect_error::unexpected},
                      table_line{ENAMETOOLONG, "ENAMETOOLONG", connect_error::unexpected},
                      table_line{EIO, "EIO", connect_error::unexpected},
                      table_line{ENOSYS, "ENOSYS", connect_error::unexpected},
                      table_line{EOPNOTSUPP, "EOPNOTSUPP", connect_error::unexpected},
                      table_line{EPROTONOSUPPORT, "EPROTONOSUPPORT", connect_error::unexpected},
                      table_line{EHOSTDOWN, "EHOSTDOWN", connect_error::unexpected},
                      table_line{EROFS, "EROFS", connect_error::unexpected},
                      table_line{4000, "code4000", connect_error::unexpected}),
    line_name);

// The specification's `unreachable` lines: each traps (SIGABRT), never returns a name.
class ConnectTrapTable : public ::testing::TestWithParam<table_line> {};

TEST_P(ConnectTrapTable, InjectedProgrammerErrorTraps) {
  EXPECT_EQ(connect_with_injected(GetParam().code), 128 + SIGABRT) << GetParam().code_name;
}

INSTANTIATE_TEST_SUITE_P(
    Specification, ConnectTrapTable,
    ::testing::Values(table_line{EBADF, "EBADF", connect_error::unexpected},
                      table_line{EFAULT, "EFAULT", connect_error::unexpected},
                      table_line{EISCONN, "EISCONN", connect_error::unexpected},
                      table_line{ENOTSOCK, "ENOTSOCK", connect_error::unexpected},
                      table_line{EPROTOTYPE, "EPROTOTYPE", connect_error::unexpected},
                      table_line{ECONNABORTED, "ECONNABORTED", connect_error::unexpected}),
    line_name);

// getsockopt_error maps SO_ERROR through the same table; its own call failing is checked too.
TEST(GetsockoptErrorInjection, FailingGetsockoptIsUnexpectedWithTheCodeKept) {
  int rc = t::run_in_child([] {
    auto s = t::make_socket(AF_INET, SOCK_STREAM);
    if (!t::inject_errno(SYS_getsockopt, ENOBUFS, s.get())) return 201;
    auto r = dial::getsockopt_error(s.get());
    if (!r && dial::last_native_error() != ENOBUFS) return 200;
    return t::exit_code(r);
  });
  EXPECT_EQ(rc, static_cast<int>(connect_error::unexpected));
}

TEST(GetsockoptErrorInjection, BadDescriptorTraps) {
  int rc = t::run_in_child([] {
    auto s = t::make_socket(AF_INET, SOCK_STREAM);
    if (!t::inject_errno(SYS_getsockopt, EBADF, s.get())) return 201;
    return t::exit_code(dial::getsockopt_error(s.get()));
  });
  EXPECT_EQ(rc, 128 + SIGABRT);
}

TEST(ConnectErrorFromNative, IsThePureTableForCallersWithTheirOwnLoop) {
  EXPECT_EQ(dial::connect_error_from_native(ECONNREFUSED), connect_error::connection_refused);
  EXPECT_EQ(dial::last_native_error(), ECONNREFUSED);
  EXPECT_EQ(dial::connect_error_from_native(EHOSTUNREACH), connect_error::network_unreachable);
  EXPECT_EQ(dial::last_native_error(), EHOSTUNREACH);
  EXPECT_EQ(dial::connect_error_from_native(ENOTDIR), connect_error::unexpected);
  EXPECT_EQ(dial::last_native_error(), ENOTDIR);
}

}  // namespace
