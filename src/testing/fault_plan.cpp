// src/testing/fault_plan.cpp: destinations (parse, match), errno names, the plan's builders.
#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

#include "dial/resolve.hpp"
#include "dial/testing.hpp"

namespace dial::testing {
namespace {

using failure = destination_parse_failure;

std::unexpected<failure> fail_at(error_id e, std::size_t offset) {
  return std::unexpected(failure{e, offset});
}

// An address as rules compare it: an IPv4-mapped IPv6 address is the IPv4 address it carries.
address canonical(const address& a) {
  if (!a.is_v4_mapped()) return a;
  const auto b = a.ipv6_bytes();
  return address::ipv4({b[12], b[13], b[14], b[15]}, a.port());
}

// The port after the host; `at` is the offset of the ':' in `text`.
std::expected<std::uint16_t, failure> port_at(std::string_view text, std::size_t at) {
  if (at >= text.size() || text[at] != ':') return fail_at(error_id::missing_port, at);
  // dial::address's port grammar, through a parse of a fixed address.
  const auto a = address::parse(std::string("0.0.0.0") + std::string(text.substr(at)));
  if (!a) return fail_at(id(a.error().error), at + a.error().offset - 7);
  if (a->port() == 0) return fail_at(error_id::port_out_of_range, at + 1);
  return a->port();
}

// "/N" at `at` (or nothing): the prefix length, at most `bits`. `family_error` names a bad one.
std::expected<unsigned, failure> prefix_at(std::string_view text, std::size_t& at, unsigned bits,
                                           error_id family_error) {
  if (at >= text.size() || text[at] != '/') return bits;
  const std::size_t start = ++at;
  unsigned n = 0;
  while (at < text.size() && text[at] >= '0' && text[at] <= '9' && at - start < 3)
    n = n * 10 + static_cast<unsigned>(text[at++] - '0');
  if (at == start || n > bits || (text[start] == '0' && at - start > 1))
    return fail_at(family_error, start);
  return n;
}

using bits = std::array<std::uint8_t, 16>;

// The address's bytes, network order, IPv4 in the first four.
bits address_bits(const address& a) {
  if (a.kind() != address_kind::ipv4) return a.ipv6_bytes();
  bits b{};
  const auto v4 = a.ipv4_bytes();
  std::copy(v4.begin(), v4.end(), b.begin());
  return b;
}

bool same_prefix(const bits& a, const bits& b, unsigned prefix) {
  for (unsigned bit = 0; bit < prefix; bit += 8) {
    const unsigned left = prefix - bit;
    const auto mask = static_cast<std::uint8_t>(left >= 8 ? 0xffu : 0xffu << (8 - left));
    if ((a[bit / 8] & mask) != (b[bit / 8] & mask)) return false;
  }
  return true;
}

}  // namespace

std::expected<destination, failure> destination::parse(std::string_view text) {
  destination d;
  d.text_ = std::string(text);
  if (text.empty()) return fail_at(error_id::empty_input, 0);
  if (text.starts_with("unix:")) {
    const auto a = address::parse(text);
    if (!a) return fail_at(id(a.error().error), a.error().offset);
    d.form_ = form::unix_socket;
    d.unix_ = *a;
    return d;
  }
  std::size_t at = 0;
  std::string host;
  if (text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos)
      return fail_at(error_id::unterminated_bracket, text.size());
    host = std::string(text.substr(1, close - 1));
    at = close + 1;
  } else if (text.starts_with("*")) {
    d.form_ = form::any_ip;
    at = 1;
  } else {
    at = std::min(text.find_first_of(":/"), text.size());
    host = std::string(text.substr(0, at));
  }
  if (d.form_ == form::any_ip) {
    const auto port = port_at(text, at);
    if (!port) return std::unexpected(port.error());
    d.port_ = *port;
    return d;
  }
  if (host.empty())  // "::1:80": IPv6 without its brackets reads as an empty host
    return fail_at(text.front() == ':' ? error_id::unknown_form : error_id::empty_input, 0);
  const bool bracketed = text.front() == '[';
  const auto literal = address::parse(bracketed ? "[" + host + "]:1" : host + ":1");
  const bool v6 = bracketed;
  const error_id family_error = v6 ? error_id::invalid_ipv6 : error_id::invalid_ipv4;
  const auto prefix = prefix_at(text, at, v6 ? 128 : 32, family_error);
  if (!prefix) return std::unexpected(prefix.error());
  const auto port = port_at(text, at);
  if (!port) return std::unexpected(port.error());
  d.port_ = *port;
  const bool dotted = host.find_first_not_of("0123456789.") == std::string::npos;
  if (literal) {
    if (v6 && literal->is_v4_mapped() && *prefix >= 96)
      d.networks_.push_back({canonical(*literal), *prefix - 96});
    else
      d.networks_.push_back({*literal, *prefix});
    return d;
  }
  if (bracketed || dotted)  // meant as a literal: the parser's offset, into the text
    return fail_at(id(literal.error().error), std::min(literal.error().offset, host.size() + 1));
  if (host.size() < text.size() && text[host.size()] == '/')
    return fail_at(error_id::invalid_ipv4, host.size());  // a name has no prefix
  const auto addresses = resolve(host, d.port_);
  if (!addresses) return fail_at(id(addresses.error()), 0);
  for (const auto& a : *addresses)
    d.networks_.push_back({canonical(a), a.kind() == address_kind::ipv4 ? 32u : 128u});
  return d;
}

bool destination::matches(const address& to) const noexcept {
  if (form_ == form::unix_socket)
    return to.kind() == unix_.kind() && to.unix_name() == unix_.unix_name();
  if (!to.is_ip() || to.port() != port_) return false;
  if (form_ == form::any_ip) return true;
  const address c = canonical(to);
  const auto have = address_bits(c);
  for (const auto& n : networks_)
    if (n.base.kind() == c.kind() && same_prefix(have, address_bits(n.base), n.prefix)) return true;
  return false;
}

std::optional<int> errno_from_name(std::string_view name) noexcept {
  if (name == "EWOULDBLOCK") return EWOULDBLOCK;  // glibc names these by their twins
  if (name == "EDEADLOCK") return EDEADLOCK;
  if (name == "ENOTSUP") return ENOTSUP;
  for (int e = 1; e < 4096; ++e) {
    const char* n = ::strerrorname_np(e);  // glibc 2.32: Linux's own list of names
    if (n != nullptr && name == n) return e;
  }
  return std::nullopt;
}

std::string_view errno_name(int code) noexcept {
  const char* n = ::strerrorname_np(code);
  return n == nullptr ? std::string_view{} : std::string_view{n};
}

// ---- the plan ------------------------------------------------------------------------------

fault_plan& fault_plan::add_parsed(std::string_view to, fault_rule rule) {
  auto d = destination::parse(to);
  if (!d)
    throw std::invalid_argument("dial::testing: bad destination '" + std::string(to) +
                                "': " + std::string(name(d.error().error)) + " at byte " +
                                std::to_string(d.error().offset));
  rule.to = std::move(*d);
  rule.rate = next_rate_;
  next_rate_ = 1.0;
  rules_.push_back(std::move(rule));
  return *this;
}

fault_plan& fault_plan::refuse(std::string_view to) {
  return add_parsed(
      to, {{}, fault_action::refuse, {}, ECONNREFUSED, 1.0, "--refuse " + std::string(to)});
}

fault_plan& fault_plan::drop(std::string_view to, std::optional<std::chrono::nanoseconds> after) {
  return add_parsed(to,
                    {{}, fault_action::drop, after, ETIMEDOUT, 1.0, "--drop " + std::string(to)});
}

fault_plan& fault_plan::delay(std::string_view to, std::chrono::nanoseconds by) {
  return add_parsed(to, {{}, fault_action::delay, by, 0, 1.0, "--delay " + std::string(to)});
}

fault_plan& fault_plan::fail(std::string_view to, int error) {
  return add_parsed(to, {{},
                         fault_action::fail,
                         {},
                         error,
                         1.0,
                         "--errno " + std::string(to) + "=" + std::string(errno_name(error))});
}

fault_plan& fault_plan::fail(std::string_view to, std::string_view errno_text) {
  const auto e = errno_from_name(errno_text);
  if (!e)
    throw std::invalid_argument("dial::testing: no errno is called '" + std::string(errno_text) +
                                "'");
  return fail(to, *e);
}

fault_plan& fault_plan::rate(double p) {
  if (!(p >= 0.0 && p <= 1.0))
    throw std::invalid_argument("dial::testing: a rate is between 0 and 1");
  next_rate_ = p;
  return *this;
}

fault_plan& fault_plan::seed(std::uint64_t s) noexcept {
  seed_ = s;
  return *this;
}

fault_plan& fault_plan::add(fault_rule rule) {
  rules_.push_back(std::move(rule));
  return *this;
}

}  // namespace dial::testing
