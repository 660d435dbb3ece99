// tools/dial/targets.cpp: port lists, numeric hosts and targets, one-per-line input files.
#include "targets.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <system_error>

#include <fmt/core.h>

#include "dial/resolve.hpp"

namespace dial::cli {
namespace {

constexpr std::string_view blanks = " \t\r";

std::string_view trim(std::string_view s) {
  const auto first = s.find_first_not_of(blanks);
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(blanks) - first + 1);
}

parse_problem shifted(parse_problem p, std::size_t by) {
  p.offset += by;
  return p;
}

// The addresses of a parsed host or target (its port not yet applied): the numeric address
// itself, or every address a name resolves to (dial::resolve: the hosts file first, then DNS;
// RFC 6724 order), each once.
std::expected<std::vector<address>, parse_problem> addresses_of(const target_spec& spec) {
  if (spec.numeric || spec.host.empty()) return std::vector<address>{spec.value};
  resolve_options o;
  o.deadline = deadline_clock::now() + std::chrono::seconds(10);
  auto r = dial::resolve(spec.host, 0, o);
  if (!r) {
    const auto id = dial::id(r.error());
    return std::unexpected(parse_problem{dial::name(id), 0, std::string(dial::message(id))});
  }
  return std::move(*r);
}

// Fails when `n` more targets would take `out` past max_targets (nothing is added then).
std::expected<void, std::string> room_for(std::size_t n, const std::vector<address>& out) {
  if (n <= max_targets - std::min(out.size(), max_targets)) return {};
  return std::unexpected(fmt::format("more than {} targets; split the scan", max_targets));
}

enum class line_read : std::uint8_t { line, end, too_long, failed };

// The next line of `in` without its newline, read no further than max_line_bytes.
line_read next_line(std::FILE* in, std::string& line) {
  line.clear();
  errno = 0;
  for (int c = std::getc(in); c != EOF; c = std::getc(in)) {
    if (c == '\n') return line_read::line;
    if (line.size() == max_line_bytes) return line_read::too_long;
    line.push_back(static_cast<char>(c));
  }
  if (std::ferror(in) != 0) return line_read::failed;
  return line.empty() ? line_read::end : line_read::line;  // a last line without its newline
}

// The word of a line: blanks around it and a " #" comment dropped; empty for none.
std::string_view word_of(std::string_view line) {
  std::string_view word = trim(line);
  if (word.empty() || word.front() == '#') return {};
  for (std::size_t hash = word.find('#'); hash != std::string_view::npos;
       hash = word.find('#', hash + 1)) {
    if (blanks.find(word[hash - 1]) == std::string_view::npos) continue;  // part of the word
    return trim(word.substr(0, hash));
  }
  return word;
}

}  // namespace

std::expected<port_list, parse_problem> parse_ports(std::string_view text) {
  if (text.empty()) return std::unexpected(parse_problem{"MissingPort", 0, "the list is empty"});
  port_list out;
  std::bitset<65536> seen;
  for (std::size_t at = 0; at <= text.size();) {
    const auto comma = std::min(text.find(',', at), text.size());
    const auto item = text.substr(at, comma - at);
    const auto dash = item.find('-');
    auto low = parse_port_word(item.substr(0, dash));
    if (!low) return std::unexpected(shifted(low.error(), at));
    const std::size_t high_at = dash == std::string_view::npos ? at : at + dash + 1;
    auto high = dash == std::string_view::npos ? low : parse_port_word(item.substr(dash + 1));
    if (!high) return std::unexpected(shifted(high.error(), high_at));
    if (*high < *low)
      return std::unexpected(parse_problem{"InvalidPortRange", at, "the range runs backwards",
                                           "write a range low-high, as in 8000-8100"});
    for (unsigned p = *low; p <= *high; ++p) {
      if (!seen[p]) out.ports.push_back(static_cast<std::uint16_t>(p));
      seen[p] = true;
    }
    at = comma + 1;
  }
  return out;
}

std::expected<void, std::string> add_word(std::string_view word, word_kind kind,
                                          const port_list& ports, std::vector<address>& out) {
  const bool is_host = kind == word_kind::host;
  const std::string_view what = is_host ? "host" : "target";
  const auto spec = is_host ? parse_host_word(word) : parse_target_word(word);
  if (!spec) return std::unexpected(describe(what, word, spec.error()));
  auto addresses = addresses_of(*spec);
  if (!addresses) return std::unexpected(describe(what, word, addresses.error()));
  if (!is_host) {
    if (auto room = room_for(addresses->size(), out); !room) return room;
    for (const auto& a : *addresses) out.push_back(a.is_ip() ? a.with_port(spec->port) : a);
    return {};
  }
  if (auto room = room_for(addresses->size() * ports.ports.size(), out); !room) return room;
  for (const auto& h : *addresses)
    for (const auto p : ports.ports) out.push_back(h.with_port(p));
  return {};
}

std::expected<void, std::string> read_words(std::FILE* in, std::string_view source, word_kind kind,
                                            const port_list& ports, std::vector<address>& out) {
  std::string line;
  for (std::size_t number = 1;; ++number) {
    switch (next_line(in, line)) {
      case line_read::end: return {};
      case line_read::failed:
        return std::unexpected(
            fmt::format("{}:{}: cannot read: {}", source, number, std::strerror(errno)));
      case line_read::too_long:
        return std::unexpected(
            fmt::format("{}:{}: the line is longer than {} bytes", source, number, max_line_bytes));
      case line_read::line: break;
    }
    const std::string_view word = word_of(line);
    if (word.empty()) continue;
    auto r = add_word(word, kind, ports, out);
    if (!r) return std::unexpected(fmt::format("{}:{}: {}", source, number, r.error()));
  }
}

}  // namespace dial::cli
