// tools/dial/targets.cpp: port lists, numeric hosts and targets, one-per-line input files.
#include "targets.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cstdio>
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

// The text of an address_parse_failure, as a phrase.
std::string describe(const address_parse_failure& f) {
  return fmt::format("{} at offset {}", dial::name(f.error), f.offset);
}

// A word that is meant as a name rather than a mistyped number: it has a letter and no ':'.
// Only those are resolved, so that "1.2.3" is an error and never a DNS query.
bool looks_like_name(std::string_view s) {
  return s.find(':') == std::string_view::npos &&
         std::any_of(s.begin(), s.end(), [](char c) { return std::isalpha(c & 0xff) != 0; });
}

// The addresses of a host: the numeric address itself, or every address a name resolves to
// (dial::resolve: the hosts file first, then DNS; RFC 6724 order), each once.
std::expected<std::vector<address>, std::string> host_addresses(std::string_view word) {
  auto numeric = parse_host(word);
  if (numeric) return std::vector<address>{*numeric};
  if (!looks_like_name(word)) return std::unexpected(numeric.error());
  resolve_options o;
  o.deadline = deadline_clock::now() + std::chrono::seconds(10);
  auto r = dial::resolve(word, 0, o);
  if (!r) return std::unexpected(std::string(dial::name(r.error())));
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

std::expected<std::uint16_t, std::string> parse_port(std::string_view s) {
  if (s.empty()) return std::unexpected("a port is missing");
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec == std::errc::result_out_of_range || (ec == std::errc{} && value > 65535))
    return std::unexpected(fmt::format("port {} is above 65535", s));
  if (ec != std::errc{} || end != s.data() + s.size())
    return std::unexpected(fmt::format("'{}' is not a port number", s));
  if (value == 0) return std::unexpected("port 0 cannot be connected to");
  if (s.front() == '0') return std::unexpected(fmt::format("port '{}' has a leading zero", s));
  return static_cast<std::uint16_t>(value);
}

std::expected<port_list, std::string> parse_ports(std::string_view text) {
  if (text.empty()) return std::unexpected("the list is empty");
  port_list out;
  std::bitset<65536> seen;
  for (std::size_t at = 0; at <= text.size();) {
    const auto comma = std::min(text.find(',', at), text.size());
    const auto item = text.substr(at, comma - at);
    const auto dash = item.find('-');
    auto low = parse_port(item.substr(0, dash));
    if (!low) return std::unexpected(low.error());
    auto high = dash == std::string_view::npos ? low : parse_port(item.substr(dash + 1));
    if (!high) return std::unexpected(high.error());
    if (*high < *low) return std::unexpected(fmt::format("range {} runs backwards", item));
    for (unsigned p = *low; p <= *high; ++p) {
      if (!seen[p]) out.ports.push_back(static_cast<std::uint16_t>(p));
      seen[p] = true;
    }
    at = comma + 1;
  }
  return out;
}

std::expected<address, std::string> parse_host(std::string_view text) {
  if (text.empty()) return std::unexpected("the host is empty");
  // Give address::parse the one form it knows, HOST:PORT, with a placeholder port.
  const bool bare_v6 = text.find(':') != std::string_view::npos && text.front() != '[';
  const std::string with_port = bare_v6 ? fmt::format("[{}]:1", text) : fmt::format("{}:1", text);
  const auto a = address::parse(with_port);
  if (!a) {
    if (a.error().error == address_parse_error::invalid_ipv4 ||
        a.error().error == address_parse_error::unknown_form)
      return std::unexpected("not a numeric IPv4 or IPv6 address");
    return std::unexpected(std::string(dial::name(a.error().error)));
  }
  if (!a->is_ip()) return std::unexpected("not an IP address");
  return a->with_port(0);
}

std::expected<address, std::string> parse_target(std::string_view text) {
  const auto a = address::parse(text);
  if (!a) return std::unexpected(describe(a.error()));
  if (a->is_ip() && a->port() == 0) return std::unexpected("port 0 cannot be connected to");
  return *a;
}

std::expected<void, std::string> add_word(std::string_view word, word_kind kind,
                                          const port_list& ports, std::vector<address>& out) {
  if (kind == word_kind::target) {
    auto a = parse_target(word);
    if (!a) return std::unexpected(fmt::format("bad target '{}': {}", word, a.error()));
    if (auto room = room_for(1, out); !room) return room;
    out.push_back(*a);
    return {};
  }
  auto hosts = host_addresses(word);
  if (!hosts) return std::unexpected(fmt::format("bad host '{}': {}", word, hosts.error()));
  if (auto room = room_for(hosts->size() * ports.ports.size(), out); !room) return room;
  for (const auto& h : *hosts)
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
        return std::unexpected(fmt::format("{}:{}: read error", source, number));
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
