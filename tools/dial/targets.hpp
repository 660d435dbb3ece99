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

  /// Targets in the plan, the forgotten ones included: the index the next target gets.
  [[nodiscard]] std::uint64_t size() const noexcept { return size_; }
  /// The index of the first target still held: 0 until forget() is called.
  [[nodiscard]] std::uint64_t first() const noexcept { return first_; }
  /// Target i (first() <= i < size()): block by block, each host with every port in the list's
  /// order.
  [[nodiscard]] address at(std::uint64_t i) const noexcept;
  /// Host entries the plan holds (blocks count one).
  [[nodiscard]] std::size_t held() const noexcept { return held_; }
  /// Whether every target held is an IP address on loopback (127.0.0.0/8, ::1); false for an
  /// empty plan and for any Unix address.
  [[nodiscard]] bool all_loopback() const noexcept;
  /// Drops every block held: first() becomes size(), and held() 0. What is added next gets the
  /// following indexes, and max_targets still counts every target ever added; max_held_hosts
  /// counts only what is held. This is how an input is streamed: a chunk of lines is added,
  /// scanned and forgotten before the next one is read.
  void forget() noexcept;

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
  std::uint64_t first_ = 0;
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

/// Reads the words of one input as read_words does, but a piece at a time, so that an input of
/// any length is scanned with memory for one piece: read() adds lines to the plan until it holds
/// `want` targets past its first() (or the input ends); the caller scans them, calls
/// target_plan::forget() and reads on. Line numbers in messages count from the reader's start.
class word_reader {
 public:
  word_reader(std::FILE* in, std::string source, word_kind kind)
      : in_(in), source_(std::move(source)), kind_(kind) {}
  /// Adds lines to `plan` until plan.size() - plan.first() >= want or the input ends. True
  /// while more lines may follow; false at the end. A failure is read_words' message, and the
  /// input is read no further.
  [[nodiscard]] std::expected<bool, std::string> read(target_plan& plan, std::uint64_t want);
  /// The input's name in messages.
  [[nodiscard]] const std::string& source() const noexcept { return source_; }

 private:
  std::FILE* in_;
  std::string source_;
  word_kind kind_;
  std::size_t number_ = 0;  ///< the last line read
  std::string line_;
};

}  // namespace dial::cli
