// tests/conformance/happy_eyeballs_race_test.cpp: RFC 8305 races against dnsmasq over a veth.
#include <gtest/gtest.h>

#include <cstdio>
#include <stop_token>
#include <thread>

#include "dns_fixture.hpp"
#include "netns_fixtures.hpp"

namespace {

using dial::address;
using dial::connect_to_host_error;
using namespace std::chrono_literals;
namespace t = dial::test;
namespace conf = dial::test::conf;
namespace dns = dial::test::dns;
using steady = std::chrono::steady_clock;

constexpr std::uint16_t port = 8080;

double ms(steady::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

// Prints the race as `dial -v` does, for the test log (docs/dialer.md shows one).
std::string describe(const dial::race_report& r) {
  std::string out;
  char line[200];
  for (const auto& l : r.lookups) {
    std::snprintf(line, sizeof line, "  %+8.1f ms  %-4s answer: %zu address(es)%s%s\n",
                  ms(l.at - r.began), l.family == dial::address_kind::ipv6 ? "AAAA" : "A",
                  l.addresses, l.outcome ? "" : ", ",
                  l.outcome ? "" : std::string(dial::name(l.outcome.error())).c_str());
    out += line;
  }
  for (const auto& a : r.attempts) {
    std::snprintf(line, sizeof line, "  %+8.1f ms .. %+8.1f ms  %-22s %s\n", ms(a.start - r.began),
                  ms(a.end - r.began), a.to.to_string().c_str(),
                  std::string(a.outcome_name()).c_str());
    out += line;
  }
  return out;
}

bool hosts(const std::vector<std::string>& drops) { return conf::race_hosts(drops); }
t::listener listen_at(const std::string& ip) { return conf::race_listener(ip); }

dial::connect_to_host_options via(const address& server) {
  dial::connect_to_host_options o;
  o.resolve.servers = {server};
  o.resolve.hosts_file.clear();
  o.deadline = steady::now() + 10s;
  return o;
}

// In a new namespace with dnsmasq and the hosts: runs body; the child's status.
int race_in_netns(const std::vector<std::string>& drops, const std::function<int()>& body) {
  return conf::in_netns([&] {
    if (!hosts(drops)) return static_cast<int>(conf::setup_failed);
    dns::dnsmasq server;
    if (!server.start()) return static_cast<int>(conf::setup_failed);
    return body();
  });
}

TEST(HappyEyeballsRace, Ipv6SynsDroppedIpv4WinsAfterOneAttemptDelay) {
  if (!t::is_root()) GTEST_SKIP() << t::needs_root;
  const int rc = race_in_netns({"2001:db8::2"}, [] {
    auto l6 = listen_at("2001:db8::2"), l4 = listen_at("192.0.2.2");
    CHILD_CHECK(l6.sock.get() >= 0 && l4.sock.get() >= 0, "listeners");
    const int before = t::count_open_fds();
    for (auto delay : {250ms, 100ms}) {  // the default, and a configured one
      auto o = via(dns::dnsmasq::where());
      o.attempt_delay = delay;
      auto r = dial::connect_to_host("race.test", port, o);
      CHILD_CHECK(r, dial::name(r.error().error));
      std::printf("race.test, attempt delay %lld ms:\n%s", static_cast<long long>(delay.count()),
                  describe(r->report).c_str());
      const auto& at = r->report.attempts;
      CHILD_CHECK(r->peer == *address::parse("192.0.2.2:8080"), r->peer.to_string());
      CHILD_CHECK(r->report.lookups.size() == 2, "both answers seen");
      CHILD_CHECK(at.size() == 2, "two attempts");
      CHILD_CHECK(at[0].to == *address::parse("[2001:db8::2]:8080"), "IPv6 first");
      CHILD_CHECK(at[0].outcome_name() == "Canceled", "the loser is closed as Canceled");
      CHILD_CHECK(at[1].outcome_name() == "Connected", "IPv4 wins");
      const auto gap = at[1].start - at[0].start;
      CHILD_CHECK(gap >= delay - 5ms && gap < delay + 750ms, "IPv4 starts one attempt delay later");
      CHILD_CHECK(at[0].end >= at[1].end, "the IPv6 attempt stayed alive until IPv4 won");
    }
    CHILD_CHECK(t::count_open_fds() == before, "winners closed, nothing else left open");
    return 0;
  });
  EXPECT_EQ(rc, 0) << conf::describe(rc);
}

TEST(HappyEyeballsRace, Ipv6RefusedFallsBackAtOnce) {
  if (!t::is_root()) GTEST_SKIP() << t::needs_root;
  const int rc = race_in_netns({}, [] {
    auto l4 = listen_at("192.0.2.2");  // nothing on [2001:db8::2]:8080: RST
    auto r = dial::connect_to_host("race.test", port, via(dns::dnsmasq::where()));
    CHILD_CHECK(r, dial::name(r.error().error));
    std::printf("race.test, IPv6 refused:\n%s", describe(r->report).c_str());
    const auto& at = r->report.attempts;
    CHILD_CHECK(at.size() == 2, "two attempts");
    CHILD_CHECK(at[0].outcome_name() == "ConnectionRefused", at[0].outcome_name());
    CHILD_CHECK(at[1].outcome_name() == "Connected", at[1].outcome_name());
    CHILD_CHECK(at[1].start >= at[0].end, "the fallback follows the refusal");
    CHILD_CHECK(at[1].start - at[0].start < 150ms, "no attempt delay after a failure");
    return 0;
  });
  EXPECT_EQ(rc, 0) << conf::describe(rc);
}

TEST(HappyEyeballsRace, BothRefusedErrorListsBoth) {
  if (!t::is_root()) GTEST_SKIP() << t::needs_root;
  const int rc = race_in_netns({}, [] {
    auto r = dial::connect_to_host("dead.test", port, via(dns::dnsmasq::where()));
    CHILD_CHECK(!r, "nobody listens");
    CHILD_CHECK(r.error().error == connect_to_host_error::connection_refused,
                dial::name(r.error().error));
    const auto& at = r.error().report.attempts;
    CHILD_CHECK(at.size() == 2, "both addresses tried");
    CHILD_CHECK(at[0].to == *address::parse("[2001:db8::3]:8080") &&
                    at[1].to == *address::parse("192.0.2.3:8080"),
                "IPv6, then IPv4");
    for (const auto& a : at)
      CHILD_CHECK(a.outcome_name() == "ConnectionRefused" && a.native == ECONNREFUSED,
                  a.outcome_name());
    return 0;
  });
  EXPECT_EQ(rc, 0) << conf::describe(rc);
}

TEST(HappyEyeballsRace, BothDroppedIsTimeoutOnTimeListingBoth) {
  if (!t::is_root()) GTEST_SKIP() << t::needs_root;
  const int rc = race_in_netns({"2001:db8::3", "192.0.2.3"}, [] {
    const int before = t::count_open_fds();
    auto o = via(dns::dnsmasq::where());
    const auto start = steady::now();
    o.deadline = start + 700ms;  // far shorter than the kernel's SYN timeout
    auto r = dial::connect_to_host("dead.test", port, o);
    const auto took = steady::now() - start;
    CHILD_CHECK(!r, "SYNs are dropped");
    std::printf("dead.test, all SYNs dropped, deadline 700 ms:\n%s",
                describe(r.error().report).c_str());
    CHILD_CHECK(r.error().error == connect_to_host_error::timeout, dial::name(r.error().error));
    CHILD_CHECK(took >= 695ms && took < 3s, "Timeout at the deadline");
    const auto& at = r.error().report.attempts;
    CHILD_CHECK(at.size() == 2, "both addresses attempted");
    for (const auto& a : at) CHILD_CHECK(a.outcome_name() == "Timeout", a.outcome_name());
    CHILD_CHECK(at[1].start - at[0].start >= 245ms, "the second started one delay later");
    CHILD_CHECK(t::count_open_fds() == before, "every attempt closed");
    return 0;
  });
  EXPECT_EQ(rc, 0) << conf::describe(rc);
}

TEST(HappyEyeballsRace, CanceledMidRace) {
  if (!t::is_root()) GTEST_SKIP() << t::needs_root;
  const int rc = race_in_netns({"2001:db8::3", "192.0.2.3"}, [] {
    const int before = t::count_open_fds();
    std::stop_source stop;
    auto o = via(dns::dnsmasq::where());
    o.stop = stop.get_token();
    std::thread canceller([&] {
      std::this_thread::sleep_for(400ms);
      stop.request_stop();
    });
    const auto start = steady::now();
    auto r = dial::connect_to_host("dead.test", port, o);
    const auto took = steady::now() - start;
    canceller.join();
    CHILD_CHECK(!r && r.error().error == connect_to_host_error::canceled,
                r ? "connected" : dial::name(r.error().error));
    CHILD_CHECK(took >= 395ms && took < 3s, "ended when the stop came");
    const auto& at = r.error().report.attempts;
    CHILD_CHECK(at.size() == 2, "both attempts were running");
    for (const auto& a : at) CHILD_CHECK(a.outcome_name() == "Canceled", a.outcome_name());
    CHILD_CHECK(t::count_open_fds() == before, "every attempt closed");
    return 0;
  });
  EXPECT_EQ(rc, 0) << conf::describe(rc);
}

TEST(HappyEyeballsRace, AaaaNeverAnsweredStartsAfterTheResolutionDelay) {
  if (!t::is_root()) GTEST_SKIP() << t::needs_root;
  const int rc = conf::in_netns([] {
    if (!hosts({})) return static_cast<int>(conf::setup_failed);
    dns::silent_aaaa_server server;
    if (!server.start()) return static_cast<int>(conf::setup_failed);
    auto l4 = listen_at("192.0.2.30");
    const int before = t::count_open_fds();
    auto r = dial::connect_to_host("any.test", port, via(dns::silent_aaaa_server::where()));
    CHILD_CHECK(r, dial::name(r.error().error));
    std::printf("any.test, AAAA never answered:\n%s", describe(r->report).c_str());
    const auto& rep = r->report;
    CHILD_CHECK(rep.lookups.size() == 1 && rep.lookups[0].family == dial::address_kind::ipv4,
                "only A answered");
    CHILD_CHECK(rep.attempts.size() == 1, "one attempt");
    const auto wait = rep.attempts[0].start - rep.lookups[0].at;
    CHILD_CHECK(wait >= 45ms && wait < 1s, "waited the resolution delay for AAAA");
    CHILD_CHECK(server.dropped_aaaa() >= 1, "AAAA was asked");
    r = {};
    CHILD_CHECK(t::count_open_fds() == before, "the outstanding AAAA query's socket closed too");
    return 0;
  });
  EXPECT_EQ(rc, 0) << conf::describe(rc);
}

}  // namespace
