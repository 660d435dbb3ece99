// tests/unit/error_test.cpp: names, sets, widening and std::error_code interop.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "dial/dial.hpp"
#include "support.hpp"

namespace {

using dial::connect_error;

TEST(ErrorNames, ConnectSetHasExactlyTheSpecificationsFourteenNames) {
  const std::set<std::string> spec = {"AccessDenied",
                                      "AddressFamilyNotSupported",
                                      "AddressInUse",
                                      "AddressNotAvailable",
                                      "ConnectionPending",
                                      "ConnectionRefused",
                                      "ConnectionResetByPeer",
                                      "ConnectionTimedOut",
                                      "FileNotFound",
                                      "NetworkUnreachable",
                                      "PermissionDenied",
                                      "SystemResources",
                                      "Unexpected",
                                      "WouldBlock"};
  std::set<std::string> ours;
  for (dial::error_id m : dial::error_set_traits<connect_error>::members)
    ours.emplace(dial::name(m));
  EXPECT_EQ(ours, spec);
  EXPECT_EQ(std::size(dial::error_set_traits<connect_error>::members), 14u);
}

TEST(ErrorNames, NameGivesTheSpecificationsSpelling) {
  EXPECT_EQ(dial::name(connect_error::connection_refused), "ConnectionRefused");
  EXPECT_EQ(dial::name(connect_error::would_block), "WouldBlock");
  EXPECT_EQ(dial::name(dial::socket_error::process_fd_quota_exceeded), "ProcessFdQuotaExceeded");
  EXPECT_EQ(dial::name(static_cast<dial::error_id>(200)), "");
}

TEST(ErrorNames, EveryIdHasADistinctNameAndAMessage) {
  std::set<std::string_view> seen;
  for (int i = 1; i < 256; ++i) {
    auto n = dial::name(static_cast<dial::error_id>(i));
    if (n.empty()) continue;
    EXPECT_TRUE(seen.insert(n).second) << n;
    EXPECT_FALSE(dial::message(static_cast<dial::error_id>(i)).empty()) << n;
  }
  EXPECT_GE(seen.size(), 19u);
}

TEST(ErrorNames, SocketSetIsTheIssuesNineNames) {
  const std::set<std::string> want = {
      "AccessDenied",           "AddressFamilyNotSupported", "ProtocolFamilyNotAvailable",
      "ProcessFdQuotaExceeded", "SystemFdQuotaExceeded",     "SystemResources",
      "ProtocolNotSupported",   "SocketTypeNotSupported",    "Unexpected"};
  std::set<std::string> ours;
  for (dial::error_id m : dial::error_set_traits<dial::socket_error>::members)
    ours.emplace(dial::name(m));
  EXPECT_EQ(ours, want);
}

// A set made only for this test, to show widening is checked from the one list of names.
#define TEST_REFUSED_ONLY(X) X(connection_refused) X(unexpected)
}  // namespace
namespace dial {
DIAL_DECLARE_ERROR_SET(test_refused_only, TEST_REFUSED_ONLY);
}
namespace {

TEST(ErrorSets, WideningIsCheckedByTheTypeSystem) {
  static_assert(dial::is_subset_v<connect_error, dial::test_refused_only>);
  static_assert(!dial::is_subset_v<dial::test_refused_only, connect_error>);
  static_assert(!dial::is_subset_v<dial::socket_error, connect_error>);
  auto w = dial::widen<connect_error>(dial::test_refused_only::connection_refused);
  EXPECT_EQ(w, connect_error::connection_refused);
  EXPECT_EQ(dial::name(w), "ConnectionRefused");
  static_assert(dial::id(dial::socket_error::unexpected) == dial::id(connect_error::unexpected));
}

TEST(ErrorCode, RefusedEqualsTheStdCondition) {
  std::error_code ec = connect_error::connection_refused;  // implicit: is_error_code_enum
  EXPECT_EQ(ec.category().name(), std::string("dial"));
  EXPECT_TRUE(ec == std::errc::connection_refused);
  EXPECT_FALSE(ec == std::errc::timed_out);
  EXPECT_EQ(ec.message(), "ConnectionRefused: connection refused");
  EXPECT_TRUE(std::error_code(connect_error::connection_timed_out) == std::errc::timed_out);
  EXPECT_TRUE(std::error_code(connect_error::would_block) == std::errc::operation_would_block);
  EXPECT_TRUE(std::error_code(dial::socket_error::process_fd_quota_exceeded) ==
              std::errc::too_many_files_open);
  // Unexpected has no portable equivalent and stays in dial's category.
  std::error_code u = connect_error::unexpected;
  EXPECT_EQ(u.default_error_condition().category(), dial::category());
  EXPECT_TRUE(ec);  // non-zero: an error
}

TEST(ErrorCode, RealRefusedConnectComparesEqualToErrc) {
  auto closed = dial::test::closed_tcp_port(AF_INET);
  auto s = dial::test::make_socket(AF_INET, SOCK_STREAM);
  auto r = dial::connect(s.get(), closed.where.sa(), closed.where.len);
  ASSERT_FALSE(r);
  std::error_code ec = make_error_code(r.error());
  EXPECT_TRUE(ec == std::errc::connection_refused);
  EXPECT_EQ(dial::last_native_error(), ECONNREFUSED);
}

}  // namespace
