// src/common/lookup.cpp: numeric hosts, the hosts file, RFC 6724 order, and lookup dispatch.
#include "common/lookup.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>

#include "common/address_text.hpp"
#include "common/native.hpp"

namespace dial {
namespace {

using detail::family_answer;

// A lookup answered before it starts: a numeric host, or the hosts file.
class ready_lookup final : public detail::lookup {
 public:
  explicit ready_lookup(const std::vector<address>& all) {
    deliver(answer(all, address_kind::ipv6));
    deliver(answer(all, address_kind::ipv4));
  }
  void wait_set(std::vector<detail::lookup_fd>&) override {}
  deadline_clock::time_point wake_at() override { return deadline_clock::time_point::max(); }
  void on_ready(socket_t, bool, bool) override {}
  void on_tick() override {}

 private:
  static family_answer answer(const std::vector<address>& all, address_kind family) {
    std::vector<address> mine;
    for (const address& a : all)
      if (a.kind() == family) mine.push_back(a);
    family_answer f{family, std::move(mine), 0};
    if (f.result->empty()) f.result = std::unexpected(resolve_error::host_lacks_network_addresses);
    return f;
  }
};

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

std::string_view without_trailing_dot(std::string_view host) noexcept {
  if (host.size() > 1 && host.back() == '.') host.remove_suffix(1);
  return host;
}

bool looks_like_ipv4(std::string_view host) noexcept {
  for (char c : host)
    if ((c < '0' || c > '9') && c != '.') return false;
  return !host.empty();
}

// The RFC 6724 rules look at IPv4 as ::ffff:a.b.c.d; this gives the IPv6 bytes either way.
std::array<std::uint8_t, 16> as_ipv6(const address& a) noexcept {
  if (a.kind() == address_kind::ipv6) return a.ipv6_bytes();
  std::array<std::uint8_t, 16> b{};
  b[10] = b[11] = 0xff;
  const auto v4 = a.ipv4_bytes();
  std::copy(v4.begin(), v4.end(), b.begin() + 12);
  return b;
}

bool has_prefix(const std::array<std::uint8_t, 16>& b, std::initializer_list<std::uint8_t> head,
                int bits) noexcept {
  int i = 0;
  for (std::uint8_t h : head) {
    const int take = std::min(8, bits - 8 * i);
    if (take <= 0) break;
    const auto mask = static_cast<std::uint8_t>(0xff << (8 - take));
    if ((b[static_cast<std::size_t>(i)] & mask) != (h & mask)) return false;
    ++i;
  }
  return true;
}

}  // namespace

int rfc6724_precedence(const address& a) noexcept {
  if (!a.is_ip()) return -1;
  const auto b = as_ipv6(a);
  const bool zeros96 = std::all_of(b.begin(), b.begin() + 12, [](auto x) { return x == 0; });
  if (zeros96 && std::all_of(b.begin() + 12, b.begin() + 15, [](auto x) { return x == 0; }) &&
      b[15] == 1)
    return 50;                                                                   // ::1/128
  if (has_prefix(b, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff}, 96)) return 35;  // IPv4
  if (has_prefix(b, {0x20, 0x02}, 16)) return 30;                                // 6to4
  if (has_prefix(b, {0x20, 0x01, 0, 0}, 32)) return 5;                           // Teredo
  if (has_prefix(b, {0xfc}, 7)) return 3;                                        // ULA
  if (zeros96) return 1;                                                         // ::/96
  if (has_prefix(b, {0xfe, 0xc0}, 10)) return 1;                                 // site-local
  if (has_prefix(b, {0x3f, 0xfe}, 16)) return 1;                                 // 6bone
  return 40;                                                                     // ::/0
}

int rfc6724_scope(const address& a) noexcept {
  if (!a.is_ip()) return 0;
  if (a.kind() == address_kind::ipv4 || a.is_v4_mapped())
    return a.is_loopback() || a.is_link_local() || (as_ipv6(a)[12] == 169 && as_ipv6(a)[13] == 254)
               ? 2
               : 14;
  const auto b = a.ipv6_bytes();
  if (b[0] == 0xff) return b[1] & 0x0f;  // multicast: the scope field
  if (a.is_loopback() || a.is_link_local()) return 2;
  if (has_prefix(b, {0xfe, 0xc0}, 10)) return 5;
  return 14;
}

void sort_destinations(std::vector<address>& addresses) {
  if (addresses.size() < 2) return;  // nothing to order (the common case: one address)
  std::vector<address> unique;       // first occurrence wins: duplicates add nothing but delay
  for (const address& a : addresses)
    if (std::find(unique.begin(), unique.end(), a) == unique.end()) unique.push_back(a);
  std::stable_sort(unique.begin(), unique.end(), [](const address& x, const address& y) {
    const int px = rfc6724_precedence(x), py = rfc6724_precedence(y);
    if (px != py) return px > py;                // rule 6
    return rfc6724_scope(x) < rfc6724_scope(y);  // rule 8
  });
  addresses = std::move(unique);
}

namespace detail {

std::expected<address, address_parse_failure> parse_numeric_host(std::string_view host,
                                                                 std::uint16_t port) noexcept {
  if (auto quad = parse_dotted_quad(host)) return address::ipv4(*quad, port);  // the common case
  // Port 1 for the parse (the grammar may refuse 0), then the real one.
  std::array<char, address_max_text_size + 16> text{};
  std::string_view inner = host;
  if (inner.size() >= 2 && inner.front() == '[' && inner.back() == ']')
    inner = inner.substr(1, inner.size() - 2);
  const bool v6 = inner.find(':') != std::string_view::npos;
  if (inner.size() + 8 > text.size())
    return std::unexpected(address_parse_failure{address_parse_error::unknown_form, 0});
  std::size_t n = 0;
  if (v6) text[n++] = '[';
  for (char c : inner) text[n++] = c;
  if (v6) text[n++] = ']';
  text[n++] = ':';
  text[n++] = '1';
  auto parsed = address::parse({text.data(), n});
  if (!parsed) return std::unexpected(parsed.error());
  return parsed->with_port(port);
}

bool valid_host_name(std::string_view host) noexcept {
  host = without_trailing_dot(host);
  if (host.empty() || host.size() > 253) return false;
  std::size_t label = 0;
  for (char c : host) {
    if (c == '\0') return false;
    if (c == '.') {
      if (label == 0) return false;
      label = 0;
    } else if (++label > 63) {
      return false;
    }
  }
  return label > 0;
}

namespace {

// The hosts file's identity: a change to any of these means it must be read again.
struct file_id {
  std::int64_t size = -1, mtime_s = 0, mtime_ns = 0, inode = 0, device = 0;
  bool operator==(const file_id&) const = default;
};

struct hosts_entry {
  std::string name;  // as written (compared case-insensitively), without a trailing dot
  address at;        // port 0
};

// Why the hosts file could not be read, from open's errno: a resource error ends the lookup
// with its name; every other reason (no file, no permission, a directory) means "no hosts
// file", and the lookup goes on to the back-end.
std::optional<resolve_error> hosts_open_failure(int code) noexcept {
  switch (code) {
    case EMFILE: return resolve_error::process_fd_quota_exceeded;
    case ENFILE: return resolve_error::system_fd_quota_exceeded;
    case ENOMEM: return resolve_error::system_resources;
    default: return std::nullopt;
  }
}

std::optional<file_id> identify(const std::string& path) noexcept {
  struct ::stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
#ifdef __linux__
  const std::int64_t ns = st.st_mtim.tv_nsec;
#else
  const std::int64_t ns = 0;
#endif
  return file_id{static_cast<std::int64_t>(st.st_size), static_cast<std::int64_t>(st.st_mtime), ns,
                 static_cast<std::int64_t>(st.st_ino), static_cast<std::int64_t>(st.st_dev)};
}

void parse_hosts_line(std::string line, std::vector<hosts_entry>& out) {
  if (const auto hash = line.find('#'); hash != std::string::npos) line.resize(hash);
  std::istringstream fields(line);
  std::string addr_text, name;
  if (!(fields >> addr_text)) return;
  auto a = parse_numeric_host(addr_text, 0);
  if (!a) return;
  while (fields >> name) out.push_back({std::string(without_trailing_dot(name)), *a});
}

// Reads the whole file, close-on-exec (no descriptor a fork in another thread could inherit).
std::expected<std::vector<hosts_entry>, resolve_error> read_hosts(const std::string& path) {
#ifdef _WIN32
  std::FILE* f = std::fopen(path.c_str(), "rN");  // N: not inherited by child processes
#else
  std::FILE* f = std::fopen(path.c_str(), "re");  // e: O_CLOEXEC
#endif
  std::vector<hosts_entry> out;
  if (f == nullptr) {
    const int code = errno;
    if (auto e = hosts_open_failure(code)) {
      record_native(code);
      return std::unexpected(*e);
    }
    return out;
  }
  std::string line;
  for (int c; (c = std::fgetc(f)) != EOF;) {  // bounded by the file's length
    if (c != '\n') {
      line.push_back(static_cast<char>(c));
      continue;
    }
    parse_hosts_line(std::move(line), out);
    line.clear();
  }
  parse_hosts_line(std::move(line), out);
  std::fclose(f);
  return out;
}

// The hosts file, parsed once and read again only when its size, time or inode changes; one
// stat(2) per lookup.
class hosts_cache {
 public:
  std::expected<std::vector<address>, resolve_error> find(const std::string& path,
                                                          std::string_view host,
                                                          std::uint16_t port) {
    const auto id = identify(path);
    std::vector<address> found;
    if (!id) return found;  // no hosts file
    const std::lock_guard lock(mutex_);
    if (path != path_ || !(*id == id_)) {
      auto fresh = read_hosts(path);
      if (!fresh) return std::unexpected(fresh.error());
      entries_ = std::move(*fresh);
      path_ = path;
      id_ = *id;
    }
    host = without_trailing_dot(host);
    for (const auto& e : entries_)
      if (iequals(e.name, host)) found.push_back(e.at.with_port(port));
    return found;
  }

 private:
  std::mutex mutex_;
  std::string path_;
  file_id id_;
  std::vector<hosts_entry> entries_;
};

}  // namespace

std::expected<std::vector<address>, resolve_error> hosts_file_lookup(const std::string& path,
                                                                     std::string_view host,
                                                                     std::uint16_t port) {
  if (path.empty()) return std::vector<address>{};
  static hosts_cache cache;  // one per process: every lookup reads the same few files
  return cache.find(path, host, port);
}

resolve_error combine_failures(resolve_error a, resolve_error b) noexcept {
  if (a == resolve_error::unknown_host_name || b == resolve_error::unknown_host_name)
    return resolve_error::unknown_host_name;
  if (a == resolve_error::host_lacks_network_addresses) return b;
  return a;
}

std::expected<std::optional<std::vector<address>>, resolve_error> local_answer(
    std::string_view host, std::uint16_t port, const resolve_options& options) {
  using none = std::optional<std::vector<address>>;
  const bool v6_text = host.find(':') != std::string_view::npos;
  if (v6_text || looks_like_ipv4(host) || host.starts_with('[')) {
    if (auto a = parse_numeric_host(host, port)) return none(std::vector<address>{*a});
    if (v6_text || host.starts_with('[')) return std::unexpected(resolve_error::invalid_host_name);
    // Digits and dots that are not a strict dotted quad ("1.2.3") are asked as a name.
  }
  if (!valid_host_name(host)) return std::unexpected(resolve_error::invalid_host_name);
  if (options.backend == resolver_backend::system) return none();  // nsswitch reads the file
  auto listed = hosts_file_lookup(options.hosts_file, host, port);
  if (!listed) return std::unexpected(listed.error());
  if (listed->empty()) return none();
  return none(std::move(*listed));
}

std::expected<begun_lookup, resolve_error> begin_lookup(std::string_view host, std::uint16_t port,
                                                        const resolve_options& options) {
  auto local = local_answer(host, port, options);
  if (!local) return std::unexpected(local.error());
  if (*local) return begun_lookup{std::move(**local), nullptr};
  auto l = options.backend == resolver_backend::system ? start_system_lookup(host, port, options)
                                                       : start_ares_lookup(host, port, options);
  if (!l) return std::unexpected(l.error());
  return begun_lookup{{}, std::move(*l)};
}

std::expected<std::unique_ptr<lookup>, resolve_error> start_lookup(std::string_view host,
                                                                   std::uint16_t port,
                                                                   const resolve_options& options) {
  auto b = begin_lookup(host, port, options);
  if (!b) return std::unexpected(b.error());
  if (b->pending) return std::move(b->pending);
  return std::make_unique<ready_lookup>(b->ready);
}

}  // namespace detail

// ---- name_lookup: the public face of detail::lookup ------------------------------------------

name_lookup::name_lookup(std::vector<address> ready,
                         std::unique_ptr<detail::lookup> pending) noexcept
    : ready_(std::move(ready)), pending_(std::move(pending)) {}
name_lookup::name_lookup(name_lookup&&) noexcept = default;
name_lookup& name_lookup::operator=(name_lookup&&) noexcept = default;
name_lookup::~name_lookup() = default;

std::expected<name_lookup, resolve_error> name_lookup::start(std::string_view host,
                                                             std::uint16_t port,
                                                             const resolve_options& options) {
  auto b = detail::begin_lookup(host, port, options);
  if (!b) return std::unexpected(b.error());
  return name_lookup(std::move(b->ready), std::move(b->pending));
}

std::expected<std::optional<name_lookup>, resolve_error> name_lookup::answer_at_once(
    std::string_view host, std::uint16_t port, const resolve_options& options) {
  auto local = detail::local_answer(host, port, options);
  if (!local) return std::unexpected(local.error());
  if (!*local) return std::optional<name_lookup>();
  return std::optional<name_lookup>(name_lookup(std::move(**local), nullptr));
}

void name_lookup::wait_set(std::vector<lookup_watch>& out) {
  if (pending_) pending_->wait_set(out);
}

deadline_clock::time_point name_lookup::wake_at() {
  return pending_ ? pending_->wake_at() : deadline_clock::time_point::max();
}

void name_lookup::on_ready(socket_t fd, bool readable, bool writable) {
  if (pending_) pending_->on_ready(fd, readable, writable);
}

void name_lookup::on_tick() {
  if (pending_) pending_->on_tick();
}

// Addresses known at once go out as the two families' answers, a family without any as NODATA.
// One family (the common case) moves without a copy.
std::vector<lookup_answer> name_lookup::take_answers() {
  std::vector<lookup_answer> out;
  if (pending_) {
    out = pending_->take_answers();
  } else if (taken_ == 0) {
    const auto is_v6 = [](const address& a) { return a.kind() == address_kind::ipv6; };
    std::vector<address> v6, v4;
    if (std::all_of(ready_.begin(), ready_.end(), is_v6)) {
      v6 = std::move(ready_);
    } else if (std::none_of(ready_.begin(), ready_.end(), is_v6)) {
      v4 = std::move(ready_);
    } else {
      for (auto& a : ready_) (is_v6(a) ? v6 : v4).push_back(a);
    }
    out.reserve(2);
    for (auto* family : {&v6, &v4}) {
      const address_kind kind = family == &v6 ? address_kind::ipv6 : address_kind::ipv4;
      if (family->empty())
        out.push_back({kind, std::unexpected(resolve_error::host_lacks_network_addresses), 0});
      else
        out.push_back({kind, std::move(*family), 0});
    }
  }
  taken_ += static_cast<int>(out.size());
  return out;
}

bool name_lookup::finished() const noexcept { return taken_ >= 2; }

}  // namespace dial
