// tests/conformance/happy_eyeballs_sync_failure_test.cpp: races whose attempts fail inside
// connect() (unreachable and prohibit routes, no route) end at once, with or without a deadline.
#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <fstream>

#include "netns_fixtures.hpp"

namespace {

using dial::connect_to_host_error;
using namespace std::chrono_literals;
namespace t = dial::test;
namespace conf = dial::test::conf;
using steady = std::chrono::steady_clock;

constexpr std::uint16_t port = 8080;

// Routes that fail a connect inside the system call: `unreachable` gives EHOSTUNREACH,
// `prohibit` EACCES, and an address with no route at all ENETUNREACH. No packet is sent.
constexpr const char* routes =
    "ip route add unreachable 198.51.100.0/26 && ip route add prohibit 198.51.100.64/26"
    " && ip -6 route add unreachable 2001:db8:1::/48 && ip -6 route add prohibit 2001:db8:2::/48";

struct address_case {
  const char* ip;
  int native;  // what the kernel answers inside connect()
};

constexpr address_case unreachable6{"2001:db8:1::1", EHOSTUNREACH};
constexpr address_case prohibit6{"2001:db8:2::1", EACCES};
constexpr address_case noroute6{"2001:db8:3::1", ENETUNREACH};
constexpr address_case unreachable4{"198.51.100.1", EHOSTUNREACH};
constexpr address_case prohibit4{"198.51.100.65", EACCES};
constexpr address_case noroute4{"198.51.100.200", ENETUNREACH};  // no route: above the two /26

// The endpoint's text as dial::address prints it: "[2001:db8:1::1]:8080", "198.51.100.1:8080".
std::string endpoint(const address_case& c) {
  const std::string ip = c.ip;
  return (ip.find(':') != std::string::npos ? "[" + ip + "]" : ip) + ":" + std::to_string(port);
}

// A hosts file naming `dead.test` with these addresses, so that no DNS server is needed.
std::string hosts_file(const t::scratch_dir& dir, const std::vector<address_case>& as) {
  const std::string path = dir / "hosts";
  std::ofstream out(path);
  for (const auto& a : as) out << a.ip << " dead.test\n";
  return path;
}

// Races dead.test over `as` (with `deadline` from now, or none) in a new namespace with the
// routes above; checks that it ends long before any deadline, with each address's own error.
int every_address_fails_at_once(const std::vector<address_case>& as, bool with_deadline) {
  return conf::in_netns(
      [&] {
        if (!conf::setup(routes)) return static_cast<int>(conf::setup_failed);
        t::scratch_dir dir;
        dial::connect_to_host_options o;
        o.resolve.hosts_file = hosts_file(dir, as);
        const auto start = steady::now();
        if (with_deadline) o.deadline = start + 10s;
        const int before = t::count_open_fds();
        auto r = dial::connect_to_host("dead.test", port, o);
        const auto took = steady::now() - start;
        CHILD_CHECK(!r, "nothing can connect");
        // Without the fix the call polled an empty set until the deadline (or for ever: the
        // child's 30 s limit ends it).
        CHILD_CHECK(took < 2s, "the race ended when its last attempt failed, not at a deadline");
        const auto& at = r.error().report.attempts;
        CHILD_CHECK(at.size() == as.size(), "every address was tried");
        for (const auto& a : at) {
          const auto it = std::find_if(as.begin(), as.end(), [&](const address_case& c) {
            return endpoint(c) == a.to.to_string();
          });
          CHILD_CHECK(it != as.end(), a.to.to_string());
          CHILD_CHECK(a.native == it->native, a.to.to_string() + " gave " +
                                                  std::to_string(a.native) + ", " +
                                                  std::string(a.outcome_name()));
          CHILD_CHECK(a.end - a.start < 100ms, "failed inside connect()");
        }
        CHILD_CHECK(r.error().error == at.front().outcome.error(), "the first attempt's error");
        CHILD_CHECK(t::count_open_fds() == before, "no descriptor left");
        return 0;
      },
      10s);
}

TEST(HappyEyeballsSyncFailure, Ipv6OnlyEndsAtOnceWithoutADeadline) {
  if (!t::is_root()) GTEST_SKIP() << t::needs_root;
  const int rc = every_address_fails_at_once({unreachable6, prohibit6, noroute6}, false);
  EXPECT_EQ(rc, 0) << conf::describe(rc);
}

TEST(HappyEyeballsSyncFailure, Ipv4OnlyEndsAtOnceWithoutADeadline) {
  if (!t::is_root()) GTEST_SKIP() << t::needs_root;
  const int rc = every_address_fails_at_once({unreachable4, prohibit4, noroute4}, false);
  EXPECT_EQ(rc, 0) << conf::describe(rc);
}

TEST(HappyEyeballsSyncFailure, BothFamiliesEndAtOnceWithoutADeadline) {
  if (!t::is_root()) GTEST_SKIP() << t::needs_root;
  const int rc = every_address_fails_at_once(
      {unreachable6, prohibit6, noroute6, unreachable4, prohibit4, noroute4}, false);
  EXPECT_EQ(rc, 0) << conf::describe(rc);
}

TEST(HappyEyeballsSyncFailure, BothFamiliesEndAtOnceBeforeTheirDeadline) {
  if (!t::is_root()) GTEST_SKIP() << t::needs_root;
  for (const auto& set : {std::vector<address_case>{unreachable6, prohibit6},
                          std::vector<address_case>{unreachable4, prohibit4},
                          std::vector<address_case>{noroute6, unreachable4, prohibit6, noroute4}}) {
    const int rc = every_address_fails_at_once(set, true);
    EXPECT_EQ(rc, 0) << conf::describe(rc);
  }
}

TEST(HappyEyeballsSyncFailure, AnAddressFailingAtOnceCostsNoAttemptDelay) {
  if (!t::is_root()) GTEST_SKIP() << t::needs_root;
  const int rc = conf::in_netns([] {
    if (!conf::setup(routes)) return static_cast<int>(conf::setup_failed);
    auto l = t::tcp_listener(AF_INET);
    t::scratch_dir dir;
    {
      std::ofstream out(dir / "hosts");
      out << "2001:db8:1::1 mixed.test\n127.0.0.1 mixed.test\n";
    }
    dial::connect_to_host_options o;
    o.resolve.hosts_file = dir / "hosts";
    o.attempt_delay = 2s;  // would be plain to see
    const auto start = steady::now();
    auto r = dial::connect_to_host("mixed.test", l.where.port(), o);
    const auto took = steady::now() - start;
    CHILD_CHECK(r, dial::name(r.error().error));
    const auto& at = r->report.attempts;
    CHILD_CHECK(at.size() == 2, "two attempts");
    CHILD_CHECK(at[0].native == EHOSTUNREACH, at[0].outcome_name());
    CHILD_CHECK(at[1].outcome_name() == "Connected", at[1].outcome_name());
    CHILD_CHECK(at[1].start - at[0].end < 100ms, "the next address started as the first failed");
    CHILD_CHECK(took < 1s, "no attempt delay was spent");
    return 0;
  });
  EXPECT_EQ(rc, 0) << conf::describe(rc);
}

}  // namespace
