// tools/dial/targets.hpp: what `dial scan` connects to: port lists, hosts, targets, input files.
#pragma once

#include <bitset>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <expected>
#include <string>
#include <string_view>
#include <vector>

#include "dial/address.hpp"

namespace dial::cli {

/// A set of TCP ports, kept in the order first given: "22,80,8000-8100".
struct port_list {
  std::vector<std::uint16_t> ports;  ///< each port once, in the order of the list
};

/// Parses a comma-separated list of ports and inclusive ranges (1-65535; "a-b" needs a <= b).
/// A port given twice is kept once. On failure, a phrase that reads after "bad port list 'X': ".
[[nodiscard]] std::expected<port_list, std::string> parse_ports(std::string_view text);

/// One port: 1-65535, decimal digits only, no leading zero (dial::address's port grammar). On
/// failure, a phrase saying what is wrong.
[[nodiscard]] std::expected<std::uint16_t, std::string> parse_port(std::string_view s);

/// Parses a numeric host: an IPv4 dotted quad, an IPv6 address with or without brackets (a
/// scope is allowed: fe80::1%eth0). The port of the result is 0. On failure, a phrase that reads
/// after "bad host 'X': ".
[[nodiscard]] std::expected<address, std::string> parse_host(std::string_view text);

/// Parses a target: a.b.c.d:port, [v6]:port, unix:/path or unix:@name (dial::address::parse).
/// On failure, a phrase that reads after "bad target 'X': ".
[[nodiscard]] std::expected<address, std::string> parse_target(std::string_view text);

/// How the words of the command line and of an input file are read.
enum class word_kind : std::uint8_t {
  target,  ///< HOST:PORT (no -p)
  host,    ///< HOST, crossed with the -p port list
};

/// Appends what one word names: a target, or a host crossed with every port of `ports`. A host
/// is numeric, or a name (a letter, no ':') resolved with dial::resolve (hosts file, then DNS);
/// every address of a name is scanned. Fails, adding nothing, when `out` would pass max_targets.
[[nodiscard]] std::expected<void, std::string> add_word(std::string_view word, word_kind kind,
                                                        const port_list& ports,
                                                        std::vector<address>& out);

/// The longest input line read_words takes, in bytes without its newline: far more than any
/// target or host name with a comment needs, and little enough that /dev/zero fails at once.
inline constexpr std::size_t max_line_bytes = 4096;

/// The most targets one scan takes (64 hosts with every port): about 490 MB of addresses, and
/// hours of connects at remote speeds. add_word fails rather than pass it.
inline constexpr std::size_t max_targets = std::size_t{1} << 22;

/// Reads one word per line from `in` (named `source` in messages): leading and trailing blanks
/// are dropped, blank lines and lines starting with '#' are skipped, and text after " #" is a
/// comment. The first bad line fails the whole input with "SOURCE:LINE: bad target 'X': why"; so
/// does a line longer than max_line_bytes ("SOURCE:LINE: the line is longer than 4096 bytes"),
/// read no further.
[[nodiscard]] std::expected<void, std::string> read_words(std::FILE* in, std::string_view source,
                                                          word_kind kind, const port_list& ports,
                                                          std::vector<address>& out);

}  // namespace dial::cli
