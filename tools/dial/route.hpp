// tools/dial/route.hpp: the route the kernel would take to an address (`dial why`).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "dial/address.hpp"

namespace dial::cli {

/// What the kernel's routing decision for one destination is, as `ip route get` shows it.
struct route_answer {
  /// "unicast" (through an interface, maybe a gateway), "local" (this host), "unreachable",
  /// "prohibit", "blackhole", "throw", or "none" (no route at all: ENETUNREACH).
  std::string type;
  std::string interface;  ///< the output interface's name ("" when none)
  std::string source;     ///< the preferred source address ("" when none)
  std::string gateway;    ///< the next hop, when the route has one
  std::string prefix;     ///< the route entry that decided it ("198.51.100.0/26"), when known
  std::string table;      ///< "main", "local" or a number, when known
  int error = 0;          ///< the errno RTM_GETROUTE answered with (0: a route was returned)
  /// What route_query added to the question ("mark 0x5, interface v1, source 192.0.2.9"; "" none).
  std::string asked;
  /// Why part of route_query was left out ("" none): an interface that does not exist, or a
  /// source address that is not one of this host's (the kernel answers ENETUNREACH or EINVAL for
  /// it, which would read as no route or a blackhole route: the answer is then the route without
  /// that source).
  std::string note;
};

/// What the connect's socket adds to the routing decision besides the destination: the connect
/// options `--interface`, `--mark` and `--source`, as `ip route get ADDR oif NAME mark N from
/// SRC` takes them (policy rules can select on the mark and the source; the interface narrows
/// the lookup to routes through it).
struct route_query {
  std::string interface;              ///< SO_BINDTODEVICE's interface ("": none)
  std::optional<std::uint32_t> mark;  ///< SO_MARK
  std::optional<address> source;      ///< the local address bound first (its port is ignored)
};

/// Asks the kernel (rtnetlink RTM_GETROUTE, through libmnl) for the route to `to` (an IP
/// address; its port is ignored) for a socket with `q`. An interface that does not exist is left
/// out of the question (the attempt itself reports UnknownInterface). For a route that refuses
/// (unreachable, prohibit, blackhole) the kernel answers with an errno only; the deciding entry is
/// then found in a dump of the family's routes (the longest prefix of that type holding the
/// address). nullopt with `why` set when the question could not be asked (not Linux, no netlink
/// socket).
[[nodiscard]] std::optional<route_answer> route_to(const address& to, const route_query& q,
                                                   std::string& why);

/// One line for people: "local, dev lo, src 127.0.0.1 (table local)", "unreachable route
/// 198.51.100.0/26 (table main)", "no route (ENETUNREACH)".
[[nodiscard]] std::string route_text(const route_answer& r);

}  // namespace dial::cli
