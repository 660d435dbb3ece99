// tools/dial/route.hpp: the route the kernel would take to an address (`dial why`).
#pragma once

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
};

/// Asks the kernel (rtnetlink RTM_GETROUTE, through libmnl) for the route to `to` (an IP
/// address; its port is ignored). For a route that refuses (unreachable, prohibit, blackhole)
/// the kernel answers with an errno only; the deciding entry is then found in a dump of the
/// family's routes (the longest prefix of that type holding the address). nullopt with `why`
/// set when the question could not be asked (not Linux, no netlink socket).
[[nodiscard]] std::optional<route_answer> route_to(const address& to, std::string& why);

/// One line for people: "local, dev lo, src 127.0.0.1 (table local)", "unreachable route
/// 198.51.100.0/26 (table main)", "no route (ENETUNREACH)".
[[nodiscard]] std::string route_text(const route_answer& r);

}  // namespace dial::cli
