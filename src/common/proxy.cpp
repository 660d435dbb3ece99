// src/common/proxy.cpp: the proxy value: its URL grammar (parse_proxy) and its redacted text.
#include "dial/proxy.hpp"

#include <ostream>

#include "dial/address.hpp"
#include "dial/dialer.hpp"

namespace dial {
namespace {

using failure = proxy_parse_failure;
using parsed = std::expected<proxy, failure>;

constexpr std::size_t socks_credential_max = 255;  // RFC 1929: ULEN and PLEN are one byte

std::unexpected<failure> fail(proxy_parse_error e, std::size_t at) {
  return std::unexpected(failure{e, at});
}

bool is_host_byte(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_';
}

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool ascii_iequal(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const char x = a[i] >= 'A' && a[i] <= 'Z' ? static_cast<char>(a[i] - 'A' + 'a') : a[i];
    if (x != b[i]) return false;
  }
  return true;
}

// Percent-decodes one userinfo part that starts at `at` in the URL.
std::expected<std::string, failure> decode(std::string_view part, std::size_t at) {
  std::string out;
  for (std::size_t i = 0; i < part.size(); ++i) {
    const char c = part[i];
    if (c <= ' ' || c > '~') return fail(proxy_parse_error::invalid_proxy_url, at + i);
    if (c != '%') {
      out.push_back(c);
      continue;
    }
    const int hi = i + 1 < part.size() ? hex_value(part[i + 1]) : -1;
    const int lo = i + 2 < part.size() ? hex_value(part[i + 2]) : -1;
    if (hi < 0 || lo < 0 || hi * 16 + lo == 0)
      return fail(proxy_parse_error::invalid_proxy_url, at + i);
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

// The userinfo "user[:password]" that begins at `at`.
std::expected<proxy_credentials, failure> credentials(std::string_view info, std::size_t at,
                                                      bool socks) {
  const std::size_t colon = info.find(':');
  const std::string_view user = info.substr(0, colon);
  if (user.empty()) return fail(proxy_parse_error::invalid_proxy_url, at);
  auto u = decode(user, at);
  if (!u) return std::unexpected(u.error());
  std::expected<std::string, failure> p = std::string();
  if (colon != std::string_view::npos) p = decode(info.substr(colon + 1), at + colon + 1);
  if (!p) return std::unexpected(p.error());
  if (socks && u->size() > socks_credential_max)
    return fail(proxy_parse_error::invalid_proxy_url, at);
  if (socks && p->size() > socks_credential_max)
    return fail(proxy_parse_error::invalid_proxy_url, at + colon + 1);
  return proxy_credentials{std::move(*u), std::move(*p)};
}

// "[v6]" at `at`: the address inside, checked by address::parse (its offsets moved to ours).
std::expected<std::string, failure> bracketed(std::string_view text, std::size_t at) {
  const std::size_t close = text.find(']');
  if (close == std::string_view::npos)
    return fail(proxy_parse_error::unterminated_bracket, at + text.size());
  const std::string probe = std::string(text.substr(0, close + 1)) + ":1";
  if (auto a = address::parse(probe); !a) {
    const auto e = a.error().error;
    if (e == address_parse_error::invalid_scope || e == address_parse_error::unknown_interface)
      return fail(static_cast<proxy_parse_error>(e), at + a.error().offset);
    return fail(proxy_parse_error::invalid_ipv6, at + std::min(a.error().offset, close));
  }
  return std::string(text.substr(1, close - 1));
}

// ":port" at `at`, then an optional '/' and the end.
std::expected<std::uint16_t, failure> port_part(std::string_view text, std::size_t at) {
  if (text.empty() || text[0] != ':') {
    if (text.empty() || text == "/") return fail(proxy_parse_error::missing_port, at);
    return fail(proxy_parse_error::invalid_host_name, at);
  }
  std::string_view digits = text.substr(1);
  if (digits.ends_with('/')) digits.remove_suffix(1);
  if (digits.empty()) return fail(proxy_parse_error::missing_port, at + 1);
  std::uint32_t v = 0;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    const char c = digits[i];
    if (c < '0' || c > '9')
      return fail(c == '/' || c == '?' || c == '#' ? proxy_parse_error::invalid_proxy_url
                                                   : proxy_parse_error::invalid_port,
                  at + 1 + i);
    if (i == 1 && digits[0] == '0') return fail(proxy_parse_error::invalid_port, at + 1);
    v = v * 10 + static_cast<std::uint32_t>(c - '0');
    if (v > 65535) return fail(proxy_parse_error::port_out_of_range, at + 1);
  }
  if (v == 0) return fail(proxy_parse_error::invalid_port, at + 1);
  return static_cast<std::uint16_t>(v);
}

std::expected<proxy_kind, failure> scheme_of(std::string_view url, std::size_t& rest) {
  const std::size_t sep = url.find("://");
  if (sep == std::string_view::npos) return fail(proxy_parse_error::unknown_proxy_scheme, 0);
  rest = sep + 3;
  const std::string_view s = url.substr(0, sep);
  for (const proxy_kind k : {proxy_kind::socks5, proxy_kind::socks5h, proxy_kind::http})
    if (ascii_iequal(s, scheme(k))) return k;
  return fail(proxy_parse_error::unknown_proxy_scheme, 0);
}

void escape_to(std::string& out, std::string_view s) {
  static constexpr char hex[] = "0123456789ABCDEF";
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u > ' ' && u < 0x7f && c != '%' && c != '@' && c != ':' && c != '/') {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(hex[u >> 4]);
      out.push_back(hex[u & 15]);
    }
  }
}

}  // namespace

std::string_view scheme(proxy_kind k) noexcept {
  switch (k) {
    case proxy_kind::socks5: return "socks5";
    case proxy_kind::socks5h: return "socks5h";
    case proxy_kind::http: return "http";
  }
  return {};
}

std::string_view name(proxy_step s) noexcept {
  switch (s) {
    case proxy_step::resolve_target: return "resolve_target";
    case proxy_step::connect: return "connect";
    case proxy_step::greeting: return "greeting";
    case proxy_step::authentication: return "authentication";
    case proxy_step::request: return "request";
    case proxy_step::tunnel: return "tunnel";
  }
  return {};
}

std::string proxy::to_string() const {
  std::string out(scheme(kind));
  out += "://";
  if (credentials) {
    escape_to(out, credentials->username);
    out += ":***@";
  }
  const bool v6 = host.find(':') != std::string::npos;
  out += v6 ? "[" + host + "]" : host;
  out += ":" + std::to_string(port);
  return out;
}

std::ostream& operator<<(std::ostream& os, const proxy_parse_failure& f) {
  return os << name(f.error) << " at offset " << f.offset;
}

std::expected<proxy, proxy_parse_failure> parse_proxy(std::string_view url) {
  if (url.empty()) return fail(proxy_parse_error::empty_input, 0);
  proxy p;
  std::size_t at = 0;
  auto kind = scheme_of(url, at);
  if (!kind) return std::unexpected(kind.error());
  p.kind = *kind;
  const bool socks = p.kind != proxy_kind::http;
  const std::size_t end = std::min(url.find_first_of("/?#", at), url.size());
  if (const std::size_t amp = url.rfind('@', end == url.size() ? url.size() : end);
      amp != std::string_view::npos && amp >= at) {
    auto c = credentials(url.substr(at, amp - at), at, socks);
    if (!c) return std::unexpected(c.error());
    p.credentials = std::move(*c);
    at = amp + 1;
  }
  std::string_view rest = url.substr(at);
  if (!rest.empty() && rest[0] == '[') {
    auto h = bracketed(rest, at);
    if (!h) return std::unexpected(h.error());
    p.host = std::move(*h);
    const std::size_t skip = p.host.size() + 2;
    at += skip;
    rest.remove_prefix(skip);
  } else {
    std::size_t n = 0;
    while (n < rest.size() && is_host_byte(rest[n])) ++n;
    if (n == 0) return fail(proxy_parse_error::invalid_host_name, at);
    p.host = std::string(rest.substr(0, n));
    at += n;
    rest.remove_prefix(n);
  }
  auto port = port_part(rest, at);
  if (!port) return std::unexpected(port.error());
  p.port = *port;
  return p;
}

}  // namespace dial
