// src/common/proxy_connect.cpp: connect_to_host through a proxy: the race to the proxy's own
// addresses, then the SOCKS5 (RFC 1928, RFC 1929) or HTTP CONNECT (RFC 9110 section 9.3.6)
// handshake on the winner, non-blocking, every wait a dial::poll bounded by the one deadline.
#include "common/sockets.hpp"  // MSG_PEEK

#include <algorithm>
#include <array>
#include <cstddef>
#include <span>
#include <string>

#include "common/dialer_os.hpp"
#include "common/native.hpp"
#include "common/proxy_connect.hpp"

namespace dial::detail {
namespace {

using clock = deadline_clock;
using error = connect_to_host_error;
using step_result = std::expected<void, error>;

/// The longest HTTP reply head (status line and headers) read before giving up on the proxy.
constexpr std::size_t max_http_head = 16 * 1024;
/// The longest target name SOCKS5 can carry (ATYP 3: one length byte).
constexpr std::size_t max_target_name = 255;

// A send or recv error as connect_to_host names it. The names both sets hold keep their id;
// EPIPE on a connected stream means the proxy reset the connection after an earlier send, so
// BrokenPipe is ConnectionResetByPeer; the rest (Unix paths, datagrams) cannot arise on a
// connected TCP socket and stay Unexpected, their code kept.
template <error_set E>
error io_error(E e) noexcept {
  if (id(e) == error_id::broken_pipe) return error::connection_reset_by_peer;
  if (contains<error>(id(e))) return static_cast<error>(e);
  return error::unexpected;
}

// The handshake's I/O on a non-blocking socket: every wait is a poll until the deadline, woken
// by the stop token; nothing is read beyond what the caller asks for.
class tunnel_io {
 public:
  tunnel_io(socket_t s, clock::time_point deadline, const std::stop_token& stop)
      : s_(s), deadline_(deadline), stop_(stop), waker_(stop) {}

  step_result send_all(std::span<const std::byte> data) {
    while (!data.empty()) {
      auto n = dial::send(s_, data);
      if (n) {
        data = data.subspan(*n);
      } else if (n.error() != send_error::would_block) {
        return failed(io_error(n.error()));
      } else if (auto w = wait(poll_out); !w) {
        return w;
      }
    }
    return {};
  }

  std::expected<std::size_t, error> recv_some(std::span<std::byte> buf, int flags = 0) {
    for (;;) {
      auto n = dial::recv(s_, buf, flags);
      if (n) return *n;
      if (n.error() != recv_error::would_block) return failed(io_error(n.error()));
      if (auto w = wait(poll_in); !w) return std::unexpected(w.error());
    }
  }

  // Exactly buf.size() bytes; the proxy closing first is ProxyConnectionClosed.
  step_result recv_exact(std::span<std::byte> buf) {
    while (!buf.empty()) {
      auto n = recv_some(buf);
      if (!n) return std::unexpected(n.error());
      if (*n == 0) return failed(error::proxy_connection_closed, 0);
      buf = buf.subspan(*n);
    }
    return {};
  }

  [[nodiscard]] int native() const noexcept { return native_; }

 private:
  std::unexpected<error> failed(error e, int native = -1) {
    native_ = native < 0 ? last_native_error() : native;
    return std::unexpected(e);
  }

  step_result wait(short events) {
    for (;;) {  // ends when ready, at the deadline or on a stop; a spurious wake-up goes round
      if (stop_.stop_requested()) return failed(error::canceled, 0);
      poll_fd p[2] = {{s_, events, 0}, {waker_.fd(), poll_in, 0}};
      auto n = dial::poll(std::span(p, waker_.has_fd() ? 2u : 1u), waker_.timeout_ms(deadline_));
      if (!n) return failed(widen<error>(n.error()));
      if (stop_.stop_requested()) return failed(error::canceled, 0);
      if (p[0].revents != 0) return {};  // readable, writable, or an error the call will name
      if (clock::now() >= deadline_) return failed(error::timeout, 0);
    }
  }

  socket_t s_;
  clock::time_point deadline_;
  const std::stop_token& stop_;
  stop_waker waker_;
  int native_ = 0;
};

std::span<const std::byte> bytes(std::string_view s) noexcept {
  return std::as_bytes(std::span(s.data(), s.size()));
}

bool is_name_byte(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_';
}

// A numeric target (IPv4, IPv6 with or without brackets or scope), as address::parse reads it.
std::optional<address> numeric_target(std::string_view host, std::uint16_t port) {
  std::string text(host);
  if (host.find(':') != std::string_view::npos && !host.starts_with('[')) text = "[" + text + "]";
  auto a = address::parse(text + ":" + std::to_string(port));
  if (!a || !a->is_ip()) return std::nullopt;
  return a->with_scope_id(0);  // a scope means nothing to the proxy
}

bool valid_target_name(std::string_view host) noexcept {
  return !host.empty() && host.size() <= max_target_name &&
         std::all_of(host.begin(), host.end(), is_name_byte);
}

// RFC 4648 base64, for the Basic credentials of RFC 7617.
std::string base64(std::string_view in) {
  static constexpr char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (std::size_t i = 0; i < in.size(); i += 3) {
    const std::size_t n = std::min<std::size_t>(3, in.size() - i);
    std::uint32_t v = 0;
    for (std::size_t k = 0; k < 3; ++k)
      v = v << 8 | (k < n ? static_cast<unsigned char>(in[i + k]) : 0u);
    for (std::size_t k = 0; k < 4; ++k) out += k <= n ? abc[(v >> (18 - 6 * k)) & 63] : '=';
  }
  return out;
}

// ---- SOCKS5 ---------------------------------------------------------------------------------

// RFC 1928 section 6: the REP byte of a reply. 04 (host unreachable) is NetworkUnreachable, as
// connect's table names EHOSTUNREACH; X'09'-X'FF' are unassigned, so the reply is not SOCKS5.
error socks_reply_error(int rep) noexcept {
  switch (rep) {
    case 0x01: return error::proxy_failure;                 // general SOCKS server failure
    case 0x02: return error::permission_denied;             // not allowed by ruleset
    case 0x03: return error::network_unreachable;           // network unreachable
    case 0x04: return error::network_unreachable;           // host unreachable
    case 0x05: return error::connection_refused;            // connection refused
    case 0x06: return error::connection_timed_out;          // TTL expired
    case 0x07: return error::operation_not_supported;       // command not supported
    case 0x08: return error::address_family_not_supported;  // address type not supported
    default: return error::proxy_protocol_error;
  }
}

std::string socks_target(const std::optional<address>& a, std::string_view name,
                         std::uint16_t port) {
  std::string req{'\x05', '\x01', '\x00'};  // VER, CMD CONNECT, RSV
  if (a && a->kind() == address_kind::ipv4) {
    req += '\x01';
    for (auto b : a->ipv4_bytes()) req += static_cast<char>(b);
  } else if (a) {
    req += '\x04';
    for (auto b : a->ipv6_bytes()) req += static_cast<char>(b);
  } else {
    req += '\x03';
    req += static_cast<char>(name.size());
    req += name;
  }
  req += static_cast<char>(port >> 8);
  req += static_cast<char>(port & 0xff);
  return req;
}

step_result socks_greeting(tunnel_io& io, const proxy& p, proxy_report& r) {
  r.step = proxy_step::greeting;
  const std::string hello = p.credentials ? std::string("\x05\x02\x00\x02", 4)  // none, RFC 1929
                                          : std::string("\x05\x01\x00", 3);     // none
  if (auto s = io.send_all(bytes(hello)); !s) return s;
  std::array<std::byte, 2> reply{};
  if (auto g = io.recv_exact(reply); !g) return g;
  r.reply = static_cast<int>(reply[1]);
  if (reply[0] != std::byte{5}) return std::unexpected(error::proxy_protocol_error);
  if (r.reply == 0xff) return std::unexpected(error::proxy_authentication_required);
  if (r.reply == 0x00) return {};
  if (r.reply != 0x02 || !p.credentials) return std::unexpected(error::proxy_protocol_error);
  r.step = proxy_step::authentication;  // RFC 1929: VER 1, ULEN, UNAME, PLEN, PASSWD
  r.reply = -1;
  const auto& c = *p.credentials;
  std::string auth{'\x01', static_cast<char>(c.username.size())};
  auth += c.username;
  auth += static_cast<char>(c.password.size());
  auth += c.password;
  if (auto s = io.send_all(bytes(auth)); !s) return s;
  if (auto a = io.recv_exact(reply); !a) return a;
  r.reply = static_cast<int>(reply[1]);
  if (reply[0] != std::byte{1}) return std::unexpected(error::proxy_protocol_error);
  if (r.reply != 0) return std::unexpected(error::proxy_authentication_failed);
  return {};
}

// The success reply's BND.ADDR and BND.PORT, read exactly (nothing of the tunnel is consumed).
step_result socks_bound(tunnel_io& io, int atyp, proxy_report& r) {
  std::array<std::byte, 1 + 255 + 2> b{};
  std::size_t n = atyp == 1 ? 4 : atyp == 4 ? 16 : 0;
  if (atyp == 3) {
    if (auto l = io.recv_exact(std::span(b).first(1)); !l) return l;
    n = static_cast<std::size_t>(b[0]);
  } else if (n == 0) {
    return std::unexpected(error::proxy_protocol_error);
  }
  if (auto a = io.recv_exact(std::span(b).subspan(1, n + 2)); !a) return a;
  const auto at = [&](std::size_t i) { return static_cast<std::uint8_t>(b[1 + i]); };
  const auto port = static_cast<std::uint16_t>(at(n) << 8 | at(n + 1));
  if (atyp == 3) {
    r.bound.assign(reinterpret_cast<const char*>(b.data() + 1), n);
    for (char& c : r.bound)
      if (c < ' ' || c > '~') c = '?';
    r.bound += ":" + std::to_string(port);
  } else if (atyp == 1) {
    r.bound = address::ipv4({at(0), at(1), at(2), at(3)}, port).to_string();
  } else {
    std::array<std::uint8_t, 16> v6{};
    for (std::size_t i = 0; i < 16; ++i) v6[i] = at(i);
    r.bound = address::ipv6(v6, port).to_string();
  }
  return {};
}

step_result socks5_connect(tunnel_io& io, const proxy& p, const std::optional<address>& target,
                           std::string_view name, std::uint16_t port, std::string sent,
                           proxy_report& r) {
  if (auto g = socks_greeting(io, p, r); !g) return g;
  r.step = proxy_step::request;
  r.reply = -1;
  r.target_sent = std::move(sent);
  if (auto s = io.send_all(bytes(socks_target(target, name, port))); !s) return s;
  std::array<std::byte, 4> head{};  // VER, REP, RSV, ATYP
  if (auto h = io.recv_exact(head); !h) return h;
  if (head[0] != std::byte{5}) return std::unexpected(error::proxy_protocol_error);
  r.reply = static_cast<int>(head[1]);
  if (r.reply != 0) return std::unexpected(socks_reply_error(r.reply));
  return socks_bound(io, static_cast<int>(head[3]), r);
}

// ---- HTTP CONNECT ---------------------------------------------------------------------------

// The reply head up to and including its blank line, read byte-accurately: each read peeks, and
// only the bytes up to the blank line are taken, so tunnel bytes that came with it stay queued
// in the socket for the caller.
std::expected<std::string, error> read_http_head(tunnel_io& io) {
  std::string head;
  std::array<std::byte, 4096> buf{};
  for (;;) {
    auto n = io.recv_some(buf, MSG_PEEK);
    if (!n) return std::unexpected(n.error());
    if (*n == 0) return std::unexpected(error::proxy_connection_closed);
    const std::size_t old = head.size();
    head.append(reinterpret_cast<const char*>(buf.data()), *n);
    const std::size_t end = head.find("\r\n\r\n", old >= 3 ? old - 3 : 0);
    const std::size_t take = end == std::string::npos ? *n : end + 4 - old;
    head.resize(old + take);
    if (head.size() > max_http_head) return std::unexpected(error::proxy_protocol_error);
    if (auto c = io.recv_exact(std::span(buf).first(take)); !c) return std::unexpected(c.error());
    if (end != std::string::npos) return head;
  }
}

// "HTTP/1.x NNN reason": the status (-1 when the line is not one) and the reason, sanitised.
int http_status(std::string_view head, std::string& reason) {
  const std::string_view line = head.substr(0, head.find("\r\n"));
  if (line.size() < 12 || !line.starts_with("HTTP/1.") || line[7] < '0' || line[7] > '9' ||
      line[8] != ' ' || (line.size() > 12 && line[12] != ' '))
    return -1;
  int status = 0;
  for (std::size_t i = 9; i < 12; ++i) {
    if (line[i] < '0' || line[i] > '9') return -1;
    status = status * 10 + (line[i] - '0');
  }
  for (const char c : line.substr(std::min<std::size_t>(13, line.size())).substr(0, 128))
    reason += c >= ' ' && c <= '~' ? c : '?';
  return status;
}

step_result http_connect(tunnel_io& io, const proxy& p, std::string target, proxy_report& r) {
  r.step = proxy_step::request;
  r.target_sent = target;
  std::string req = "CONNECT " + std::string(target) + " HTTP/1.1\r\nHost: " + std::string(target);
  if (p.credentials)
    req += "\r\nProxy-Authorization: Basic " +
           base64(p.credentials->username + ":" + p.credentials->password);
  req += "\r\n\r\n";
  if (auto s = io.send_all(bytes(req)); !s) return s;
  auto head = read_http_head(io);
  if (!head) return std::unexpected(head.error());
  r.reply = http_status(*head, r.reply_text);
  if (r.reply < 0) return std::unexpected(error::proxy_protocol_error);
  if (r.reply >= 200 && r.reply <= 299) return {};  // RFC 9110: any 2xx opens the tunnel
  // 407 is the proxy's own challenge; tinyproxy 1.11 answers a CONNECT's missing or wrong
  // credentials with 401 instead, which means the same here: the request never left the proxy.
  if (r.reply == 407 || r.reply == 401)
    return std::unexpected(p.credentials ? error::proxy_authentication_failed
                                         : error::proxy_authentication_required);
  if (r.reply == 403) return std::unexpected(error::permission_denied);
  if (r.reply == 504) return std::unexpected(error::connection_timed_out);  // Gateway Timeout
  return std::unexpected(error::proxy_failure);
}

// ---- the hop --------------------------------------------------------------------------------

std::string sent_text(const std::optional<address>& a, std::string_view name, std::uint16_t port) {
  return a ? a->to_string() : std::string(name) + ":" + std::to_string(port);
}

}  // namespace

std::expected<connection, connect_to_host_failure> connect_through_proxy(
    std::string_view host, std::uint16_t port, const connect_to_host_options& o) {
  const auto began = clock::now();
  const proxy& p = *o.proxy;
  proxy_report r;
  r.via = p;
  if (r.via.credentials) r.via.credentials->password.clear();
  r.target_host = std::string(host);
  r.target_port = port;
  const auto fail = [&](race_report report, error e, int native) {
    r.outcome = std::unexpected(e);
    r.end = clock::now();
    report.began = began;
    report.proxy = std::move(r);
    record_native(native);
    return std::unexpected(connect_to_host_failure{e, std::move(report)});
  };
  r.step = proxy_step::resolve_target;
  std::optional<address> target = numeric_target(host, port);
  if (!target && !valid_target_name(host)) return fail({}, error::invalid_host_name, 0);
  if (!target && p.kind == proxy_kind::socks5) {
    resolve_options ro = o.resolve;
    ro.deadline = o.deadline;
    ro.stop = o.stop;
    auto a = resolve(host, port, ro);
    if (!a) return fail({}, widen<error>(a.error()), last_native_error());
    r.target_addresses = std::move(*a);
    target = r.target_addresses.front().with_scope_id(0);
  }
  r.step = proxy_step::connect;
  connect_to_host_options hop = o;
  hop.proxy.reset();
  hop.non_blocking = true;  // the handshake waits with poll
  auto c = connect_to_host(p.host, p.port, hop);
  if (!c) {
    const int native = last_native_error();
    return fail(std::move(c.error().report), c.error().error, native);
  }
  r.start = clock::now();
  tunnel_io io(c->socket.get(), o.deadline, o.stop);
  std::string sent = sent_text(target, host, port);
  const step_result h = p.kind == proxy_kind::http
                            ? http_connect(io, p, std::move(sent), r)
                            : socks5_connect(io, p, target, host, port, std::move(sent), r);
  if (!h) {
    r.native = io.native();
    return fail(std::move(c->report), h.error(), r.native);  // the socket closes with `c`
  }
  r.end = clock::now();
  r.step = proxy_step::tunnel;
  if (!o.non_blocking) leave_non_blocking(c->socket.get());
  c->report.began = began;
  c->report.proxy = std::move(r);
  return std::move(*c);
}

}  // namespace dial::detail
