// tests/conformance/connect_ports_test.cpp: an exhausted ephemeral port range in a private
// namespace.
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "netns_fixtures.hpp"

namespace {

using dial::connect_error;
namespace t = dial::test;
namespace conf = dial::test::conf;
using conf::code;
using conf::describe;

constexpr const char* port_range = "/proc/sys/net/ipv4/ip_local_port_range";

// The namespace's ephemeral port count after writing `first last`, read back since the kernel may
// refuse a range; 0 when it did.
int narrow_to(int first, int last) {
  if (!t::write_sysctl(port_range, std::to_string(first) + " " + std::to_string(last))) return 0;
  std::ifstream in(port_range);
  int lo = 0;
  int hi = 0;
  if (!(in >> lo >> hi) || lo != first || hi != last) return 0;
  return hi - lo + 1;
}

// A single ephemeral port if the kernel takes it, else two.
int narrow_port_range() {
  const int one = narrow_to(40000, 40000);
  return one != 0 ? one : narrow_to(40000, 40001);
}

// Connects `ports` sockets to `to`, taking every ephemeral port; empty if one failed.
std::vector<t::fd> fill_ports(const t::addr& to, int ports) {
  std::vector<t::fd> held;
  for (int i = 0; i < ports; ++i) {  // bounded: at most two ports
    t::fd s = t::make_socket(AF_INET, SOCK_STREAM);
    if (!dial::connect(s.get(), to.sa(), to.len)) return {};
    held.push_back(std::move(s));
  }
  return held;
}

// One more connect to `to`, whose autobind finds no port; leaked_descriptor if the count of
// open descriptors differs once its socket is closed again.
int connect_without_ports(const t::addr& to) {
  const int before = t::count_open_fds();
  t::fd s = t::make_socket(AF_INET, SOCK_STREAM);
  const int rc = conf::outcome(dial::connect(s.get(), to.sa(), to.len), EADDRNOTAVAIL);
  dial::close(s.release());
  const int after = t::count_open_fds();
  if (after == before) return rc;
  std::fprintf(stderr, "open descriptors: %d before, %d after\n", before, after);
  return conf::leaked_descriptor;
}

TEST(ConnectPorts, ExhaustedEphemeralPortsIsAddressNotAvailable) {
  if (!t::is_root()) GTEST_SKIP() << t::needs_root;
  const int rc = conf::in_netns([] {
    // The listener binds first, from the default range: bound inside the narrowed range it would
    // hold the only ephemeral port itself.
    const t::listener l = t::tcp_listener(AF_INET);
    const int ports = narrow_port_range();
    if (ports == 0) return static_cast<int>(conf::setup_failed);
    const std::vector<t::fd> held = fill_ports(l.where, ports);
    if (held.empty()) return static_cast<int>(conf::setup_failed);
    return connect_without_ports(l.where);
  });
  EXPECT_EQ(rc, code(connect_error::address_not_available)) << describe(rc);
}

}  // namespace
