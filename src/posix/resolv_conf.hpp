// src/posix/resolv_conf.hpp: resolv.conf and the resolver's environment, read for c-ares
// (internal).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "dial/address.hpp"

namespace dial::detail {

/// What c-ares 1.18 takes from /etc/resolv.conf, LOCALDOMAIN and RES_OPTIONS. dial reads these
/// itself and hands c-ares every setting, so that c-ares opens no file: c-ares opens resolv.conf
/// with fopen(path, "r"), without close-on-exec, and a fork in another thread at that moment
/// would pass the descriptor to a child.
struct dns_config {
  std::vector<address> servers;      ///< `nameserver` lines (port 0: 53); none: 127.0.0.1
  std::vector<std::string> domains;  ///< the search list; empty: none
  int ndots = 1;                     ///< `options ndots:N`
  int timeout_ms = 5000;             ///< `options retrans:MS` (c-ares 1.18 ignores `timeout:`)
  int tries = 4;                     ///< `options retry:N` (c-ares 1.18 ignores `attempts:`)
  bool rotate = false;               ///< `options rotate`
};

/// The process's settings: what parse_resolv_conf makes of `text` (a resolv.conf) and of
/// `localdomain` and `res_options` (the variables' values, or null when unset), with c-ares
/// 1.18's rules: the environment wins over the file, within the file the first `options` value
/// wins and the last `search` or `domain` line wins; '#' and ';' start comments; a nameserver
/// that is not a bare IPv4 or IPv6 address (a port, a %scope) or is in the deprecated fec0::/10
/// is skipped; `sortlist` and `lookup` are ignored (dial asks only DNS and sorts by RFC 6724).
/// Without a search list, the domain of `hostname` (after its first dot) is the one entry.
[[nodiscard]] dns_config parse_resolv_conf(std::string_view text, const char* localdomain,
                                           const char* res_options, std::string_view hostname);

/// Reads /etc/resolv.conf (opened close-on-exec; unreadable or missing counts as empty, as in
/// c-ares), LOCALDOMAIN, RES_OPTIONS and the host name, and parses them.
[[nodiscard]] dns_config system_dns_config();

}  // namespace dial::detail
