// tests/asio/asio_race_test.cpp: the blocking dialer's RFC 8305 races rerun through dial/asio.hpp,
// with the same expectations: dnsmasq (and the silent-AAAA server) in private namespaces, hosts on
// a veth, SYNs dropped by nftables, routes that fail inside connect().
#include "dial/asio.hpp"

#include <gtest/gtest.h>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/io_context.hpp>

#include <algorithm>
#include <cstdio>
#include <fstream>

#include "dns_fixture.hpp"
#include "netns_fixtures.hpp"

namespace {

namespace net = boost::asio;
using dial::address;
using dial::connect_to_host_error;
using namespace std::chrono_literals;
namespace t = dial::test;
namespace conf = dial::test::conf;
namespace dns = dial::test::dns;
using steady = std::chrono::steady_clock;

constexpr std::uint16_t port = 8080;

double ms(steady::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

void print(const char* title, const dial::race_report& r) {
  std::printf("%s\n", title);
  for (const auto& l : r.lookups)
    std::printf("  %+8.1f ms  %-4s answer: %zu address(es) %s\n", ms(l.at - r.began),
                l.family == dial::address_kind::ipv6 ? "AAAA" : "A", l.addresses,
                l.outcome ? "" : std::string(dial::name(l.outcome.error())).c_str());
  for (const auto& a : r.attempts)
    std::printf("  %+8.1f ms .. %+8.1f ms  %-22s %s\n", ms(a.start - r.began), ms(a.end - r.began),
                a.to.to_string().c_str(), std::string(a.outcome_name()).c_str());
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

struct result {
  int calls = 0;
  std::error_code ec;
  bool open = false;
  address peer;
  dial::race_report report;
  steady::duration took{};
};

// One race through the adapter on a fresh io_context; `cancel_after` > 0 emits a terminal
// cancellation then.
result race(const std::string& host, const dial::connect_to_host_options& o,
            steady::duration cancel_after = {}) {
  net::io_context io;
  result r;
  net::cancellation_signal cancel;
  net::steady_timer timer(io);
  if (cancel_after > steady::duration{}) {
    timer.expires_after(cancel_after);
    timer.async_wait([&](boost::system::error_code e) {
      if (!e) cancel.emit(net::cancellation_type::terminal);
    });
  }
  const auto start = steady::now();
  dial::asio::async_connect_to_host(
      io.get_executor(), host, port, o,
      net::bind_cancellation_slot(
          cancel.slot(), [&](std::error_code ec, net::ip::tcp::socket s, dial::race_report rep) {
            ++r.calls;
            r.took = steady::now() - start;
            r.ec = ec;
            r.open = s.is_open();
            if (!ec) r.peer = rep.attempts.empty() ? address() : rep.attempts.back().to;
            for (const auto& a : rep.attempts)
              if (a.outcome) r.peer = a.to;
            r.report = std::move(rep);
            timer.cancel();
          }));
  io.run();
  return r;
}

int race_in_netns(const std::vector<std::string>& drops, const std::function<int()>& body) {
  return conf::in_netns([&] {
    if (!hosts(drops)) return static_cast<int>(conf::setup_failed);
    dns::dnsmasq server;
    if (!server.start()) return static_cast<int>(conf::setup_failed);
    return body();
  });
}

// One family, the other, both: the winner is the preferred family's address.
int connects_to(const std::string& host, const std::string& expect, std::size_t attempts) {
  auto l = listen_at(expect.front() == '[' ? expect.substr(1, expect.find(']') - 1)
                                           : expect.substr(0, expect.find(':')));
  CHILD_CHECK(l.sock.get() >= 0, "listener");
  const int before = t::count_open_fds();
  auto r = race(host, via(dns::dnsmasq::where()));
  print(host.c_str(), r.report);
  CHILD_CHECK(r.calls == 1, "completed once");
  CHILD_CHECK(!r.ec, r.ec.message());
  CHILD_CHECK(r.open, "the socket is open");
  CHILD_CHECK(r.peer == *address::parse(expect), r.peer.to_string());
  // The winner's family answered with its address; the other answer is in the report only if
  // it came before the connect won (RFC 8305 starts on the first answer: under AddressSanitizer
  // an IPv6 connect won at +1.3 ms while the A answer was still on its way).
  const auto winner = r.peer.kind();
  CHILD_CHECK(!r.report.lookups.empty() && r.report.lookups.size() <= 2, "the answers");
  CHILD_CHECK(std::any_of(r.report.lookups.begin(), r.report.lookups.end(),
                          [&](const dial::lookup_event& e) {
                            return e.family == winner && e.addresses >= 1;
                          }),
              "the winner's family answered in the report");
  CHILD_CHECK(r.report.attempts.size() == attempts, "attempts");
  CHILD_CHECK(t::count_open_fds() == before, "nothing left open (c-ares' socket closed too)");
  return 0;
}

TEST(AsioRace, AOnly) {
  if (!t::is_root()) GTEST_SKIP() << t::needs_root;
  const int rc = race_in_netns({}, [] { return connects_to("v4only.test", "192.0.2.10:8080", 1); });
  EXPECT_EQ(rc, 0) << conf::describe(rc);
}

TEST(AsioRace, AaaaOnly) {
  if (!t::is_root()) GTEST_SKIP() << t::needs_root;
  const int rc =
      race_in_netns({}, [] { return connects_to("v6only.test", "[2001:db8::10]:8080", 1); });
  EXPECT_EQ(rc, 0) << conf::describe(rc);
}

TEST(AsioRace, BothIpv6Wins) {
  if (!t::is_root()) GTEST_SKIP() << t::needs_root;
  const int rc = race_in_netns({}, [] {
    auto l4 = listen_at("192.0.2.11");
    return connects_to("both.test", "[2001:db8::11]:8080", 1);
  });
  EXPECT_EQ(rc, 0) << conf::describe(rc);
}

TEST(AsioRace, NxdomainIsUnknownHostName) {
  if (!t::is_root()) GTEST_SKIP() << t::needs_root;
  const int rc = race_in_netns({}, [] {
    auto r = race("nosuch.test", via(dns::dnsmasq::where()));
    CHILD_CHECK(r.calls == 1, "completed once");
    CHILD_CHECK(r.ec == connect_to_host_error::unknown_host_name, r.ec.message());
    CHILD_CHECK(r.report.attempts.empty(), "no attempt");
    CHILD_CHECK(r.report.lookups.size() == 2, "both answers");
    for (const auto& l : r.report.lookups)
      CHILD_CHECK(
          dial::resolver_code_name(dial::resolver_backend::c_ares, l.native) == "ARES_ENOTFOUND",
          std::to_string(l.native));
    return 0;
  });
  EXPECT_EQ(rc, 0) << conf::describe(rc);
}

TEST(AsioRace, LateAaaaStartsAfterTheResolutionDelay) {
  if (!t::is_root()) GTEST_SKIP() << t::needs_root;
  const int rc = conf::in_netns([] {
    if (!hosts({})) return static_cast<int>(conf::setup_failed);
    dns::silent_aaaa_server server;
    if (!server.start()) return static_cast<int>(conf::setup_failed);
    auto l4 = listen_at("192.0.2.30");
    const int before = t::count_open_fds();
    auto r = race("any.test", via(dns::silent_aaaa_server::where()));
    print("any.test, AAAA never answered:", r.report);
    CHILD_CHECK(!r.ec, r.ec.message());
    const auto& rep = r.report;
    CHILD_CHECK(rep.lookups.size() == 1 && rep.lookups[0].family == dial::address_kind::ipv4,
                "only A answered");
    CHILD_CHECK(rep.attempts.size() == 1, "one attempt");
    const auto wait = rep.attempts[0].start - rep.lookups[0].at;
    CHILD_CHECK(wait >= 45ms && wait < 1s, "waited the resolution delay for AAAA");
    CHILD_CHECK(server.dropped_aaaa() >= 1, "AAAA was asked");
    CHILD_CHECK(t::count_open_fds() == before, "the outstanding AAAA query's socket closed too");
    return 0;
  });
  EXPECT_EQ(rc, 0) << conf::describe(rc);
}

TEST(AsioRace, Ipv6SynsDroppedIpv4WinsAfterOneAttemptDelay) {
  if (!t::is_root()) GTEST_SKIP() << t::needs_root;
  const int rc = race_in_netns({"2001:db8::2"}, [] {
    auto l6 = listen_at("2001:db8::2"), l4 = listen_at("192.0.2.2");
    const int before = t::count_open_fds();
    for (auto delay : {250ms, 100ms}) {
      auto o = via(dns::dnsmasq::where());
      o.attempt_delay = delay;
      auto r = race("race.test", o);
      print("race.test, IPv6 SYNs dropped:", r.report);
      CHILD_CHECK(!r.ec, r.ec.message());
      const auto& at = r.report.attempts;
      CHILD_CHECK(r.peer == *address::parse("192.0.2.2:8080"), r.peer.to_string());
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

TEST(AsioRace, Ipv6RefusedFallsBackAtOnce) {
  if (!t::is_root()) GTEST_SKIP() << t::needs_root;
  const int rc = race_in_netns({}, [] {
    auto l4 = listen_at("192.0.2.2");
    auto r = race("race.test", via(dns::dnsmasq::where()));
    print("race.test, IPv6 refused:", r.report);
    CHILD_CHECK(!r.ec, r.ec.message());
    const auto& at = r.report.attempts;
    CHILD_CHECK(at.size() == 2, "two attempts");
    CHILD_CHECK(at[0].outcome_name() == "ConnectionRefused", at[0].outcome_name());
    CHILD_CHECK(at[0].native == ECONNREFUSED, std::to_string(at[0].native));
    CHILD_CHECK(at[1].outcome_name() == "Connected", at[1].outcome_name());
    CHILD_CHECK(at[1].start >= at[0].end, "the fallback follows the refusal");
    CHILD_CHECK(at[1].start - at[0].start < 150ms, "no attempt delay after a failure");
    return 0;
  });
  EXPECT_EQ(rc, 0) << conf::describe(rc);
}

TEST(AsioRace, EveryAddressFailsInsideConnectAtOnce) {
  if (!t::is_root()) GTEST_SKIP() << t::needs_root;
  const int rc = conf::in_netns([] {
    CHILD_CHECK(conf::setup("ip route add unreachable 198.51.100.0/25 && ip route add prohibit "
                            "198.51.100.128/25 && ip -6 route add unreachable 2001:db8:1::/48"),
                "routes");
    t::scratch_dir dir;
    {
      std::ofstream out(dir / "hosts");
      out << "2001:db8:1::1 dead.test\n198.51.100.1 dead.test\n198.51.100.129 dead.test\n";
    }
    dial::connect_to_host_options o;
    o.resolve.hosts_file = dir / "hosts";
    o.resolve.servers = {address::loopback_ipv4(9)};
    o.deadline = steady::now() + 10s;
    const int before = t::count_open_fds();
    auto r = race("dead.test", o);
    print("dead.test, every address fails inside connect():", r.report);
    CHILD_CHECK(r.calls == 1, "completed once");
    CHILD_CHECK(r.took < 2s, "ended when the last attempt failed, not at the deadline");
    CHILD_CHECK(r.ec == connect_to_host_error::network_unreachable, r.ec.message());
    const auto& at = r.report.attempts;
    CHILD_CHECK(at.size() == 3, "every address tried");
    CHILD_CHECK(at[0].native == EHOSTUNREACH && at[1].native == EHOSTUNREACH, "unreachable");
    CHILD_CHECK(at[2].outcome_name() == "AccessDenied" && at[2].native == EACCES, "prohibit");
    CHILD_CHECK(t::count_open_fds() == before, "every attempt closed");
    return 0;
  });
  EXPECT_EQ(rc, 0) << conf::describe(rc);
}

TEST(AsioRace, BothDroppedIsTimeoutOnTimeListingBoth) {
  if (!t::is_root()) GTEST_SKIP() << t::needs_root;
  const int rc = race_in_netns({"2001:db8::3", "192.0.2.3"}, [] {
    const int before = t::count_open_fds();
    auto o = via(dns::dnsmasq::where());
    o.deadline = steady::now() + 700ms;
    auto r = race("dead.test", o);
    print("dead.test, all SYNs dropped, deadline 700 ms:", r.report);
    CHILD_CHECK(r.ec == connect_to_host_error::timeout, r.ec.message());
    CHILD_CHECK(r.took >= 690ms && r.took < 3s, "Timeout at the deadline");
    const auto& at = r.report.attempts;
    CHILD_CHECK(at.size() == 2, "both addresses attempted");
    for (const auto& a : at) CHILD_CHECK(a.outcome_name() == "Timeout", a.outcome_name());
    CHILD_CHECK(at[1].start - at[0].start >= 245ms, "the second started one delay later");
    CHILD_CHECK(t::count_open_fds() == before, "every attempt closed");
    return 0;
  });
  EXPECT_EQ(rc, 0) << conf::describe(rc);
}

TEST(AsioRace, TerminalCancellationMidRace) {
  if (!t::is_root()) GTEST_SKIP() << t::needs_root;
  const int rc = race_in_netns({"2001:db8::3", "192.0.2.3"}, [] {
    const int before = t::count_open_fds();
    auto r = race("dead.test", via(dns::dnsmasq::where()), 400ms);
    print("dead.test, cancelled at 400 ms:", r.report);
    CHILD_CHECK(r.calls == 1, "completed once");
    CHILD_CHECK(r.ec == connect_to_host_error::canceled, r.ec.message());
    CHILD_CHECK(r.took >= 395ms && r.took < 3s, "ended when the cancellation came");
    const auto& at = r.report.attempts;
    CHILD_CHECK(at.size() == 2, "both attempts were running");
    for (const auto& a : at) CHILD_CHECK(a.outcome_name() == "Canceled", a.outcome_name());
    CHILD_CHECK(t::count_open_fds() == before, "every attempt closed");
    return 0;
  });
  EXPECT_EQ(rc, 0) << conf::describe(rc);
}

// The system back-end: AAAA and A through Asio's async_resolve. getaddrinfo reads /etc/hosts
// (localhost is 127.0.0.1 there) and would ask resolv.conf's servers for the AAAA record, which
// in a private namespace with nothing but lo cannot leave the machine.
TEST(AsioRace, SystemBackendAsksThroughAsyncResolve) {
  if (!t::is_root()) GTEST_SKIP() << t::needs_root;
  const int rc = conf::in_netns([] {
    auto l = t::tcp_listener(AF_INET);
    dial::connect_to_host_options o;
    o.resolve.backend = dial::resolver_backend::system;
    o.deadline = steady::now() + 10s;
    net::io_context io;
    std::error_code got;
    dial::race_report rep;
    dial::asio::async_connect_to_host(
        io, "localhost", l.where.port(), o,
        [&](std::error_code ec, net::ip::tcp::socket, dial::race_report r) {
          got = ec;
          rep = std::move(r);
        });
    io.run();
    print("localhost, system back-end:", rep);
    CHILD_CHECK(!got, got.message());
    CHILD_CHECK(rep.lookups.size() == 2, "both families answered");
    CHILD_CHECK(
        rep.attempts.size() == 1 && rep.attempts[0].to == address::loopback_ipv4(l.where.port()),
        "127.0.0.1 from the hosts file");
    return 0;
  });
  EXPECT_EQ(rc, 0) << conf::describe(rc);
}

}  // namespace
