// tests/conformance/proxy_netns_test.cpp: a target the proxy cannot reach, in a private network
// namespace: the proxy's own connect meets no route or an `unreachable` route.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "netns_fixtures.hpp"
#include "proxy_servers.hpp"

namespace {

using dial::connect_to_host_error;
using namespace std::chrono_literals;
namespace t = dial::test;
namespace conf = dial::test::conf;

// In the child: the outcome of a connect to host:80 through `kind` at 127.0.0.1:port, encoded
// as the error id (0: connected), or 1 with a message when the report is not as expected.
int through(dial::proxy_kind kind, std::uint16_t port, const std::string& host,
            connect_to_host_error want, int reply) {
  dial::connect_to_host_options o;
  o.proxy = dial::proxy{kind, "127.0.0.1", port, std::nullopt};
  o.deadline = dial::deadline_clock::now() + 5s;
  const int before = t::count_open_fds();
  const auto r = dial::connect_to_host(host, 80, o);
  CHILD_CHECK(!r, host + ": connected");
  CHILD_CHECK(r.error().report.proxy && r.error().report.proxy->reply == reply,
              host + ": reply " + std::to_string(r.error().report.proxy->reply));
  CHILD_CHECK(t::count_open_fds() == before, "a descriptor leaked");
  CHILD_CHECK(r.error().error == want, host + ": " + std::string(dial::name(r.error().error)) +
                                           ", wanted " + std::string(dial::name(want)));
  return 0;
}

// 192.0.2.7 has no route in a fresh namespace (ENETUNREACH for the proxy); 198.51.100.7 meets an
// `unreachable` route (EHOSTUNREACH). microsocks and dante both answer REP 03 (network
// unreachable) for the first and 04 (host unreachable) for the second: both are
// NetworkUnreachable, as connect's table names both codes.
TEST(ProxyNetns, SocksTargetUnreachableIsNetworkUnreachable) {
  if (!t::is_root()) GTEST_SKIP() << t::needs_root;
  const int rc = conf::in_netns([] {
    CHILD_CHECK(conf::setup("ip route add unreachable 198.51.100.0/24"), "ip route");
    const auto ms = t::start_microsocks();
    CHILD_CHECK(ms->why_not.empty(), ms->why_not);
    const auto d = t::start_danted(9);
    CHILD_CHECK(d->why_not.empty(), d->why_not);
    for (const auto port : {ms->port, d->port}) {
      if (through(dial::proxy_kind::socks5, port, "192.0.2.7",
                  connect_to_host_error::network_unreachable, 3) != 0)
        return 1;
      if (through(dial::proxy_kind::socks5, port, "198.51.100.7",
                  connect_to_host_error::network_unreachable, 4) != 0)
        return 1;
    }
    return 0;
  });
  EXPECT_EQ(rc, 0) << conf::describe(rc);
}

// tinyproxy says "500 Unable to connect" whatever the reason: ProxyFailure, the status kept.
TEST(ProxyNetns, HttpTargetUnreachableThroughTinyproxyIsProxyFailure) {
  if (!t::is_root()) GTEST_SKIP() << t::needs_root;
  const int rc = conf::in_netns([] {
    const auto tp = t::start_tinyproxy({80});
    CHILD_CHECK(tp->why_not.empty(), tp->why_not);
    return through(dial::proxy_kind::http, tp->port, "192.0.2.7",
                   connect_to_host_error::proxy_failure, 500);
  });
  EXPECT_EQ(rc, 0) << conf::describe(rc);
}

}  // namespace
