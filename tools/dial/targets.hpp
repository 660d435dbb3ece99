// tools/dial/targets.hpp: what `dial scan` connects to: port lists, hosts, targets, input files.
#pragma once

#include <bitset>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <expected>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dial/address.hpp"
#include "endpoint.hpp"
#include "host_range.hpp"

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
  target,  ///< HOST:PORT, BLOCK:PORT or unix:... (no -p)
  host,    ///< HOST or BLOCK, crossed with the -p port list
};

/// Which addresses -4 and -6 keep.
enum class family_filter : std::uint8_t { any, ipv4, ipv6 };

/// The most targets one scan takes: 2^32 (a /16 with every port). They are made as the scan
/// goes (target_plan::at), so the count costs no memory; it bounds the time a typo can take.
inline constexpr std::uint64_t max_targets = std::uint64_t{1} << 32;

/// The most host entries a plan holds (one per word or input line, plus every address of a
/// name): about 170 MB. Blocks and ranges count as one, whatever their size.
inline constexpr std::size_t max_held_hosts = std::size_t{1} << 20;

/// Every target of a scan, without holding them: a list of blocks (one per word or input line),
/// each hosts x ports, in order. Target i is made on demand by at(i).
class target_plan {
 public:
  target_plan(port_list ports, family_filter family) : ports_(std::move(ports)), family_(family) {}

  /// Appends what one word names: a target, or a host crossed with every port of the list. A
  /// host is numeric, a block (host_range.hpp) or a name resolved with dial::resolve (hosts
  /// file, then DNS); every address of a name (of the family -4 / -6 keeps) is scanned. Fails,
  /// adding nothing, when the scan would pass max_targets or max_held_hosts. A failure is the
  /// whole message ("bad target 'X': ...").
  [[nodiscard]] std::expected<void, std::string> add(std::string_view word, word_kind kind);

  /// Targets in the plan.
  [[nodiscard]] std::uint64_t size() const noexcept { return size_; }
  /// Target i (i < size()): block by block, each host with every port in the list's order.
  [[nodiscard]] address at(std::uint64_t i) const noexcept;
  /// Host entries the plan holds (blocks count one).
  [[nodiscard]] std::size_t held() const noexcept { return held_; }

 private:
  struct block {
    std::uint64_t first_index = 0;  ///< the plan index of the block's first target
    host_range hosts;               ///< the hosts, when `listed` is empty
    std::vector<address> listed;    ///< a name's addresses, or one Unix address
    std::uint16_t port = 0;         ///< the target's port, when `own_port`
    bool own_port = false;          ///< a target (HOST:PORT, unix:...): not crossed with -p
  };
  [[nodiscard]] std::expected<void, std::string> add_block(block b);
  [[nodiscard]] std::expected<void, parse_problem> keep_family(std::vector<address>& a,
                                                               bool numeric) const;

  port_list ports_;
  family_filter family_;
  std::vector<block> blocks_;
  std::uint64_t size_ = 0;
  std::size_t held_ = 0;
};

/// The longest input line read_words takes, in bytes without its newline: far more than any
/// target or host name with a comment needs, and little enough that /dev/zero fails at once.
inline constexpr std::size_t max_line_bytes = 4096;

/// Reads one word per line from `in` (named `source` in messages) into `plan`: leading and
/// trailing blanks are dropped, blank lines and lines starting with '#' are skipped, and text
/// after " #" is a comment. The first bad line fails the whole input with "SOURCE:LINE: bad
/// target 'X': why"; so does a line longer than max_line_bytes ("SOURCE:LINE: the line is
/// longer than 4096 bytes"), read no further, and a read error ("SOURCE:LINE: cannot read: Is a
/// directory").
[[nodiscard]] std::expected<void, std::string> read_words(std::FILE* in, std::string_view source,
                                                          word_kind kind, target_plan& plan);

}  // namespace dial::cli
