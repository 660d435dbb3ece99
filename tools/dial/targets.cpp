// tools/dial/targets.cpp: port lists, numeric hosts and targets, one-per-line input files.
#include "targets.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <limits>
#include <optional>
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

// A word split into its host part (a block, or a host or target as endpoint.hpp parses it).
struct parsed_word {
  std::optional<host_range> range;  ///< a block; then `spec` holds only the port
  target_spec spec;
};

std::expected<parsed_word, parse_problem> block_target(std::string_view word, std::size_t host_at,
                                                       std::size_t host_end) {
  auto r = parse_host_range(word.substr(host_at, host_end - host_at));
  if (!r) return std::unexpected(shifted(r.error(), host_at));
  const std::size_t port_at = host_end + (host_at == 0 ? 1 : 2);  // past ':' or "]:"
  if (port_at > word.size() || word[port_at - 1] != ':')
    return std::unexpected(parse_problem{"MissingPort", std::min(port_at - 1, word.size()),
                                         "the port is missing", "give [BLOCK]:PORT"});
  auto port = parse_port_word(word.substr(port_at));
  if (!port) return std::unexpected(shifted(port.error(), port_at));
  target_spec spec;
  spec.port = *port;
  return parsed_word{*r, spec};
}

// HOST or BLOCK (with -p); HOST:PORT, BLOCK:PORT, [V6BLOCK]:PORT or unix:... (without).
std::expected<parsed_word, parse_problem> parse_word(std::string_view word, word_kind kind) {
  if (kind == word_kind::host) {
    if (is_range_word(word)) {
      auto r = parse_host_range(word);
      if (!r) return std::unexpected(r.error());
      return parsed_word{*r, {}};
    }
    auto spec = parse_host_word(word);
    if (!spec) return std::unexpected(spec.error());
    return parsed_word{std::nullopt, *spec};
  }
  if (word.starts_with('[')) {
    const auto close = std::min(word.find(']'), word.size());
    if (is_range_word(word.substr(1, close - 1))) return block_target(word, 1, close);
  } else if (const auto colon = word.find(':');
             colon != std::string_view::npos &&
             word.find(':', colon + 1) == std::string_view::npos && !word.starts_with("unix:") &&
             is_range_word(word.substr(0, colon))) {
    return block_target(word, 0, colon);
  }
  auto spec = parse_target_word(word);
  if (!spec) return std::unexpected(spec.error());
  return parsed_word{std::nullopt, *spec};
}

bool family_kept(const address& a, family_filter f) noexcept {
  if (f == family_filter::any || !a.is_ip()) return true;  // -4 and -6 leave Unix targets be
  return (a.kind() == address_kind::ipv4) == (f == family_filter::ipv4);
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

std::expected<void, parse_problem> target_plan::keep_family(std::vector<address>& a,
                                                            bool numeric) const {
  const std::size_t before = a.size();
  std::erase_if(a, [&](const address& x) { return !family_kept(x, family_); });
  if (!a.empty()) return {};
  const bool v4 = family_ == family_filter::ipv4;
  if (numeric)
    return std::unexpected(parse_problem{
        "FamilyMismatch", 0, fmt::format("an IPv{} address with {}", v4 ? 6 : 4, v4 ? "-4" : "-6"),
        fmt::format("drop {} or give an IPv{} address", v4 ? "-4" : "-6", v4 ? 4 : 6)});
  return std::unexpected(parse_problem{
      "FamilyMismatch", 0, fmt::format("no IPv{} address among the name's {}", v4 ? 4 : 6, before),
      fmt::format("drop {}", v4 ? "-4" : "-6")});
}

std::expected<void, std::string> target_plan::add(std::string_view word, word_kind kind) {
  const std::string_view what = kind == word_kind::host ? "host" : "target";
  auto w = parse_word(word, kind);
  if (!w) return std::unexpected(describe(what, word, w.error()));
  block b;
  b.own_port = kind == word_kind::target;
  b.port = w->spec.port;
  if (w->range) {
    std::vector<address> first{w->range->first};
    if (auto kept = keep_family(first, true); !kept)
      return std::unexpected(describe(what, word, kept.error()));
    b.hosts = *w->range;
    return add_block(std::move(b));
  }
  auto addresses = addresses_of(w->spec);
  if (!addresses) return std::unexpected(describe(what, word, addresses.error()));
  if (auto kept = keep_family(*addresses, w->spec.numeric); !kept)
    return std::unexpected(describe(what, word, kept.error()));
  if (w->spec.numeric) {  // one address: held in the block itself, without an allocation
    b.hosts = host_range{addresses->front(), 1};
    return add_block(std::move(b));
  }
  b.hosts.count = addresses->size();
  b.listed = std::move(*addresses);
  return add_block(std::move(b));
}

std::expected<void, std::string> target_plan::add_block(block b) {
  const std::uint64_t n = b.hosts.count * (b.own_port ? 1 : ports_.ports.size());
  if (n > max_targets - size_)
    return std::unexpected(fmt::format("more than {} targets; split the scan", max_targets));
  const std::size_t held = std::max<std::size_t>(b.listed.size(), 1);
  if (held > max_held_hosts - held_)
    return std::unexpected(fmt::format(
        "more than {} hosts held; give blocks (192.0.2.0/24) or split the scan", max_held_hosts));
  b.first_index = size_;
  blocks_.push_back(std::move(b));
  size_ += n;
  held_ += held;
  return {};
}

address target_plan::at(std::uint64_t i) const noexcept {
  const auto next =
      std::upper_bound(blocks_.begin(), blocks_.end(), i,
                       [](std::uint64_t x, const block& b) { return x < b.first_index; });
  const block& b = *(next - 1);
  const std::uint64_t offset = i - b.first_index;
  const std::size_t per_host = b.own_port ? 1 : ports_.ports.size();
  const std::uint64_t host = offset / per_host;
  const address h = b.listed.empty() ? b.hosts.at(host) : b.listed[host];
  if (!h.is_ip()) return h;
  return h.with_port(b.own_port ? b.port : ports_.ports[offset % per_host]);
}

bool target_plan::all_loopback() const noexcept {
  const auto loopback = [](const address& a) { return a.is_ip() && a.is_loopback(); };
  return !blocks_.empty() && std::all_of(blocks_.begin(), blocks_.end(), [&](const block& b) {
    // A block is one run of addresses: its ends on loopback put all of it there (127.0.0.0/8 is
    // one run; on IPv6 only ::1 is loopback).
    return b.listed.empty() ? loopback(b.hosts.at(0)) && loopback(b.hosts.at(b.hosts.count - 1))
                            : std::all_of(b.listed.begin(), b.listed.end(), loopback);
  });
}

void target_plan::forget() noexcept {
  blocks_.clear();
  first_ = size_;
  held_ = 0;
}

std::expected<bool, std::string> word_reader::read(target_plan& plan, std::uint64_t want) {
  while (plan.size() - plan.first() < want) {
    ++number_;
    switch (next_line(in_, line_)) {
      case line_read::end: return false;
      case line_read::failed:
        return std::unexpected(
            fmt::format("{}:{}: cannot read: {}", source_, number_, std::strerror(errno)));
      case line_read::too_long:
        return std::unexpected(fmt::format("{}:{}: the line is longer than {} bytes", source_,
                                           number_, max_line_bytes));
      case line_read::line: break;
    }
    const std::string_view word = word_of(line_);
    if (word.empty()) continue;
    auto r = plan.add(word, kind_);
    if (!r) return std::unexpected(fmt::format("{}:{}: {}", source_, number_, r.error()));
  }
  return true;
}

std::expected<void, std::string> read_words(std::FILE* in, std::string_view source, word_kind kind,
                                            target_plan& plan) {
  word_reader reader(in, std::string(source), kind);
  auto r = reader.read(plan, std::numeric_limits<std::uint64_t>::max());
  if (!r) return std::unexpected(std::move(r.error()));
  return {};
}

}  // namespace dial::cli
