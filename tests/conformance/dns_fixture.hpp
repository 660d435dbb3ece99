// tests/conformance/dns_fixture.hpp: real DNS servers inside a test's private network namespace.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "dial/dial.hpp"

namespace dial::test::dns {

/// Where dnsmasq listens inside the namespace (on lo; 127.0.0.0/8 is all loopback).
inline constexpr const char* dnsmasq_ip = "127.0.0.53";
/// Where the silent-AAAA server listens.
inline constexpr const char* silent_aaaa_ip = "127.0.0.54";

/// The test zone dnsmasq serves (everything under .test; other names are REFUSED):
///   v4only.test   192.0.2.10                    (AAAA: NODATA)
///   v6only.test   2001:db8::10                  (A: NODATA)
///   both.test     192.0.2.11, 2001:db8::11
///   many.test     192.0.2.21-23, 2001:db8::21-22
///   noaddr.test   a TXT record only             (A and AAAA: NODATA)
///   race.test     192.0.2.2, 2001:db8::2        (the race tests' hosts)
///   dead.test     192.0.2.3, 2001:db8::3
///   anything else under .test: NXDOMAIN
/// and the silent-AAAA server answers every A query with 192.0.2.30 and never answers AAAA.

/// Debian's dnsmasq (dnsmasq-base), run in the foreground by the calling process (a child in its
/// own namespace): started by start(), killed and reaped on destruction.
class dnsmasq {
 public:
  dnsmasq() = default;
  dnsmasq(const dnsmasq&) = delete;
  dnsmasq& operator=(const dnsmasq&) = delete;
  ~dnsmasq();
  /// Starts it on dnsmasq_ip:53 and waits (at most about 5 s) until it answers; false on failure.
  bool start();
  /// Its address for resolve_options::servers.
  [[nodiscard]] static address where();

 private:
  pid_t pid_ = -1;
};

/// A tiny UDP DNS server written for the tests: answers A with 192.0.2.30 (TTL 60) for any name
/// and drops every AAAA query, so that one family never answers. Runs on a thread until
/// destroyed.
class silent_aaaa_server {
 public:
  silent_aaaa_server() = default;
  silent_aaaa_server(const silent_aaaa_server&) = delete;
  silent_aaaa_server& operator=(const silent_aaaa_server&) = delete;
  ~silent_aaaa_server();
  /// Binds silent_aaaa_ip:53 and starts answering; false on failure.
  bool start();
  /// Its address for resolve_options::servers.
  [[nodiscard]] static address where();
  /// How many AAAA queries it dropped so far.
  [[nodiscard]] int dropped_aaaa() const noexcept { return dropped_.load(); }

 private:
  void serve();
  int sock_ = -1;
  std::atomic<bool> stop_{false};
  std::atomic<int> dropped_{0};
  std::thread thread_;
};

/// A DNS query for `name` and `type` (1: A, 28: AAAA) with id `id`, in wire format.
std::vector<std::uint8_t> make_query(const std::string& name, std::uint16_t type, std::uint16_t id);

/// Sends `query` to ip:53 over UDP and waits up to `timeout_ms` for a reply; the reply's RCODE
/// and answer count, or {-1, 0} when none came.
struct reply_summary {
  int rcode = -1;
  int answers = 0;
};
reply_summary ask(const std::string& ip, const std::vector<std::uint8_t>& query, int timeout_ms);

}  // namespace dial::test::dns
