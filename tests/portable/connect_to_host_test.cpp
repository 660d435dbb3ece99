// tests/portable/connect_to_host_test.cpp: resolve and connect_to_host for real on loopback, one
// source for Linux and Windows (under wine). The name comes from a hosts file of the test's own
// that maps it to 127.0.0.1 and ::1, so no query is sent; c-ares (Linux) is pointed at a dead
// local server besides, so that even a hosts-file miss would stay on the machine.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <thread>

#include "dial/dialer.hpp"
#include "dial/resolve.hpp"
#include "portable_support.hpp"

namespace {

namespace p = dial::portable;
using dial::address;
using dial::connect_to_host_error;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

constexpr const char* host = "dial-portable.test";

// A hosts file in the temporary directory, removed at the end.
class hosts_file {
 public:
  explicit hosts_file(const std::string& text) {
    static int made = 0;
    path_ = std::filesystem::temp_directory_path() /
            ("dial-hosts-" + std::to_string(steady::now().time_since_epoch().count()) + "-" +
             std::to_string(++made));
    std::ofstream(path_) << text;
  }
  hosts_file(const hosts_file&) = delete;
  hosts_file& operator=(const hosts_file&) = delete;
  ~hosts_file() {
    std::error_code ignored;
    std::filesystem::remove(path_, ignored);
  }
  [[nodiscard]] std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

const hosts_file& both_loopbacks() {
  static const hosts_file f("# dial's portable tests\n127.0.0.1 other.test\n::1 " +
                            std::string(host) + "\n127.0.0.1 " + host + " alias.test\n");
  return f;
}

dial::resolve_options from_hosts_file() {
  dial::resolve_options o;
  o.hosts_file = both_loopbacks().path();
  o.servers = {*address::parse("127.0.0.1:9")};  // c-ares only: a miss is refused locally
  return o;
}

dial::connect_to_host_options race_options() {
  dial::connect_to_host_options o;
  o.resolve = from_hosts_file();
  o.attempt_delay = 50ms;
  return o;
}

const p::endpoint& where(const p::listener& l) { return l.where; }
const p::endpoint& where(const p::full_listener& f) { return f.l.where; }

// Two sockets on one port, [::1]:port and 127.0.0.1:port (the hosts file's two addresses), each
// made by `make(family, port)`; another port is tried when 127.0.0.1's is taken.
template <class T>
struct on_both {
  T v6;
  T v4;
  std::uint16_t port;
};

template <class Make>
auto on_both_loopbacks(Make make) {
  for (int tries = 1;; ++tries) {
    auto v6 = make(p::af_inet6, std::uint16_t{0});
    const std::uint16_t port = p::port_of(where(v6));
    try {
      auto v4 = make(p::af_inet, port);
      return on_both<decltype(v6)>{std::move(v6), std::move(v4), port};
    } catch (const std::runtime_error&) {
      if (tries == 20) throw;
    }
  }
}

address ipv6_loopback(std::uint16_t port) {
  return *address::parse("[::1]:" + std::to_string(port));
}
address ipv4_loopback(std::uint16_t port) {
  return *address::parse("127.0.0.1:" + std::to_string(port));
}

// Every attempt of the report names a different address, and the two are the hosts file's.
void expect_each_address_once(const dial::race_report& report, std::uint16_t port) {
  std::set<std::string> seen;
  for (const auto& a : report.attempts) EXPECT_TRUE(seen.insert(a.to.to_string()).second) << a.to;
  EXPECT_EQ(seen, (std::set<std::string>{ipv6_loopback(port).to_string(),
                                         ipv4_loopback(port).to_string()}));
}

TEST(PortableResolve, AHostsFileNameGivesBothLoopbacksInPreferenceOrder) {
  auto r = dial::resolve(host, 8080, from_hosts_file());
  ASSERT_TRUE(r) << dial::name(r.error());
  EXPECT_EQ(*r, (std::vector<address>{ipv6_loopback(8080), ipv4_loopback(8080)}));
  auto upper = dial::resolve("DIAL-Portable.Test.", 1, from_hosts_file());  // case, trailing dot
  ASSERT_TRUE(upper) << dial::name(upper.error());
  EXPECT_EQ(upper->size(), 2u);
}

TEST(PortableConnectToHost, AHostsFileNameConnectsToItsIpv6LoopbackFirst) {
  auto both = on_both_loopbacks(
      [](int family, std::uint16_t port) { return p::tcp_listener(family, 16, port); });
  auto c = dial::connect_to_host(host, both.port, race_options());
  ASSERT_TRUE(c) << dial::name(c.error().error);
  EXPECT_EQ(c->peer, ipv6_loopback(both.port));
  ASSERT_EQ(c->report.attempts.size(), 1u);  // ::1 answered at once: 127.0.0.1 was never needed
  EXPECT_EQ(c->report.attempts[0].outcome_name(), "Connected");
  EXPECT_EQ(c->report.lookups.size(), 2u);
  auto peer = dial::accept(both.v6.sock.get());
  ASSERT_TRUE(peer) << dial::name(peer.error());
  p::owned_socket accepted(*peer);
  EXPECT_TRUE(p::is_blocking(c->socket.get()));  // made blocking again: options.non_blocking off
}

TEST(PortableConnectToHost, BothAddressesRefusedIsConnectionRefusedWithEachAttemptsOutcome) {
  auto both = on_both_loopbacks(
      [](int family, std::uint16_t port) { return p::closed_port(family, port); });
  auto c = dial::connect_to_host(host, both.port, race_options());
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().error, connect_to_host_error::connection_refused)
      << dial::name(c.error().error);
  ASSERT_EQ(c.error().report.attempts.size(), 2u);
  expect_each_address_once(c.error().report, both.port);
  for (const auto& a : c.error().report.attempts) {
    EXPECT_EQ(a.outcome_name(), "ConnectionRefused") << a.to;
    EXPECT_LE(a.start, a.end) << a.to;
  }
}

TEST(PortableConnectToHost, FullBacklogsEndInTimeoutAtTheDeadline) {
  auto both = on_both_loopbacks(
      [](int family, std::uint16_t port) { return p::full_tcp_listener(family, port); });
  auto o = race_options();
  const auto start = steady::now();
  o.deadline = start + 300ms;
  auto c = dial::connect_to_host(host, both.port, o);
  const auto took = steady::now() - start;
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().error, connect_to_host_error::timeout) << dial::name(c.error().error);
  EXPECT_GE(took, 290ms);  // not before the deadline (a behaviour window, not a speed claim)
  EXPECT_LT(took, 10s);
  ASSERT_EQ(c.error().report.attempts.size(), 2u);  // the second started attempt_delay later
  expect_each_address_once(c.error().report, both.port);
  for (const auto& a : c.error().report.attempts) EXPECT_EQ(a.outcome_name(), "Timeout") << a.to;
}

TEST(PortableConnectToHost, AStopFromAnotherThreadCancelsTheRace) {
  auto both = on_both_loopbacks(
      [](int family, std::uint16_t port) { return p::full_tcp_listener(family, port); });
  std::stop_source stop;
  auto o = race_options();
  o.stop = stop.get_token();
  o.deadline = steady::now() + 30s;
  std::thread stopper([&] {
    std::this_thread::sleep_for(150ms);  // both attempts are in progress by then (50 ms apart)
    stop.request_stop();
  });
  const auto start = steady::now();
  auto c = dial::connect_to_host(host, both.port, o);
  const auto took = steady::now() - start;
  stopper.join();
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().error, connect_to_host_error::canceled) << dial::name(c.error().error);
  EXPECT_LT(took, 10s);
  ASSERT_EQ(c.error().report.attempts.size(), 2u);
  expect_each_address_once(c.error().report, both.port);
  for (const auto& a : c.error().report.attempts) EXPECT_EQ(a.outcome_name(), "Canceled") << a.to;
}

}  // namespace

namespace {

// The default hosts file is the one the system's own resolver would not read for dial: POSIX's
// /etc/hosts; none on Windows, whose resolver reads Windows' hosts file itself.
TEST(PortableResolve, TheDefaultHostsFileSuitsTheSystem) {
#ifdef _WIN32
  EXPECT_EQ(dial::resolve_options{}.hosts_file, "");
#else
  EXPECT_EQ(dial::resolve_options{}.hosts_file, "/etc/hosts");
#endif
}

}  // namespace
