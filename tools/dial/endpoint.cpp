// tools/dial/endpoint.cpp: the target grammar (on dial::address), ports, and message texts.
#include "endpoint.hpp"

#include <algorithm>

#include <fmt/core.h>

namespace dial::cli {
namespace {

constexpr std::size_t echo_limit = 64;  // bytes of user text a message repeats
constexpr std::string_view no_port_hint = "with -p give hosts without a port";
constexpr std::string_view brackets_hint = "IPv6 needs brackets, as in [::1]:22";

parse_problem from_address(const address_parse_failure& f, std::size_t shift = 0) {
  const auto id = dial::id(f.error);
  const std::size_t at = f.offset >= shift ? f.offset - shift : 0;
  return {dial::name(id), at, std::string(dial::message(id))};
}

bool is_host_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_';
}

bool is_dotted(std::string_view host) {  // digits and dots only: meant as IPv4
  return host.find_first_not_of("0123456789.") == std::string_view::npos;
}

// The IP text of an address without port and brackets: "::1", "fe80::1%eth0", "127.0.0.1".
std::string ip_text(const address& a) {
  std::string t = a.with_port(0).to_string();
  t.resize(t.rfind(':'));
  if (!t.empty() && t.front() == '[') t = t.substr(1, t.size() - 2);
  return t;
}

// A host that is not bracketed IPv6: IPv4 (digits and dots) or a name; `base` shifts offsets.
std::expected<target_spec, parse_problem> plain_host(std::string_view host, std::size_t base) {
  if (host.empty())
    return std::unexpected(parse_problem{"EmptyInput", base, "the host is missing"});
  if (is_dotted(host)) {
    const auto a = address::parse(fmt::format("{}:1", host));
    if (!a) {
      auto p = from_address(a.error());
      p.offset = base + std::min(p.offset, host.size());
      return std::unexpected(p);
    }
    return target_spec{ip_text(*a), 0, a->with_port(0), true};
  }
  const auto bad = std::find_if_not(host.begin(), host.end(), is_host_char);
  if (bad != host.end())
    return std::unexpected(parse_problem{"InvalidHostName",
                                         base + static_cast<std::size_t>(bad - host.begin()),
                                         "a host name has letters, digits, '-', '.' and '_' only"});
  return target_spec{std::string(host), 0, {}, false};
}

// A bracketed IPv6 host "[v6addr]" or "[v6addr%scope]", without a port.
std::expected<target_spec, parse_problem> bracketed_host(std::string_view host) {
  const auto a = address::parse(fmt::format("{}:1", host));
  if (!a) return std::unexpected(from_address(a.error()));
  return target_spec{ip_text(*a), 0, a->with_port(0), true};
}

// A bare IPv6 host "v6addr" or "v6addr%scope" (only after -p, where no port follows).
std::expected<target_spec, parse_problem> bare_v6_host(std::string_view host) {
  const auto a = address::parse(fmt::format("[{}]:1", host));
  if (!a) return std::unexpected(from_address(a.error(), 1));
  return target_spec{ip_text(*a), 0, a->with_port(0), true};
}

std::expected<target_spec, parse_problem> unix_target(std::string_view text) {
  const auto a = address::parse(text);
  if (!a) return std::unexpected(from_address(a.error()));
  return target_spec{{}, 0, *a, false};
}

// HOST:PORT once HOST (with its brackets) and PORT are split at `colon`.
std::expected<target_spec, parse_problem> host_and_port(std::string_view text, std::size_t colon) {
  const std::string_view host = text.substr(0, colon);
  auto spec = host.front() == '[' ? bracketed_host(host) : plain_host(host, 0);
  if (!spec) return spec;
  const auto port = parse_port_word(text.substr(colon + 1));
  if (!port) {
    auto p = port.error();
    p.offset += colon + 1;
    return std::unexpected(p);
  }
  spec->port = *port;
  if (spec->numeric) spec->value = spec->value.with_port(*port);
  return spec;
}

}  // namespace

std::string echo(std::string_view text) {
  std::size_t keep = std::min(text.size(), echo_limit);
  // Cut between UTF-8 characters, not inside one (continuation bytes are 10xxxxxx).
  while (keep < text.size() && keep > 0 && (static_cast<unsigned char>(text[keep]) & 0xc0) == 0x80)
    --keep;
  std::string out;
  for (const char c : text.substr(0, keep)) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f || c == '\'' || c == '\\') {
      out += fmt::format("\\x{:02x}", u);
    } else {
      out += c;
    }
  }
  if (keep < text.size()) out += "…";
  return out;
}

std::string problem_text(const parse_problem& p) {
  return fmt::format("{} ({} at byte {}){}{}", p.message, p.name, p.offset,
                     p.hint.empty() ? "" : "; ", p.hint);
}

std::string describe(std::string_view what, std::string_view text, const parse_problem& p) {
  return fmt::format("bad {} '{}': {}", what, echo(text), problem_text(p));
}

std::expected<std::uint16_t, parse_problem> parse_port_word(std::string_view s) {
  if (s.empty()) return std::unexpected(parse_problem{"MissingPort", 0, "the port is missing"});
  const auto bad = s.find_first_not_of("0123456789");
  if (bad != std::string_view::npos)
    return std::unexpected(parse_problem{"InvalidPort", bad, "a port is a decimal number"});
  if (s.size() > 1 && s.front() == '0')
    return std::unexpected(parse_problem{"InvalidPort", 0, "the port has a leading zero",
                                         "ports have no leading zeros"});
  unsigned value = 0;
  for (const char c : s.substr(0, 6)) value = value * 10 + static_cast<unsigned>(c - '0');
  if (s.size() > 5 || value > 65535)
    return std::unexpected(parse_problem{"PortOutOfRange", 0, "the port is above 65535"});
  if (value == 0)
    return std::unexpected(
        parse_problem{"PortOutOfRange", 0, "port 0 cannot be connected to", "give a port 1-65535"});
  return static_cast<std::uint16_t>(value);
}

std::expected<target_spec, parse_problem> parse_target_word(std::string_view text) {
  if (text.empty())
    return std::unexpected(parse_problem{"EmptyInput", 0, "the target is empty", "give HOST:PORT"});
  if (text.starts_with("unix:")) return unix_target(text);
  if (text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos)
      return std::unexpected(
          from_address({address_parse_error::unterminated_bracket, text.size()}));
    if (close + 1 == text.size() || text[close + 1] != ':')
      return std::unexpected(
          parse_problem{"MissingPort", close + 1, "the port is missing", "give [v6addr]:PORT"});
    return host_and_port(text, close + 1);
  }
  const auto colon = text.find(':');
  if (colon == std::string_view::npos)
    return std::unexpected(
        parse_problem{"MissingPort", text.size(), "the port is missing", "give HOST:PORT"});
  if (text.find(':', colon + 1) != std::string_view::npos)
    return std::unexpected(parse_problem{"UnknownForm", 0, "an IPv6 address without brackets",
                                         std::string(brackets_hint)});
  return host_and_port(text, colon);
}

std::expected<target_spec, parse_problem> parse_host_word(std::string_view text) {
  if (text.empty()) return std::unexpected(parse_problem{"EmptyInput", 0, "the host is empty"});
  if (text.starts_with("unix:"))
    return std::unexpected(parse_problem{"UnknownForm", 0, "a Unix socket has no ports",
                                         "give unix: targets without -p"});
  if (text.front() == '[') {
    const auto close = text.find(']');
    if (close != std::string_view::npos && close + 1 < text.size())
      return std::unexpected(parse_problem{"PortNotAllowed", close + 1, "a port after the host",
                                           std::string(no_port_hint)});
    return bracketed_host(text);
  }
  const auto colon = text.find(':');
  if (colon == std::string_view::npos) return plain_host(text, 0);
  if (text.find(':', colon + 1) == std::string_view::npos)
    return std::unexpected(
        parse_problem{"PortNotAllowed", colon, "a port after the host", std::string(no_port_hint)});
  return bare_v6_host(text);
}

std::expected<endpoint, std::string> parse_endpoint(std::string_view text) {
  auto spec = parse_target_word(text);
  if (!spec) return std::unexpected(problem_text(spec.error()));
  if (!spec->numeric && !spec->host.empty())
    return std::unexpected(problem_text({"UnknownForm", 0, "a host name, not a numeric address"}));
  endpoint e{std::string(text), spec->value.family(), {}, 0, spec->value};
  e.length = spec->value.to_native(e.storage);
  return e;
}

}  // namespace dial::cli
