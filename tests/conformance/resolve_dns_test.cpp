// tests/conformance/resolve_dns_test.cpp: dial::resolve against dnsmasq in a private namespace.
#include <ares.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/mount.h>

#include <cstdio>
#include <fstream>
#include <stop_token>
#include <thread>

#include "dns_fixture.hpp"
#include "netns_fixtures.hpp"

namespace {

using dial::address;
using dial::resolve_error;
using namespace std::chrono_literals;
namespace t = dial::test;
namespace conf = dial::test::conf;
namespace dns = dial::test::dns;
using steady = std::chrono::steady_clock;

address A(const std::string& text) { return *address::parse(text); }

// Child-side check: prints what went wrong and makes the child fail.
std::string got(const std::expected<std::vector<address>, resolve_error>& r) {
  if (!r) return std::string(dial::name(r.error()));
  std::string s;
  for (const auto& a : *r) s += a.to_string() + " ";
  return s;
}

dial::resolve_options via(const address& server) {
  dial::resolve_options o;
  o.servers = {server};
  o.hosts_file.clear();
  o.deadline = steady::now() + 10s;
  return o;
}

// Runs `body` in a new namespace with dnsmasq serving the test zone; the child's status.
int with_dnsmasq(const std::function<int()>& body) {
  return conf::in_netns([&] {
    dns::dnsmasq server;
    if (!server.start()) return static_cast<int>(conf::setup_failed);
    return body();
  });
}

// In a child: a private mount namespace where /etc/resolv.conf is `path`.
bool use_resolv_conf(const std::string& path) {
  return ::unshare(CLONE_NEWNS) == 0 &&
         ::mount("none", "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0 &&
         ::mount(path.c_str(), "/etc/resolv.conf", nullptr, MS_BIND, nullptr) == 0;
}

TEST(ResolveDns, EveryKindOfAnswer) {
  if (!t::is_root()) GTEST_SKIP() << t::needs_root;
  const int rc = with_dnsmasq([] {
    const auto o = via(dns::dnsmasq::where());
    auto v4 = dial::resolve("v4only.test", 80, o);
    CHILD_CHECK(v4 && *v4 == std::vector<address>{A("192.0.2.10:80")}, got(v4));
    auto v6 = dial::resolve("v6only.test", 80, o);
    CHILD_CHECK(v6 && *v6 == std::vector<address>{A("[2001:db8::10]:80")}, got(v6));
    auto both = dial::resolve("both.test", 443, o);  // RFC 6724: IPv6 first
    CHILD_CHECK(
        both && *both == (std::vector<address>{A("[2001:db8::11]:443"), A("192.0.2.11:443")}),
        got(both));
    auto many = dial::resolve("many.test", 1, o);
    CHILD_CHECK(many && many->size() == 5, got(many));
    CHILD_CHECK((*many)[0].kind() == dial::address_kind::ipv6 &&
                    (*many)[1].kind() == dial::address_kind::ipv6 &&
                    (*many)[2].kind() == dial::address_kind::ipv4,
                got(many));
    auto nx = dial::resolve("nx.test", 80, o);
    CHILD_CHECK(!nx && nx.error() == resolve_error::unknown_host_name, got(nx));
    auto none = dial::resolve("noaddr.test", 80, o);
    CHILD_CHECK(!none && none.error() == resolve_error::host_lacks_network_addresses, got(none));
    // dnsmasq REFUSEs names outside its zone; with no other server to ask, that is temporary
    // (c-ares reports ESERVFAIL, as glibc reports EAI_AGAIN).
    auto refused = dial::resolve("outside.example", 80, o);
    CHILD_CHECK(!refused && refused.error() == resolve_error::temporary_name_server_failure,
                got(refused));
    return 0;
  });
  EXPECT_EQ(rc, 0) << conf::describe(rc);
}

TEST(ResolveDns, SystemBackendAsksTheConfiguredServer) {
  if (!t::is_root()) GTEST_SKIP() << t::needs_root;
  const t::scratch_dir dir;
  std::ofstream(dir / "resolv.conf") << "nameserver " << dns::dnsmasq_ip << "\n";
  const int rc = with_dnsmasq([&] {
    if (!use_resolv_conf(dir / "resolv.conf")) return static_cast<int>(conf::setup_failed);
    dial::resolve_options o;
    o.backend = dial::resolver_backend::system;
    o.deadline = steady::now() + 10s;
    auto both = dial::resolve("both.test", 80, o);
    CHILD_CHECK(both && *both == (std::vector<address>{A("[2001:db8::11]:80"), A("192.0.2.11:80")}),
                got(both));
    auto nx = dial::resolve("nx.test", 80, o);
    CHILD_CHECK(!nx && nx.error() == resolve_error::unknown_host_name, got(nx));
    return 0;
  });
  EXPECT_EQ(rc, 0) << conf::describe(rc);
}

// Resolves through the system configuration (no servers given); 0, or 1 with what went wrong.
int resolve_with_resolv_conf() {
  dial::resolve_options o;
  o.hosts_file.clear();
  o.deadline = steady::now() + 10s;
  auto v4 = dial::resolve("v4only", 80, o);  // through the search list
  CHILD_CHECK(v4 && *v4 == std::vector<address>{A("192.0.2.10:80")}, got(v4));
  auto both = dial::resolve("both.test", 80, o);  // one dot < ndots 2: both.test.test first
  CHILD_CHECK(both && *both == (std::vector<address>{A("[2001:db8::11]:80"), A("192.0.2.11:80")}),
              got(both));
  return 0;
}

// Without explicit servers, c-ares asks what /etc/resolv.conf names, with its search list and
// options, as read by dial (close-on-exec, so c-ares opens no file): a child that exits at the
// first inheritable descriptor still gets every answer. (Once before the filter too: UBSan's
// vptr check opens a pipe of its own at the first virtual call on a type.)
TEST(ResolveDns, CAresFollowsTheResolvConfDialReads) {
  if (!t::is_root()) GTEST_SKIP() << t::needs_root;
  const t::scratch_dir dir;
  std::ofstream(dir / "resolv.conf") << "nameserver " << dns::dnsmasq_ip
                                     << "\nsearch test\noptions ndots:2 retrans:1000 retry:2\n";
  const int rc = with_dnsmasq([&] {
    if (!use_resolv_conf(dir / "resolv.conf")) return static_cast<int>(conf::setup_failed);
    if (const int warm = resolve_with_resolv_conf(); warm != 0) return warm;
    if (!t::exit_on_inheritable_descriptors(90, t::c_ares_own_files))
      return static_cast<int>(conf::setup_failed);
    return resolve_with_resolv_conf();
  });
  EXPECT_EQ(rc, 0) << conf::describe(rc);
}

TEST(ResolveDns, UnansweredAaaaLeavesTheAAnswerAtTheDeadline) {
  if (!t::is_root()) GTEST_SKIP() << t::needs_root;
  const int rc = conf::in_netns([] {
    dns::silent_aaaa_server server;
    if (!server.start()) return static_cast<int>(conf::setup_failed);
    auto o = via(dns::silent_aaaa_server::where());
    o.deadline = steady::now() + 400ms;
    const auto start = steady::now();
    auto r = dial::resolve("any.test", 80, o);
    const auto took = steady::now() - start;
    CHILD_CHECK(r && *r == std::vector<address>{A("192.0.2.30:80")}, got(r));
    CHILD_CHECK(took >= 390ms && took < 3s, "waited for AAAA until the deadline");
    CHILD_CHECK(server.dropped_aaaa() >= 1, "the AAAA query was sent and dropped");
    // Without a deadline, c-ares gives up on AAAA after its own tries.
    auto quick = via(dns::silent_aaaa_server::where());
    quick.query_timeout = 100ms;
    quick.query_tries = 1;
    auto r2 = dial::resolve("any.test", 80, quick);
    CHILD_CHECK(r2 && *r2 == std::vector<address>{A("192.0.2.30:80")}, got(r2));
    return 0;
  });
  EXPECT_EQ(rc, 0) << conf::describe(rc);
}

TEST(ResolveDns, SilentServerIsTimeoutOnTimeAndStopIsCanceled) {
  if (!t::is_root()) GTEST_SKIP() << t::needs_root;
  const int rc = conf::in_netns([] {
    // A UDP socket bound where the server should be that never reads: queries vanish.
    const t::fd hole = t::make_socket(AF_INET, SOCK_DGRAM);
    const t::addr at = t::ip("127.0.0.55", 53);
    if (::bind(hole.get(), at.sa(), at.len) != 0) return static_cast<int>(conf::setup_failed);
    auto o = via(A("127.0.0.55:53"));
    const int fds_before = t::count_open_fds();
    auto start = steady::now();
    o.deadline = start + 300ms;
    auto r = dial::resolve("both.test", 80, o);
    auto took = steady::now() - start;
    CHILD_CHECK(!r && r.error() == resolve_error::timeout, got(r));
    CHILD_CHECK(took >= 295ms && took < 3s, "Timeout at the deadline");
    std::stop_source stop;
    std::thread canceller([&] {
      std::this_thread::sleep_for(150ms);
      stop.request_stop();
    });
    o.deadline = steady::now() + 20s;
    o.stop = stop.get_token();
    start = steady::now();
    auto c = dial::resolve("both.test", 80, o);
    took = steady::now() - start;
    canceller.join();
    CHILD_CHECK(!c && c.error() == resolve_error::canceled, got(c));
    CHILD_CHECK(took >= 145ms && took < 3s, "Canceled when the stop came");
    CHILD_CHECK(t::count_open_fds() == fds_before, "no descriptor left behind");
    return 0;
  });
  EXPECT_EQ(rc, 0) << conf::describe(rc);
}

TEST(ResolveDns, UnreachableServerIsTemporaryFailure) {
  if (!t::is_root()) GTEST_SKIP() << t::needs_root;
  const int rc = conf::in_netns([] {
    auto o = via(A("127.0.0.56:53"));  // nothing bound: ICMP port unreachable
    auto r = dial::resolve("both.test", 80, o);
    CHILD_CHECK(!r && r.error() == resolve_error::temporary_name_server_failure, got(r));
    return 0;
  });
  EXPECT_EQ(rc, 0) << conf::describe(rc);
}

}  // namespace

namespace {

// The resolver's own code is evidence as much as an errno: it is kept in the race's report and
// spelled by resolver_code_name (the CLI's CODE column).
TEST(ResolveDns, RaceReportKeepsTheResolversCode) {
  if (!t::is_root()) GTEST_SKIP() << t::needs_root;
  const int rc = with_dnsmasq([] {
    dial::connect_to_host_options o;
    o.resolve = via(dns::dnsmasq::where());
    auto nx = dial::connect_to_host("nx.test", 80, o);
    CHILD_CHECK(!nx && nx.error().error == dial::connect_to_host_error::unknown_host_name,
                nx ? "connected" : dial::name(nx.error().error));
    const auto& lookups = nx.error().report.lookups;
    CHILD_CHECK(lookups.size() == 2, "both families answered");
    for (const auto& l : lookups) {
      CHILD_CHECK(l.native == ARES_ENOTFOUND, std::to_string(l.native));
      CHILD_CHECK(
          dial::resolver_code_name(dial::resolver_backend::c_ares, l.native) == "ARES_ENOTFOUND",
          "spelled");
    }
    CHILD_CHECK(dial::last_native_error() == ARES_ENOTFOUND, "the failure's code");
    auto none = dial::connect_to_host("noaddr.test", 80, o);
    CHILD_CHECK(!none, "no address");
    for (const auto& l : none.error().report.lookups)
      CHILD_CHECK(l.native == ARES_ENODATA, std::to_string(l.native));
    return 0;
  });
  EXPECT_EQ(rc, 0) << conf::describe(rc);
}

}  // namespace
