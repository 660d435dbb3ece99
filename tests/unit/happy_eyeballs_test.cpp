// tests/unit/happy_eyeballs_test.cpp: interleaving, the delay clamp, and loopback races.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/syscall.h>

#include <fstream>

#include "dial/dial.hpp"
#include "support.hpp"

namespace {

using dial::address;
using dial::connect_to_host_error;
using namespace std::chrono_literals;
namespace t = dial::test;
using clock_type = dial::deadline_clock;

address A(const std::string& text) { return *address::parse(text); }

static_assert(dial::is_subset_v<connect_to_host_error, dial::connect_until_error>);
static_assert(dial::is_subset_v<connect_to_host_error, dial::socket_error>);
static_assert(dial::is_subset_v<connect_to_host_error, dial::resolve_error>);

TEST(Interleave, AlternatesFamiliesStartingWithTheFirst) {
  const std::vector<address> sorted = {A("[2001:db8::1]:1"), A("[2001:db8::2]:1"),
                                       A("[2001:db8::3]:1"), A("192.0.2.1:1"), A("192.0.2.2:1")};
  EXPECT_EQ(dial::interleave_families(sorted),
            (std::vector<address>{A("[2001:db8::1]:1"), A("192.0.2.1:1"), A("[2001:db8::2]:1"),
                                  A("192.0.2.2:1"), A("[2001:db8::3]:1")}));
  EXPECT_EQ(dial::interleave_families(sorted, 2),
            (std::vector<address>{A("[2001:db8::1]:1"), A("[2001:db8::2]:1"), A("192.0.2.1:1"),
                                  A("[2001:db8::3]:1"), A("192.0.2.2:1")}));
  EXPECT_EQ(dial::interleave_families(sorted, 0), dial::interleave_families(sorted, 1));
}

TEST(Interleave, OneFamilyOrNoneIsUnchanged) {
  const std::vector<address> v4 = {A("192.0.2.1:1"), A("192.0.2.2:1")};
  EXPECT_EQ(dial::interleave_families(v4), v4);
  EXPECT_TRUE(dial::interleave_families({}).empty());
  const std::vector<address> v4first = {A("192.0.2.1:1"), A("[2001:db8::1]:1"),
                                        A("[2001:db8::2]:1"), A("[2001:db8::3]:1")};
  EXPECT_EQ(dial::interleave_families(v4first),
            (std::vector<address>{A("192.0.2.1:1"), A("[2001:db8::1]:1"), A("[2001:db8::2]:1"),
                                  A("[2001:db8::3]:1")}));
}

TEST(AttemptDelay, ClampedToTenMilliseconds) {
  EXPECT_EQ(dial::clamp_attempt_delay(0ms), 10ms);
  EXPECT_EQ(dial::clamp_attempt_delay(-5ms), 10ms);
  EXPECT_EQ(dial::clamp_attempt_delay(9ms), 10ms);
  EXPECT_EQ(dial::clamp_attempt_delay(10ms), 10ms);
  EXPECT_EQ(dial::clamp_attempt_delay(250ms), 250ms);
  EXPECT_EQ(dial::connect_to_host_options{}.attempt_delay, 250ms);
  EXPECT_EQ(dial::connect_to_host_options{}.resolution_delay, 50ms);
  EXPECT_EQ(dial::connect_to_host_options{}.first_address_family_count, 1u);
}

// A hosts file naming both loopbacks, so that races need no DNS server (and none is asked).
struct loopback_host {
  t::scratch_dir dir;
  dial::connect_to_host_options options;
  loopback_host() {
    std::ofstream(dir / "hosts") << "::1 dual.test\n127.0.0.1 dual.test\n";
    options.resolve.hosts_file = dir / "hosts";
    options.resolve.servers = {A("127.0.0.1:1")};  // a query would fail the test
    options.deadline = clock_type::now() + 10s;
  }
};

TEST(ConnectToHost, NumericHostConnects) {
  auto l = t::tcp_listener(AF_INET);
  auto r = dial::connect_to_host("127.0.0.1", l.where.port());
  ASSERT_TRUE(r) << dial::name(r.error().error);
  EXPECT_EQ(r->peer, A("127.0.0.1:" + std::to_string(l.where.port())));
  ASSERT_EQ(r->report.attempts.size(), 1u);
  EXPECT_EQ(r->report.attempts[0].outcome_name(), "Connected");
  EXPECT_EQ((::fcntl(r->socket.get(), F_GETFL) & O_NONBLOCK), 0) << "blocking by default";
  EXPECT_NE((::fcntl(r->socket.get(), F_GETFD) & FD_CLOEXEC), 0);
}

TEST(ConnectToHost, RefusedIPv6FallsBackToIPv4AtOnce) {
  auto l = t::tcp_listener(AF_INET);            // 127.0.0.1:P listens
  auto closed6 = t::closed_tcp_port(AF_INET6);  // keeps some [::1] port refused
  (void)closed6;
  loopback_host h;
  const int before = t::count_open_fds();
  auto r = dial::connect_to_host("dual.test", l.where.port(), h.options);
  ASSERT_TRUE(r) << dial::name(r.error().error);
  const auto& at = r->report.attempts;
  ASSERT_EQ(at.size(), 2u);
  EXPECT_TRUE(at[0].to.kind() == dial::address_kind::ipv6);
  EXPECT_EQ(at[0].outcome_name(), "ConnectionRefused");
  EXPECT_EQ(at[0].native, ECONNREFUSED);
  EXPECT_EQ(at[1].outcome_name(), "Connected");
  EXPECT_LT(at[1].start - at[0].start, 200ms) << "a failure starts the next attempt at once";
  EXPECT_EQ(t::count_open_fds(), before + 1);  // the connection, nothing else
}

TEST(ConnectToHost, EveryAddressRefusedListsEveryAttempt) {
  auto closed = t::closed_tcp_port(AF_INET);
  loopback_host h;
  const int before = t::count_open_fds();
  auto r = dial::connect_to_host("dual.test", closed.where.port(), h.options);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().error, connect_to_host_error::connection_refused);
  ASSERT_EQ(r.error().report.attempts.size(), 2u);
  for (const auto& a : r.error().report.attempts) EXPECT_EQ(a.outcome_name(), "ConnectionRefused");
  EXPECT_EQ(t::count_open_fds(), before);
}

TEST(ConnectToHost, LocalResourceErrorStopsAtOnce) {
  auto l = t::tcp_listener(AF_INET);  // the IPv4 address would connect, were it tried
  loopback_host h;
  const int rc = t::run_in_child([&] {
    // socket(AF_INET6, ...) fails with EMFILE: the first attempt hits the descriptor limit, and
    // no other address may be tried after a local resource error.
    if (!t::inject_errno(SYS_socket, EMFILE, AF_INET6)) return 100;
    auto r = dial::connect_to_host("dual.test", l.where.port(), h.options);
    if (r) return 101;
    if (r.error().error != connect_to_host_error::process_fd_quota_exceeded) return 102;
    if (r.error().report.attempts.size() != 1) return 103;
    return r.error().report.attempts[0].native == EMFILE ? 0 : 104;
  });
  EXPECT_EQ(rc, 0);
}

TEST(ConnectToHost, FailedResolutionIsResolvesError) {
  loopback_host h;
  auto r = dial::connect_to_host("not-in-hosts.test", 9, h.options);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().error, connect_to_host_error::temporary_name_server_failure);
  EXPECT_TRUE(r.error().report.attempts.empty());
  auto bad = dial::connect_to_host("bad..name", 9, h.options);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().error, connect_to_host_error::invalid_host_name);
}

TEST(ConnectToHost, NonBlockingOptionLeavesTheSocketNonBlocking) {
  auto l = t::tcp_listener(AF_INET6);
  dial::connect_to_host_options o;
  o.non_blocking = true;
  auto r = dial::connect_to_host("::1", l.where.port(), o);
  ASSERT_TRUE(r) << dial::name(r.error().error);
  EXPECT_NE((::fcntl(r->socket.get(), F_GETFL) & O_NONBLOCK), 0);
}

}  // namespace

// connect_to_host_options::source in the machine itself, in virtual time: only its family races.
TEST(HappyEyeballsSource, AnIpv4SourceStartsOnAAtOnceAndNeverTriesIpv6) {
  dial::connect_to_host_options o;
  o.source = A("192.0.2.10:0");
  const auto t0 = clock_type::time_point{} + 1h;
  dial::happy_eyeballs race(o, t0);
  EXPECT_TRUE(race.awaiting_answers());
  race.on_answer(dial::address_kind::ipv4, std::vector<address>{A("192.0.2.1:80")}, 0, t0);
  EXPECT_FALSE(race.awaiting_answers()) << "AAAA would bring nothing to try";
  const auto first = race.next(t0);  // no resolution delay: AAAA is not waited for
  ASSERT_EQ(first.step, dial::race_step::start_attempt);
  EXPECT_EQ(first.to, A("192.0.2.1:80"));
  EXPECT_TRUE(first.alone);
  race.on_answer(dial::address_kind::ipv6, std::vector<address>{A("[2001:db8::1]:80")}, 0,
                 t0 + 1ms);
  EXPECT_TRUE(race.untried().empty());
  EXPECT_EQ(race.report().lookups.size(), 2u) << "the other family's answer is reported";
  race.on_failed(first.attempt, connect_to_host_error::connection_refused, 111, t0 + 2ms);
  EXPECT_EQ(race.next(t0 + 2ms).step, dial::race_step::finished);
  EXPECT_EQ(race.result().error(), connect_to_host_error::connection_refused);
  EXPECT_EQ(race.report().attempts.size(), 1u);
}

TEST(HappyEyeballsSource, NoAddressOfTheSourcesFamilyIsAddressFamilyNotSupported) {
  dial::connect_to_host_options o;
  o.source = A("[2001:db8::10]:0");
  const auto t0 = clock_type::time_point{} + 1h;
  dial::happy_eyeballs race(o, t0);
  race.on_answer(dial::address_kind::ipv6,
                 std::unexpected(dial::resolve_error::host_lacks_network_addresses), 0, t0);
  race.on_answer(dial::address_kind::ipv4, std::vector<address>{A("192.0.2.1:80")}, 0, t0);
  EXPECT_EQ(race.next(t0).step, dial::race_step::finished);
  EXPECT_EQ(race.result().error(), connect_to_host_error::address_family_not_supported);
  EXPECT_TRUE(race.report().attempts.empty());
  // Without any address at all, the lookup's own failure stays the race's.
  dial::happy_eyeballs none(o, t0);
  none.on_answer(dial::address_kind::ipv6, std::unexpected(dial::resolve_error::unknown_host_name),
                 0, t0);
  none.on_answer(dial::address_kind::ipv4, std::unexpected(dial::resolve_error::unknown_host_name),
                 0, t0);
  EXPECT_EQ(none.next(t0).step, dial::race_step::finished);
  EXPECT_EQ(none.result().error(), connect_to_host_error::unknown_host_name);
}
