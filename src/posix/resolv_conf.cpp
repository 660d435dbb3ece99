// src/posix/resolv_conf.cpp: resolv.conf, LOCALDOMAIN and RES_OPTIONS as c-ares 1.18 reads them.
#include "posix/resolv_conf.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <unistd.h>

#include <strings.h>
#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <optional>

namespace dial::detail {
namespace {

constexpr std::string_view spaces = " \t\n\v\f\r";  // C's isspace
// A resolv.conf is a few lines; a larger file is read up to here (c-ares would read it all).
constexpr std::size_t max_file_size = 1 << 20;

/// The settings while they are read: nullopt until a source sets one (the first source wins,
/// except for the search list, which the last line sets).
struct partial {
  std::vector<address> servers;
  std::optional<std::vector<std::string>> domains;
  std::optional<int> ndots, timeout_ms, tries;
  bool rotate = false;
};

bool is_space(char c) { return c != '\0' && spaces.find(c) != std::string_view::npos; }

// Splits on any of `separators`, dropping empty pieces.
std::vector<std::string_view> split(std::string_view s, std::string_view separators) {
  std::vector<std::string_view> out;
  for (std::size_t at = 0; at < s.size();) {
    const std::size_t end = std::min(s.find_first_of(separators, at), s.size());
    if (end > at) out.push_back(s.substr(at, end - at));
    at = end + 1;
  }
  return out;
}

// A search list: words separated by blanks or commas, each once (case-insensitively); nullopt
// when there is none, so that a later source may still set one.
std::optional<std::vector<std::string>> search_list(std::string_view text) {
  std::vector<std::string> out;
  for (const auto word : split(text, " ,")) {
    const std::string w(word);
    const auto same = [&w](const std::string& d) {
      return ::strcasecmp(d.c_str(), w.c_str()) == 0;
    };
    if (std::none_of(out.begin(), out.end(), same)) out.push_back(w);
  }
  if (out.empty()) return std::nullopt;
  return out;
}

// strtol's value as c-ares keeps it: the low 31 bits ("-1" is INT_MAX, "x" is 0).
int option_number(std::string_view digits) {
  const std::string s(digits);
  return static_cast<int>(std::strtol(s.c_str(), nullptr, 10) & INT_MAX);
}

// `options` words (and RES_OPTIONS): each value only if no earlier source set it.
void apply_options(partial& p, std::string_view text) {
  for (const auto word : split(text, spaces)) {
    if (word.starts_with("ndots:") && !p.ndots) p.ndots = option_number(word.substr(6));
    if (word.starts_with("retrans:") && !p.timeout_ms) p.timeout_ms = option_number(word.substr(8));
    if (word.starts_with("retry:") && !p.tries) p.tries = option_number(word.substr(6));
    if (word.starts_with("rotate")) p.rotate = true;
  }
}

// Bare IPv4 or IPv6 addresses; anything inet_pton refuses is skipped (c-ares 1.18 reads "1.2.3"
// as a network and makes up the last byte; dial does not follow it there).
void add_servers(partial& p, std::string_view text) {
  for (const auto word : split(text, " \t\n\v\f\r,")) {
    const std::string w(word);
    std::array<std::uint8_t, 16> b{};
    if (::inet_pton(AF_INET, w.c_str(), b.data()) == 1) {
      p.servers.push_back(address::ipv4({b[0], b[1], b[2], b[3]}, 0));
    } else if (::inet_pton(AF_INET6, w.c_str(), b.data()) == 1 &&
               !(b[0] == 0xfe && (b[1] & 0xc0) == 0xc0)) {  // fec0::/10 (RFC 3879) is skipped
      p.servers.push_back(address::ipv6(b, 0));
    }
  }
}

// A line without its comment ('#' or ';' onwards) and the blanks around it; C strings end at NUL.
std::string_view strip(std::string_view line) {
  line = line.substr(0, line.find_first_of(std::string_view("#;\0", 3)));
  const std::size_t first = line.find_first_not_of(spaces);
  if (first == std::string_view::npos) return {};
  return line.substr(first, line.find_last_not_of(spaces) - first + 1);
}

// The value after `keyword`, which must be followed by a blank.
std::optional<std::string_view> value_of(std::string_view line, std::string_view keyword) {
  if (!line.starts_with(keyword) || line.size() == keyword.size() ||
      !is_space(line[keyword.size()]))
    return std::nullopt;
  return line.substr(line.find_first_not_of(spaces, keyword.size()));
}

void apply_line(partial& p, std::string_view line, bool file_sets_domains) {
  if (const auto v = value_of(line, "domain")) {
    if (file_sets_domains) p.domains = search_list(v->substr(0, v->find_first_of(spaces)));
  } else if (const auto s = value_of(line, "search")) {
    if (file_sets_domains) p.domains = search_list(*s);
  } else if (const auto n = value_of(line, "nameserver")) {
    add_servers(p, *n);
  } else if (const auto o = value_of(line, "options")) {
    apply_options(p, *o);
  }
}

// The defaults of c-ares' init_by_defaults.
dns_config finish(partial p, std::string_view hostname) {
  dns_config c;
  c.servers = std::move(p.servers);
  if (c.servers.empty()) c.servers.push_back(address::loopback_ipv4(0));
  if (p.domains) {
    c.domains = std::move(*p.domains);
  } else if (const auto dot = hostname.find('.'); dot != std::string_view::npos) {
    c.domains.emplace_back(hostname.substr(dot + 1));
  }
  c.ndots = p.ndots.value_or(c.ndots);
  c.timeout_ms = p.timeout_ms.value_or(c.timeout_ms);
  c.tries = p.tries.value_or(c.tries);
  c.rotate = p.rotate;
  return c;
}

// The file's text, up to max_file_size; empty when it cannot be read.
std::string read_text(const char* path) {
  const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return {};
  std::string text;
  std::array<char, 4096> buf;
  for (;;) {
    const ::ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.append(buf.data(), static_cast<std::size_t>(n));
    if (text.size() >= max_file_size) break;
  }
  ::close(fd);
  return text;
}

}  // namespace

dns_config parse_resolv_conf(std::string_view text, const char* localdomain,
                             const char* res_options, std::string_view hostname) {
  partial p;
  if (localdomain != nullptr) p.domains = search_list(localdomain);
  if (res_options != nullptr) apply_options(p, res_options);
  const bool file_sets_domains = !p.domains.has_value();
  for (std::size_t at = 0; at < text.size();) {
    const std::size_t end = std::min(text.find('\n', at), text.size());
    apply_line(p, strip(text.substr(at, end - at)), file_sets_domains);
    at = end + 1;
  }
  return finish(std::move(p), hostname);
}

dns_config system_dns_config() {
  std::array<char, 256> host{};
  if (::gethostname(host.data(), host.size() - 1) != 0) host[0] = '\0';
  return parse_resolv_conf(read_text("/etc/resolv.conf"), std::getenv("LOCALDOMAIN"),
                           std::getenv("RES_OPTIONS"), host.data());
}

}  // namespace dial::detail
