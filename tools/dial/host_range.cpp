// tools/dial/host_range.cpp: CIDR blocks and address ranges, and the n-th address of one.
#include "host_range.hpp"

#include <array>

#include <fmt/core.h>

namespace dial::cli {
namespace {

// An IP address as a 128-bit number (IPv4 in the low 32 bits), for stepping through a block.
struct wide {
  std::uint64_t hi = 0;
  std::uint64_t lo = 0;
};

wide to_wide(const address& a) noexcept {
  wide w;
  if (a.kind() == address_kind::ipv4) {
    for (const auto b : a.ipv4_bytes()) w.lo = w.lo << 8 | b;
    return w;
  }
  const auto b = a.ipv6_bytes();
  for (std::size_t i = 0; i < 8; ++i) w.hi = w.hi << 8 | b[i];
  for (std::size_t i = 8; i < 16; ++i) w.lo = w.lo << 8 | b[i];
  return w;
}

address from_wide(wide w, const address& like) noexcept {
  if (like.kind() == address_kind::ipv4) {
    std::array<std::uint8_t, 4> b{};
    for (std::size_t i = 4; i-- > 0; w.lo >>= 8) b[i] = static_cast<std::uint8_t>(w.lo);
    return address::ipv4(b, 0);
  }
  std::array<std::uint8_t, 16> b{};
  for (std::size_t i = 16; i-- > 8; w.lo >>= 8) b[i] = static_cast<std::uint8_t>(w.lo);
  for (std::size_t i = 8; i-- > 0; w.hi >>= 8) b[i] = static_cast<std::uint8_t>(w.hi);
  return address::ipv6(b, 0, like.scope_id());
}

parse_problem too_many(std::size_t at, std::string_view size) {
  return {"TooManyTargets", at, fmt::format("the block has {} addresses", size),
          fmt::format("a block has at most {} (an IPv4 /0, an IPv6 /96)", max_range_addresses)};
}

// One end of a block: a numeric address (no name), its offsets shifted by `at`.
std::expected<address, parse_problem> numeric_part(std::string_view text, std::size_t at) {
  auto spec = parse_host_word(text);
  if (!spec) {
    auto p = spec.error();
    p.offset += at;
    return std::unexpected(p);
  }
  if (!spec->numeric)
    return std::unexpected(parse_problem{"UnknownForm", at, "a block needs a numeric address",
                                         "as in 192.0.2.0/28 or 198.51.100.10-20"});
  return spec->value;
}

std::expected<host_range, parse_problem> cidr(std::string_view host, std::size_t slash) {
  auto first = numeric_part(host.substr(0, slash), 0);
  if (!first) return std::unexpected(first.error());
  const unsigned width = first->kind() == address_kind::ipv4 ? 32 : 128;
  const std::string_view digits = host.substr(slash + 1);
  unsigned prefix = 0;
  const bool ok = !digits.empty() && digits.size() <= 3 &&
                  digits.find_first_not_of("0123456789") == std::string_view::npos &&
                  (digits.size() == 1 || digits.front() != '0');
  for (const char c : ok ? digits : std::string_view{}) prefix = prefix * 10 + unsigned(c - '0');
  if (!ok || prefix > width)
    return std::unexpected(parse_problem{"InvalidPrefix", slash + 1,
                                         fmt::format("the prefix is not a number 0-{}", width)});
  const unsigned bits = width - prefix;
  if (bits > 32) return std::unexpected(too_many(slash, fmt::format("2^{}", bits)));
  wide w = to_wide(*first);
  if (bits != 0) w.lo &= ~((std::uint64_t{1} << bits) - 1);  // the block that holds the address
  return host_range{from_wide(w, *first), std::uint64_t{1} << bits};
}

// The end of a range: a whole address, or the last byte (IPv4, decimal) or group (IPv6, hex).
std::expected<address, parse_problem> range_end(std::string_view text, std::size_t at,
                                                const address& first) {
  const bool v4 = first.kind() == address_kind::ipv4;
  const std::string_view short_chars = v4 ? "0123456789" : "0123456789abcdefABCDEF";
  if (text.empty() || text.size() > (v4 ? 3 : 4) ||
      text.find_first_not_of(short_chars) != std::string_view::npos)
    return numeric_part(text, at);
  std::uint64_t last = 0;
  for (const char c : text) {
    const unsigned d = c <= '9' ? unsigned(c - '0') : unsigned((c | 0x20) - 'a' + 10);
    last = last * (v4 ? 10 : 16) + d;
  }
  if (v4 && last > 255)
    return std::unexpected(parse_problem{"InvalidRange", at, "the last byte is above 255"});
  wide w = to_wide(first);
  const unsigned shift = v4 ? 8 : 16;
  w.lo = (w.lo & ~((std::uint64_t{1} << shift) - 1)) | last;
  return from_wide(w, first);
}

std::expected<host_range, parse_problem> range(std::string_view host, std::size_t dash) {
  auto first = numeric_part(host.substr(0, dash), 0);
  if (!first) return std::unexpected(first.error());
  auto last = range_end(host.substr(dash + 1), dash + 1, *first);
  if (!last) return std::unexpected(last.error());
  if (last->kind() != first->kind())
    return std::unexpected(
        parse_problem{"InvalidRange", dash + 1, "the range ends in another address family"});
  const wide a = to_wide(*first);
  const wide b = to_wide(*last);
  if (b.hi < a.hi || (b.hi == a.hi && b.lo < a.lo))
    return std::unexpected(parse_problem{"InvalidRange", dash + 1, "the range runs backwards",
                                         "write a range low-high, as in 198.51.100.10-20"});
  if (b.hi != a.hi || b.lo - a.lo >= max_range_addresses)
    return std::unexpected(too_many(dash, "more than 2^32"));
  return host_range{*first, b.lo - a.lo + 1};
}

}  // namespace

address host_range::at(std::uint64_t i) const noexcept {
  wide w = to_wide(first);
  const std::uint64_t lo = w.lo + i;
  if (lo < w.lo) ++w.hi;  // carried out of the low 64 bits (IPv6 only)
  w.lo = lo;
  return from_wide(w, first);
}

bool is_range_word(std::string_view host) noexcept {
  if (host.find('/') != std::string_view::npos) return true;
  const auto dash = host.find('-');
  if (dash == 0 || dash == std::string_view::npos) return false;
  const std::string_view before = host.substr(0, dash);
  return before.find_first_not_of("0123456789.") == std::string_view::npos ||
         before.find(':') != std::string_view::npos || before.front() == '[';
}

std::expected<host_range, parse_problem> parse_host_range(std::string_view host) {
  if (const auto slash = host.find('/'); slash != std::string_view::npos) return cidr(host, slash);
  return range(host, host.find('-'));
}

}  // namespace dial::cli
