// tools/dial/endpoint.cpp: the tool's small numeric endpoint parser (IPv4, IPv6, Unix).
#include "endpoint.hpp"

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/un.h>

#include <charconv>
#include <cstddef>
#include <cstring>

#include <fmt/core.h>

namespace dial::cli {
namespace {

using result = std::expected<endpoint, std::string>;

std::unexpected<std::string> fail(std::string why) { return std::unexpected(std::move(why)); }

// A decimal number that fits in T, with nothing before or after it.
template <class T>
bool parse_decimal(std::string_view s, T& out) {
  if (s.empty() || s.front() == '+' || s.front() == '-') return false;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc{} && end == s.data() + s.size();
}

std::expected<in_port_t, std::string> parse_port(std::string_view s) {
  if (s.empty()) return fail("the port is missing after ':'");
  if (s.find_first_not_of("0123456789") != std::string_view::npos)
    return fail(fmt::format("port '{}' is not a decimal number", s));
  unsigned long n = 0;
  if (!parse_decimal(s, n) || n == 0 || n > 65535)
    return fail(fmt::format("port {} is out of range 1-65535", s));
  return htons(static_cast<in_port_t>(n));
}

// The scope of a link-local IPv6 address: a number, or an interface name that exists now.
std::expected<std::uint32_t, std::string> parse_scope(std::string_view s) {
  if (s.empty()) return fail("the scope after '%' is empty");
  std::uint32_t n = 0;
  if (parse_decimal(s, n)) return n;
  if (s.size() >= IF_NAMESIZE) return fail(fmt::format("'{}' is too long for an interface", s));
  const std::string name(s);
  const unsigned index = if_nametoindex(name.c_str());
  if (index == 0) return fail(fmt::format("no network interface is called '{}'", s));
  return index;
}

result parse_unix(std::string_view text, std::string_view rest) {
  endpoint e{std::string(text), AF_UNIX, {}, 0};
  auto& sun = reinterpret_cast<sockaddr_un&>(e.storage);
  sun.sun_family = AF_UNIX;
  const bool abstract = !rest.empty() && rest.front() == '@';
  const std::string_view name = abstract ? rest.substr(1) : rest;
  if (name.empty())
    return fail(abstract ? "the abstract socket name after 'unix:@' is empty"
                         : "the socket path after 'unix:' is empty");
  // A path needs its terminating NUL; an abstract name needs its leading one.
  const std::size_t room = sizeof sun.sun_path - 1;
  if (name.size() > room)
    return fail(fmt::format("the {} is {} bytes long; the limit is {}",
                            abstract ? "abstract name" : "socket path", name.size(), room));
  std::memcpy(sun.sun_path + (abstract ? 1 : 0), name.data(), name.size());
  // Both forms count one NUL: a path's terminator, or an abstract name's leading byte. An
  // abstract name is exactly as long as given (its bytes after the name are not part of it).
  e.length = static_cast<::socklen_t>(offsetof(sockaddr_un, sun_path) + name.size() + 1);
  return e;
}

result parse_ipv6(std::string_view text) {
  const std::size_t close = text.find(']');
  if (close == std::string_view::npos) return fail("']' is missing after the IPv6 address");
  std::string_view inside = text.substr(1, close - 1);
  const std::string_view after = text.substr(close + 1);
  if (after.empty() || after.front() != ':') return fail("':port' must follow ']', as in [::1]:22");
  auto port = parse_port(after.substr(1));
  if (!port) return fail(port.error());

  std::uint32_t scope = 0;
  if (const std::size_t pct = inside.find('%'); pct != std::string_view::npos) {
    auto s = parse_scope(inside.substr(pct + 1));
    if (!s) return fail(s.error());
    scope = *s;
    inside = inside.substr(0, pct);
  }
  endpoint e{std::string(text), AF_INET6, {}, sizeof(sockaddr_in6)};
  auto& sin6 = reinterpret_cast<sockaddr_in6&>(e.storage);
  sin6.sin6_family = AF_INET6;
  sin6.sin6_port = *port;
  sin6.sin6_scope_id = scope;
  const std::string host(inside);
  if (host.empty() || inet_pton(AF_INET6, host.c_str(), &sin6.sin6_addr) != 1)
    return fail(fmt::format("'{}' is not a numeric IPv6 address", inside));
  return e;
}

result parse_ipv4(std::string_view text) {
  const std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos)
    return fail("the ':port' is missing, as in 127.0.0.1:80 or [::1]:22");
  const std::string_view host = text.substr(0, colon);
  if (host.find(':') != std::string_view::npos)
    return fail("an IPv6 address needs brackets, as in [::1]:22");
  auto port = parse_port(text.substr(colon + 1));
  if (!port) return fail(port.error());

  endpoint e{std::string(text), AF_INET, {}, sizeof(sockaddr_in)};
  auto& sin = reinterpret_cast<sockaddr_in&>(e.storage);
  sin.sin_family = AF_INET;
  sin.sin_port = *port;
  const std::string h(host);
  if (h.empty()) return fail("the address before ':' is empty");
  if (inet_pton(AF_INET, h.c_str(), &sin.sin_addr) != 1)
    return fail(fmt::format(
        "'{}' is not a numeric IPv4 address a.b.c.d (host names are not resolved yet)", host));
  return e;
}

}  // namespace

std::expected<endpoint, std::string> parse_endpoint(std::string_view text) {
  if (text.empty()) return fail("the endpoint is empty");
  if (text.starts_with("unix:")) return parse_unix(text, text.substr(5));
  if (text.front() == '[') return parse_ipv6(text);
  return parse_ipv4(text);
}

}  // namespace dial::cli
