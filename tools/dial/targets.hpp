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
#include "endpoint.hpp"

namespace dial::cli {

/// A set of TCP ports, kept in the order first given: "22,80,8000-8100".
struct port_list {
  std::vector<std::uint16_t> ports;  ///< each port once, in the order of the list
};

/// Parses a comma-separated list of ports and inclusive ranges (1-65535; "a-b" needs a <= b).
/// A port given twice is kept once. On failure, the problem with its offset in `text`.
[[nodiscard]] std::expected<port_list, parse_problem> parse_ports(std::string_view text);

/// How the words of the command line and of an input file are read.
enum class word_kind : std::uint8_t {
  target,  ///< HOST:PORT or unix:... (no -p): parse_target_word
  host,    ///< HOST, crossed with the -p port list: parse_host_word
};

/// Appends what one word names: a target, or a host crossed with every port of `ports`. A host
/// is numeric, or a name resolved with dial::resolve (hosts file, then DNS); every address of a
/// name is scanned. Fails, adding nothing, when `out` would pass max_targets. A failure is the
/// whole message ("bad target 'X': ...").
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
/// read no further, and a read error ("SOURCE:LINE: cannot read: Is a directory").
[[nodiscard]] std::expected<void, std::string> read_words(std::FILE* in, std::string_view source,
                                                          word_kind kind, const port_list& ports,
                                                          std::vector<address>& out);

}  // namespace dial::cli
