// tests/testing/testing_test.cpp: <dial/testing.hpp> against the real kernel: a fault_scope
// changes what this process's own connects (dial::connect_to_address and raw ::connect, on
// this thread, other threads, a forked child) see, to listeners that are really open. Its own
// binary: the first scope installs a seccomp filter for the rest of the process's life.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>

#include "dial/dial.hpp"
#include "dial/testing.hpp"
#include "support.hpp"

namespace {

namespace t = dial::test;
using dial::testing::destination;
using dial::testing::fault_plan;
using dial::testing::fault_scope;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

std::string text_of(const t::addr& a) {
  return dial::address::from_native(a.sa(), a.len)->to_string();
}

dial::address address_of(const t::addr& a) { return *dial::address::from_native(a.sa(), a.len); }

// errno of a raw blocking connect to `to` (0: connected).
int raw_connect(const t::addr& to, int family = AF_INET) {
  auto s = t::make_socket(family, SOCK_STREAM);
  return ::connect(s.get(), to.sa(), to.len) == 0 ? 0 : errno;
}

TEST(FaultScope, RefusesOneDestinationAndNothingElse) {
  auto target = t::tcp_listener(AF_INET);
  auto other = t::tcp_listener(AF_INET);
  {
    const fault_scope scope(fault_plan().refuse(text_of(target.where)));
    const auto r = dial::connect_to_address(address_of(target.where));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), dial::connect_to_address_error::connection_refused);
    EXPECT_EQ(raw_connect(target.where), ECONNREFUSED);
    EXPECT_EQ(raw_connect(other.where), 0) << "an unmatched destination connects";
    const auto events = scope.events();
    ASSERT_EQ(events.size(), 3u);
    EXPECT_EQ(events[0].outcome, "refuse");
    EXPECT_EQ(events[0].rule, 1u);
    EXPECT_EQ(events[2].outcome, "continue");
    EXPECT_EQ(events[2].rule, 0u);
  }
  EXPECT_EQ(raw_connect(target.where), 0) << "the scope has ended";
}

TEST(FaultScope, NamedErrnoReachesDialsName) {
  auto target = t::tcp_listener(AF_INET);
  const fault_scope scope(fault_plan().fail(text_of(target.where), "EHOSTUNREACH"));
  const auto r = dial::connect_to_address(address_of(target.where));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), dial::connect_to_address_error::network_unreachable);
  EXPECT_EQ(dial::last_native_error(), EHOSTUNREACH);
}

TEST(FaultScope, BlockingDropTimesOutAfterTheDuration) {
  auto target = t::tcp_listener(AF_INET);
  const fault_scope scope(fault_plan().drop(text_of(target.where), 300ms));
  const auto start = clock_type::now();
  EXPECT_EQ(raw_connect(target.where), ETIMEDOUT);
  const auto took = clock_type::now() - start;
  EXPECT_GE(took, 300ms);
  EXPECT_LT(took, 20s);  // hang detection only
  EXPECT_EQ(scope.events().at(0).how, "held");
}

// A non-blocking connect that is dropped is a real connect in SYN-SENT: EINPROGRESS, never
// writable while it lasts, SO_ERROR 0, a second connect EALREADY; then ETIMEDOUT.
TEST(FaultScope, NonBlockingDropStaysPendingThenTimesOut) {
  auto target = t::tcp_listener(AF_INET);
  const fault_scope scope(fault_plan().drop(text_of(target.where), 1200ms));
  auto s = t::make_socket(AF_INET, SOCK_STREAM, SOCK_NONBLOCK);
  const auto start = clock_type::now();
  ASSERT_EQ(::connect(s.get(), target.where.sa(), target.where.len), -1);
  EXPECT_EQ(errno, EINPROGRESS);
  pollfd p{s.get(), POLLOUT, 0};
  EXPECT_EQ(::poll(&p, 1, 300), 0) << "revents " << p.revents;
  int e = -1;
  socklen_t n = sizeof e;
  ASSERT_EQ(::getsockopt(s.get(), SOL_SOCKET, SO_ERROR, &e, &n), 0);
  EXPECT_EQ(e, 0) << "SYN-SENT: no error yet";
  EXPECT_EQ(::connect(s.get(), target.where.sa(), target.where.len), -1);
  EXPECT_EQ(errno, EALREADY);
  p.revents = 0;
  ASSERT_EQ(::poll(&p, 1, 20000), 1);
  EXPECT_GE(clock_type::now() - start, 1200ms);
  ASSERT_EQ(::getsockopt(s.get(), SOL_SOCKET, SO_ERROR, &e, &n), 0);
  EXPECT_EQ(e, ETIMEDOUT);
  EXPECT_EQ(scope.events().at(0).how, "pending");
}

TEST(FaultScope, DelayConnectsAfterTheDuration) {
  auto target = t::tcp_listener(AF_INET);
  const fault_scope scope(fault_plan().delay(text_of(target.where), 250ms));
  const auto start = clock_type::now();
  EXPECT_TRUE(dial::connect_to_address(address_of(target.where)).has_value());
  EXPECT_GE(clock_type::now() - start, 250ms);
}

TEST(FaultScope, OtherThreadsAndForkedChildrenAreCovered) {
  auto target = t::tcp_listener(AF_INET);
  const fault_scope scope(fault_plan().refuse(text_of(target.where)));
  int seen = -1;
  std::thread([&] { seen = raw_connect(target.where); }).join();
  EXPECT_EQ(seen, ECONNREFUSED);
  const pid_t child = ::fork();
  if (child == 0) ::_exit(raw_connect(target.where) == ECONNREFUSED ? 0 : 1);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
}

TEST(FaultScope, MappedIpv6IsMatchedAsIpv4) {
  auto target = t::tcp_listener(AF_INET);
  const fault_scope scope(
      fault_plan().refuse("127.0.0.0/8:" + std::to_string(target.where.port())));
  EXPECT_EQ(raw_connect(t::ip("::ffff:127.0.0.1", target.where.port()), AF_INET6), ECONNREFUSED);
}

TEST(FaultScope, EndingTheScopeReleasesHeldConnects) {
  auto target = t::tcp_listener(AF_INET);
  int seen = -1;
  std::thread held;
  {
    const fault_scope scope(fault_plan().drop(text_of(target.where)));  // until it gives up
    held = std::thread([&] { seen = raw_connect(target.where); });
    std::this_thread::sleep_for(200ms);
  }
  held.join();
  EXPECT_EQ(seen, ETIMEDOUT);
}

TEST(FaultScope, NestedScopesRestoreTheOuterPlan) {
  auto a = t::tcp_listener(AF_INET);
  const fault_scope outer(fault_plan().refuse(text_of(a.where)));
  {
    const fault_scope inner(fault_plan().fail(text_of(a.where), EACCES));
    EXPECT_EQ(raw_connect(a.where), EACCES);
  }
  EXPECT_EQ(raw_connect(a.where), ECONNREFUSED);
}

// The same seed gives the same decisions; the rate takes some, not all.
TEST(FaultScope, RateIsReproducibleForASeed) {
  auto target = t::tcp_listener(AF_INET, 256);
  auto decisions = [&] {
    fault_plan plan;
    plan.seed(7).rate(0.3).refuse(text_of(target.where));
    const fault_scope scope(plan);
    std::string d;
    for (int i = 0; i < 40; ++i) d += raw_connect(target.where) == ECONNREFUSED ? 'R' : '.';
    return d;
  };
  const std::string first = decisions();
  EXPECT_EQ(decisions(), first);
  const auto refused = std::count(first.begin(), first.end(), 'R');
  EXPECT_GT(refused, 3) << first;
  EXPECT_LT(refused, 25) << first;
}

TEST(FaultScope, UnixPathRule) {
  t::scratch_dir dir;
  auto l = t::unix_listener(dir / "s.sock");
  const fault_scope scope(fault_plan().refuse("unix:" + (dir / "s.sock")));
  auto s = t::make_socket(AF_UNIX, SOCK_STREAM);
  EXPECT_EQ(::connect(s.get(), l.where.sa(), l.where.len), -1);
  EXPECT_EQ(errno, ECONNREFUSED);
}

// ---- destinations: the forms and their failures, with the offset ----------------------------

TEST(Destination, Forms) {
  const auto v4 = dial::address::parse("127.0.0.1:80").value();
  EXPECT_TRUE(destination::parse("127.0.0.1:80")->matches(v4));
  EXPECT_FALSE(destination::parse("127.0.0.1:81")->matches(v4));
  EXPECT_TRUE(destination::parse("127.0.0.0/8:80")->matches(v4));
  EXPECT_FALSE(destination::parse("10.0.0.0/8:80")->matches(v4));
  EXPECT_TRUE(destination::parse("*:80")->matches(v4));
  EXPECT_TRUE(destination::parse("*:80")->matches(dial::address::parse("[::1]:80").value()));
  EXPECT_TRUE(destination::parse("[::1]:80")->matches(dial::address::parse("[::1]:80").value()));
  EXPECT_TRUE(destination::parse("[2001:db8::]/32:443")
                  ->matches(dial::address::parse("[2001:db8:1::5]:443").value()));
  EXPECT_FALSE(destination::parse("[2001:db8::]/32:443")
                   ->matches(dial::address::parse("[2001:db9::5]:443").value()));
  EXPECT_TRUE(destination::parse("[::ffff:127.0.0.1]:80")->matches(v4));
  EXPECT_TRUE(destination::parse("localhost:80")->matches(v4));  // /etc/hosts, no DNS
  EXPECT_TRUE(destination::parse("unix:@x")->matches(dial::address::parse("unix:@x").value()));
  EXPECT_FALSE(destination::parse("unix:@x")->matches(dial::address::parse("unix:@y").value()));
}

TEST(Destination, FailuresNameTheOffset) {
  using dial::error_id;
  auto f = [](std::string_view s) { return destination::parse(s).error(); };
  EXPECT_EQ(f("127.0.0.1").error, error_id::missing_port);
  EXPECT_EQ(f("127.0.0.1").offset, 9u);
  EXPECT_EQ(f("127.0.0.1:x").error, error_id::invalid_port);
  EXPECT_EQ(f("127.0.0.1:x").offset, 10u);
  EXPECT_EQ(f("127.0.0.0/33:1").error, error_id::invalid_ipv4);
  EXPECT_EQ(f("127.0.0.0/33:1").offset, 10u);
  EXPECT_EQ(f("1.2.3:80").error, error_id::invalid_ipv4);
  EXPECT_EQ(f("[::1:80").error, error_id::unterminated_bracket);
  EXPECT_EQ(f("*:0").error, error_id::port_out_of_range);
  EXPECT_EQ(f("").error, error_id::empty_input);
}

TEST(ErrnoNames, BothWays) {
  EXPECT_EQ(dial::testing::errno_from_name("EHOSTUNREACH"), EHOSTUNREACH);
  EXPECT_EQ(dial::testing::errno_from_name("EWOULDBLOCK"), EAGAIN);
  EXPECT_FALSE(dial::testing::errno_from_name("EBOGUS"));
  EXPECT_EQ(dial::testing::errno_name(ECONNREFUSED), "ECONNREFUSED");
  EXPECT_THROW(fault_plan().fail("127.0.0.1:1", "EBOGUS"), std::invalid_argument);
  EXPECT_THROW(fault_plan().refuse("127.0.0.1"), std::invalid_argument);
}

}  // namespace
