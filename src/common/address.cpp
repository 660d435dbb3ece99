// src/common/address.cpp: strict parsing and canonical (RFC 5952) formatting of dial::address.
#include <cstring>
#include <ostream>

#include "common/interface_names.hpp"
#include "dial/address.hpp"

#include "common/address_text.hpp"

namespace dial {
namespace {

using failure = address_parse_failure;
using enum address_parse_error;

/// A scanner's "no error"; any other result is the offset of the problem.
constexpr std::size_t ok = std::string_view::npos;

std::unexpected<failure> fail(address_parse_error e, std::size_t at) noexcept {
  return std::unexpected(failure{e, at});
}

constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

constexpr int hex_value(char c) noexcept {
  if (is_digit(c)) return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

constexpr bool all_digits(std::string_view s) noexcept {
  for (char c : s)
    if (!is_digit(c)) return false;
  return true;
}

// ---- scanners: each returns `ok` or the offset of the problem ----------------------------------

/// One decimal octet at s[i]: 1-3 digits, at most 255, no leading zero (inet_aton would read
/// "010" as octal 8, so a leading zero is refused rather than guessed).
std::size_t scan_octet(std::string_view s, std::size_t& i, std::uint8_t& out) noexcept {
  const std::size_t start = i;
  unsigned v = 0;
  while (i < s.size() && is_digit(s[i]) && i - start < 4) v = v * 10 + unsigned(s[i++] - '0');
  const std::size_t n = i - start;
  if (n == 0 || (n > 1 && s[start] == '0') || n > 3 || v > 255) return start;
  out = static_cast<std::uint8_t>(v);
  return ok;
}

/// A dotted quad at s[i]; on success i is just past it (the caller decides what may follow).
std::size_t scan_ipv4(std::string_view s, std::size_t& i, std::uint8_t (&out)[4]) noexcept {
  for (std::size_t k = 0; k < 4; ++k) {
    if (k > 0) {
      if (i == s.size() || s[i] != '.') return i;
      ++i;
    }
    if (std::size_t e = scan_octet(s, i, out[k]); e != ok) return e;
  }
  return ok;
}

/// The groups an IPv6 text names, before "::" is expanded.
struct ipv6_groups {
  std::uint16_t g[8] = {};
  int count = 0;
  int gap = -1;  // the group index "::" stands at, or -1
};

/// The embedded dotted quad that ends an IPv6 text at s[start] (RFC 4291 section 2.2, form 3).
std::size_t scan_ipv6_tail(std::string_view s, std::size_t start, ipv6_groups& r) noexcept {
  if (r.count + 2 > (r.gap < 0 ? 8 : 7)) return start;
  std::uint8_t q[4];
  std::size_t i = start;
  if (std::size_t e = scan_ipv4(s, i, q); e != ok) return e;
  if (i != s.size()) return i;
  r.g[r.count++] = static_cast<std::uint16_t>(q[0] << 8 | q[1]);
  r.g[r.count++] = static_cast<std::uint16_t>(q[2] << 8 | q[3]);
  return ok;
}

/// One group of 1-4 hex digits at s[i], or the dotted quad that may end the text.
std::size_t scan_group(std::string_view s, std::size_t& i, ipv6_groups& r, bool& done) noexcept {
  const std::size_t start = i;
  std::size_t j = i;
  while (j < s.size() && hex_value(s[j]) >= 0) ++j;
  if (j < s.size() && s[j] == '.') {
    done = true;
    return scan_ipv6_tail(s, start, r);
  }
  if (j == start) return start;                      // no digit where a group must be
  if (j - start > 4) return start + 4;               // the fifth digit
  if (r.count == (r.gap < 0 ? 8 : 7)) return start;  // one group too many
  unsigned v = 0;
  for (; i < j; ++i) v = v << 4 | unsigned(hex_value(s[i]));
  r.g[r.count++] = static_cast<std::uint16_t>(v);
  return ok;
}

/// The separator after a group: ':' or '::' (once), or the end.
std::size_t scan_separator(std::string_view s, std::size_t& i, ipv6_groups& r,
                           bool& done) noexcept {
  if (i == s.size()) {
    done = true;
    return ok;
  }
  if (s[i] != ':' || r.count == (r.gap < 0 ? 8 : 7)) return i;  // stray, or after the last group
  ++i;
  if (i < s.size() && s[i] == ':') {
    if (r.gap >= 0) return i - 1;  // a second "::"
    r.gap = r.count;
    done = ++i == s.size();
    return ok;
  }
  return i == s.size() ? i : ok;  // a single ':' cannot end the text
}

/// The whole of s as an RFC 4291 text address.
std::size_t scan_ipv6(std::string_view s, std::array<std::uint8_t, 16>& out) noexcept {
  ipv6_groups r;
  std::size_t i = 0;
  bool done = false;
  if (s.starts_with("::")) {
    r.gap = 0;
    i = 2;
    done = i == s.size();
  } else if (s.starts_with(':')) {
    return 0;  // a leading ':' must be half of "::"
  }
  while (!done) {
    if (std::size_t e = scan_group(s, i, r, done); e != ok) return e;
    if (done) break;
    if (std::size_t e = scan_separator(s, i, r, done); e != ok) return e;
  }
  if (r.gap < 0 && r.count != 8) return s.size();  // too few groups and no "::"
  std::uint16_t full[8] = {};
  const int head = r.gap < 0 ? r.count : r.gap;
  for (int k = 0; k < head; ++k) full[k] = r.g[k];
  for (int k = head; k < r.count; ++k) full[8 - r.count + k] = r.g[k];
  for (std::size_t k = 0; k < 8; ++k) {
    out[2 * k] = static_cast<std::uint8_t>(full[k] >> 8);
    out[2 * k + 1] = static_cast<std::uint8_t>(full[k] & 0xff);
  }
  return ok;
}

// ---- the pieces of a text ----------------------------------------------------------------------

/// The port at s[i] to the end: decimal digits, no sign, no leading zero (read as octal by some
/// tools, so refused rather than guessed), at most 65535.
std::expected<std::uint16_t, failure> parse_port(std::string_view s, std::size_t i) noexcept {
  if (i == s.size()) return fail(missing_port, i);
  for (std::size_t k = i; k < s.size(); ++k)
    if (!is_digit(s[k])) return fail(invalid_port, k);
  if (s[i] == '0' && s.size() - i > 1) return fail(invalid_port, i);
  if (s.size() - i > 5) return fail(port_out_of_range, i);
  unsigned v = 0;
  for (std::size_t k = i; k < s.size(); ++k) v = v * 10 + unsigned(s[k] - '0');
  if (v > 65535) return fail(port_out_of_range, i);
  return static_cast<std::uint16_t>(v);
}

/// A byte a scope may hold: printable ASCII except the delimiters '%', '[' and ']'.
constexpr bool is_scope_byte(char c) noexcept {
  return c > ' ' && c < 0x7f && c != '%' && c != '[' && c != ']';
}

constexpr bool is_scope_name(std::string_view t) noexcept {
  if (t.empty() || all_digits(t)) return false;
  for (char c : t)
    if (!is_scope_byte(c)) return false;
  return true;
}

/// A numeric scope: an interface index, 1 to 2^32-1 without leading zeros (0 means "no scope":
/// leave the '%' out).
std::expected<std::uint32_t, failure> parse_scope_number(std::string_view t,
                                                         std::size_t at) noexcept {
  if (t[0] == '0' || t.size() > 10) return fail(invalid_scope, at);
  std::uint64_t v = 0;
  for (char c : t) v = v * 10 + std::uint64_t(c - '0');
  if (v > 0xffffffffu) return fail(invalid_scope, at);
  return static_cast<std::uint32_t>(v);
}

/// The scope t found at offset `at`: all digits is an index, anything else an interface name.
std::expected<std::uint32_t, failure> parse_scope(std::string_view t, std::size_t at) noexcept {
  if (t.empty()) return fail(invalid_scope, at);
  for (std::size_t k = 0; k < t.size(); ++k)
    if (!is_scope_byte(t[k])) return fail(invalid_scope, at + k);
  if (t.size() >= detail::interface_name_capacity)
    return fail(invalid_scope, at + detail::interface_name_capacity - 1);
  if (all_digits(t)) return parse_scope_number(t, at);
  if (std::uint32_t index = detail::interface_index(t); index != 0) return index;
  return fail(unknown_interface, at);
}

/// Whether s, which failed as IPv4, is an IPv6 address written without brackets (with or
/// without a ":port" or "%scope"), so that the error can say "wrong form" rather than point into
/// what was never meant as IPv4.
bool is_bare_ipv6(std::string_view s) noexcept {
  std::array<std::uint8_t, 16> b;
  s = s.substr(0, s.find('%'));
  if (scan_ipv6(s, b) == ok) return true;
  const std::size_t colon = s.rfind(':');
  return colon != std::string_view::npos && scan_ipv6(s.substr(0, colon), b) == ok;
}

/// "a.b.c.d:port".
std::expected<address, failure> parse_dotted(std::string_view s) noexcept {
  std::uint8_t b[4];
  std::size_t i = 0;
  std::size_t e = scan_ipv4(s, i, b);
  if (e == ok && i < s.size() && s[i] != ':') e = i;  // the host goes on past the quad
  if (e != ok) return is_bare_ipv6(s) ? fail(unknown_form, 0) : fail(invalid_ipv4, e);
  if (i == s.size()) return fail(missing_port, i);
  auto port = parse_port(s, i + 1);
  if (!port) return std::unexpected(port.error());
  return address::ipv4({b[0], b[1], b[2], b[3]}, *port);
}

/// "[v6]:port" or "[v6%scope]:port".
std::expected<address, failure> parse_bracketed(std::string_view s) noexcept {
  const std::size_t close = s.find(']');
  if (close == std::string_view::npos) return fail(unterminated_bracket, s.size());
  const std::string_view inside = s.substr(1, close - 1);
  const std::size_t pct = inside.find('%');
  std::array<std::uint8_t, 16> b;
  if (std::size_t e = scan_ipv6(inside.substr(0, pct), b); e != ok)
    return fail(invalid_ipv6, 1 + e);
  std::uint32_t scope = 0;
  if (pct != std::string_view::npos) {
    auto r = parse_scope(inside.substr(pct + 1), pct + 2);
    if (!r) return std::unexpected(r.error());
    scope = *r;
  }
  if (close + 1 == s.size() || s[close + 1] != ':') return fail(missing_port, close + 1);
  auto port = parse_port(s, close + 2);
  if (!port) return std::unexpected(port.error());
  return address::ipv6(b, *port, scope);
}

// ---- formatting --------------------------------------------------------------------------------

/// Appends to an address_text. Capacity is never checked: no address's text exceeds it.
class text_writer {
 public:
  explicit text_writer(address_text& t) noexcept : t_(t) {}
  void put(char c) noexcept { t_.chars[t_.length++] = c; }
  void put(std::string_view s) noexcept {
    for (char c : s) put(c);
  }
  void put_decimal(std::uint32_t v) noexcept {
    char digits[10];
    int n = 0;
    do digits[n++] = static_cast<char>('0' + v % 10);
    while ((v /= 10) != 0);
    while (n > 0) put(digits[--n]);
  }
  void put_hex(std::uint16_t v) noexcept {  // lowercase, no leading zeros (RFC 5952 4.1, 4.3)
    bool started = false;
    for (int shift = 12; shift >= 0; shift -= 4) {
      const unsigned d = (v >> shift) & 0xfu;
      if (d == 0 && !started && shift != 0) continue;
      started = true;
      put("0123456789abcdef"[d]);
    }
  }

 private:
  address_text& t_;
};

void write_ipv4(text_writer& w, const std::uint8_t* b) noexcept {
  for (int k = 0; k < 4; ++k) {
    if (k > 0) w.put('.');
    w.put_decimal(b[k]);
  }
}

/// The longest run of two or more zero groups, the first of equal runs (RFC 5952 4.2.2, 4.2.3).
void longest_zero_run(const std::uint16_t (&g)[8], int& start, int& length) noexcept {
  start = -1;
  length = 1;  // a lone zero group is written "0", never "::"
  for (int i = 0; i < 8;) {
    int j = i;
    while (j < 8 && g[j] == 0) ++j;
    if (j - i > length) {
      start = i;
      length = j - i;
    }
    i = j == i ? i + 1 : j;
  }
}

/// RFC 5952: lowercase, no leading zeros, the longest zero run as "::", and IPv4-mapped
/// addresses as ::ffff:a.b.c.d (section 5). IPv4-compatible ::a.b.c.d (deprecated by RFC 4291)
/// stays hexadecimal, unlike glibc's inet_ntop (docs/address.md).
void write_ipv6(text_writer& w, const std::array<std::uint8_t, 16>& b) noexcept {
  std::uint16_t g[8];
  for (std::size_t k = 0; k < 8; ++k)
    g[k] = static_cast<std::uint16_t>(b[2 * k] << 8 | b[2 * k + 1]);
  if (g[0] == 0 && g[1] == 0 && g[2] == 0 && g[3] == 0 && g[4] == 0 && g[5] == 0xffff) {
    w.put("::ffff:");
    return write_ipv4(w, b.data() + 12);
  }
  int run = -1, run_length = 0;
  longest_zero_run(g, run, run_length);
  for (int i = 0; i < 8; ++i) {
    if (i == run) {
      w.put("::");
      i += run_length - 1;
      continue;
    }
    if (i > 0 && i != run + run_length) w.put(':');
    w.put_hex(g[i]);
  }
}

/// An interface's name when it has one that reads back as a name, else the index.
void write_scope(text_writer& w, std::uint32_t scope) noexcept {
  char name[detail::interface_name_capacity];
  const std::string_view n(name, detail::interface_name(scope, name));
  if (is_scope_name(n))
    w.put(n);
  else
    w.put_decimal(scope);
}

}  // namespace

// ---- address -----------------------------------------------------------------------------------

std::expected<address, failure> address::make_unix(address_kind kind, std::string_view name,
                                                   std::size_t at) noexcept {
  constexpr std::size_t max = max_unix_path;
  static_assert(max_abstract_name == max, "one limit serves both kinds");
  if (name.empty()) return fail(empty_path, at);
  if (kind == address_kind::unix_path && name.front() == '@') return fail(unknown_form, at);
  if (const std::size_t nul = name.find('\0'); nul < max) return fail(unknown_form, at + nul);
  if (name.size() > max) return fail(path_too_long, at + max);
  address a;
  a.kind_ = kind;
  a.size_ = static_cast<std::uint8_t>(name.size());
  std::memcpy(a.bytes_.data(), name.data(), name.size());
  return a;
}

std::expected<address, failure> address::unix_path(std::string_view path) noexcept {
  return make_unix(address_kind::unix_path, path, 0);
}

std::expected<address, failure> address::unix_abstract(std::string_view name) noexcept {
  return make_unix(address_kind::unix_abstract, name, 0);
}

std::expected<address, failure> address::parse(std::string_view s) noexcept {
  if (s.empty()) return fail(empty_input, 0);
  if (s.front() == '[') return parse_bracketed(s);
  if (s.starts_with("unix:@")) return make_unix(address_kind::unix_abstract, s.substr(6), 6);
  if (s.starts_with("unix:")) return make_unix(address_kind::unix_path, s.substr(5), 5);
  if (is_digit(s.front())) return parse_dotted(s);
  return fail(unknown_form, 0);
}

address_text address::format() const noexcept {
  address_text t;
  text_writer w(t);
  switch (kind_) {
    case address_kind::ipv4:
      write_ipv4(w, ipv4_bytes().data());
      w.put(':');
      break;
    case address_kind::ipv6:
      w.put('[');
      write_ipv6(w, ipv6_bytes());
      if (scope_ != 0) {
        w.put('%');
        write_scope(w, scope_);
      }
      w.put("]:");
      break;
    case address_kind::unix_path:
      w.put("unix:");
      w.put(unix_name());
      return t;
    case address_kind::unix_abstract:
      w.put("unix:@");
      w.put(unix_name());
      return t;
  }
  w.put_decimal(port_);
  return t;
}

std::size_t address::format_to(char* buf, std::size_t size) const noexcept {
  const address_text t = format();
  if (t.size() <= size && t.size() != 0) std::memcpy(buf, t.c_str(), t.size());
  return t.size();
}

std::string address::to_string() const { return std::string(format().view()); }

std::ostream& operator<<(std::ostream& os, const address& a) { return os << a.format().view(); }

std::ostream& operator<<(std::ostream& os, const address_parse_failure& f) {
  return os << name(f.error) << " at offset " << f.offset;
}

namespace detail {

std::optional<std::array<std::uint8_t, 4>> parse_dotted_quad(std::string_view text) noexcept {
  std::uint8_t q[4];
  std::size_t i = 0;
  if (scan_ipv4(text, i, q) != ok || i != text.size()) return std::nullopt;
  return std::array<std::uint8_t, 4>{q[0], q[1], q[2], q[3]};
}

}  // namespace detail
}  // namespace dial
