// tools/dial/host_probe.cpp: probing HOST:PORT targets with connect_to_host, `-v` race output.
#include "host_probe.hpp"

#include <charconv>
#include <cstdio>
#include <tuple>
#include <vector>

#include <fmt/core.h>

#include "color.hpp"
#include "dial/dialer.hpp"
#include "platform.hpp"
#include "report.hpp"

namespace dial::cli {
namespace {

using clock_type = dial::deadline_clock;

double ms_since(clock_type::time_point origin, clock_type::time_point t) {
  return std::chrono::duration<double, std::milli>(t - origin).count();
}

bool is_numeric_host(const std::string& host) {
  const bool v6 = host.find(':') != std::string::npos;
  return bool(dial::address::parse(v6 ? "[" + host + "]:1" : host + ":1"));
}

// The proxy hop under the race (-v): the proxy, the target as sent, and the handshake's step,
// times, outcome and code.
void print_proxy_hop(std::FILE* out, const dial::race_report& r) {
  const dial::proxy_report& p = *r.proxy;
  fmt::print(out, "  proxy {} (the attempts above are to it); {}\n", p.via.to_string(),
             proxy_target_text(p));
  const std::string_view name = p.outcome ? "Connected" : dial::name(p.outcome.error());
  const std::string outcome = out == stdout ? paint_outcome(name, 26) : fmt::format("{:<26}", name);
  const auto [code, spelled] = proxy_code(p);
  const std::string step = fmt::format("handshake: {}", dial::name(p.step));
  if (p.start == clock_type::time_point{})
    fmt::print(out, "  {:>29}  {:<28} {} {}\n", "", step, outcome, code_text(code, spelled));
  else
    fmt::print(out, "  {:+9.1f} ms .. {:+9.1f} ms  {:<28} {} {}\n", ms_since(r.began, p.start),
               ms_since(r.began, p.end), step, outcome, code_text(code, spelled));
}

// The resolver's code of a lookup answer, as the CODE column shows it.
std::string lookup_code(const dial::lookup_event& l) {
  return code_text(l.native, dial::resolver_code_name(dial::resolver_backend::c_ares, l.native));
}

}  // namespace

std::expected<dial::proxy, std::string> parse_proxy_option(std::string_view url) {
  auto p = dial::parse_proxy(url);
  if (p) return *p;
  return std::unexpected(fmt::format(
      "bad --proxy URL: {} at byte {}; the form is SCHEME://[USER[:PASSWORD]@]HOST:PORT with "
      "SCHEME socks5, socks5h or http",
      dial::name(p.error().error), p.error().offset));
}

std::pair<int, std::string_view> proxy_code(const dial::proxy_report& p) {
  if (p.native != 0) return {p.native, {}};
  if (p.reply < 0) return {0, {}};
  if (p.via.kind == dial::proxy_kind::http) return {p.reply, "HTTP"};
  if (p.step == dial::proxy_step::greeting) return {p.reply, "SOCKS5-METHOD"};
  if (p.step == dial::proxy_step::authentication) return {p.reply, "RFC1929-STATUS"};
  return {p.reply, "SOCKS5-REP"};
}

std::string proxy_target_text(const dial::proxy_report& p) {
  const std::string target = p.target_host.find(':') != std::string::npos
                                 ? fmt::format("[{}]:{}", p.target_host, p.target_port)
                                 : fmt::format("{}:{}", p.target_host, p.target_port);
  if (p.target_sent.empty() && p.target_addresses.empty()) return "target " + target;
  if (!p.target_addresses.empty() && p.target_sent != target)
    return fmt::format(
        "target {}, resolved here, sent as {}", target,
        p.target_sent.empty() ? p.target_addresses.front().to_string() : p.target_sent);
  if (dial::address::parse(p.target_sent)) return fmt::format("target {}, sent as is", target);
  return fmt::format("target {}, sent as a name (the proxy resolves it)", target);
}

void print_race(std::FILE* out, const dial::race_report& r, bool numeric) {
  if (r.proxy) numeric = is_numeric_host(r.proxy->via.host);  // the race was to the proxy
  if (!numeric)
    for (const auto& l : r.lookups)
      fmt::print(out, "  {:+9.1f} ms                  {:<4} answer: {}\n", ms_since(r.began, l.at),
                 l.family == dial::address_kind::ipv6 ? "AAAA" : "A",
                 l.outcome
                     ? fmt::format("{} address(es)", l.addresses)
                     : fmt::format("{:<42} {}", dial::name(l.outcome.error()), lookup_code(l)));
  for (const auto& a : r.attempts) {
    // Coloured only on standard output (the colour choice is made for it); dial pipe's race
    // goes to standard error, plain.
    const std::string outcome = out == stdout ? paint_outcome(a.outcome_name(), 26)
                                              : fmt::format("{:<26}", a.outcome_name());
    fmt::print(out, "  {:+9.1f} ms .. {:+9.1f} ms  {:<28} {} {}\n", ms_since(r.began, a.start),
               ms_since(r.began, a.end), a.to.to_string(), outcome, code_text(a.native));
  }
  if (r.proxy) print_proxy_hop(out, r);
}

namespace {

// The attempt a failed race's row shows: the last one whose error is the race's (its address is
// the PEER, its code the CODE), else the last attempt; none when no attempt was made.
const dial::connect_attempt* failed_attempt(const dial::connect_to_host_failure& f) {
  const auto& all = f.report.attempts;
  for (auto a = all.rbegin(); a != all.rend(); ++a)
    if (!a->outcome && a->outcome.error() == f.error) return &*a;
  return all.empty() ? nullptr : &all.back();
}

// The code to show for a failed race: the shown attempt's, when its error is the race's, else
// the lookup answer whose error it is (a resolver code, with its spelling), else none.
std::pair<int, std::string_view> failure_native(const dial::connect_to_host_failure& f,
                                                const dial::connect_attempt* shown) {
  if (shown != nullptr && !shown->outcome && shown->outcome.error() == f.error)
    return {shown->native, {}};
  for (const auto& l : f.report.lookups)
    if (!l.outcome && dial::widen<dial::connect_to_host_error>(l.outcome.error()) == f.error)
      return {l.native, dial::resolver_code_name(dial::resolver_backend::c_ares, l.native)};
  return {0, {}};
}

clock_type::time_point deadline_of(const host_probe_options& o, clock_type::time_point start) {
  return start + o.timeout.value_or(default_probe_timeout);
}

connected_target connect_host(const host_target& t, const host_probe_options& o) {
  dial::connect_to_host_options opts;
  const auto start = clock_type::now();
  opts.deadline = deadline_of(o, start);
  opts.stop = o.stop;
  opts.proxy = o.proxy;
  opts.socket = o.connect.socket;
  opts.source = o.connect.source;
  auto r = dial::connect_to_host(t.host, t.port, opts);
  const auto elapsed = clock_type::now() - start;
  if (r) {
    row ok{t.text, {true, "Connected", 0, elapsed}, {}, r->peer.to_string()};
    const auto fast_open = dial::fast_open_status(r->socket.get());
    return {std::move(ok), std::move(r->socket), std::move(r->report), r->protocol, fast_open};
  }
  const auto* shown = failed_attempt(r.error());
  auto [native, spelled] = failure_native(r.error(), shown);
  if (const auto& p = r.error().report.proxy; p && p->step > dial::proxy_step::connect)
    std::tie(native, spelled) = proxy_code(*p);  // the handshake failed: the proxy's code
  std::string peer = shown != nullptr ? shown->to.to_string() : "-";
  row failed{t.text, {false, dial::name(r.error().error), native, elapsed, spelled}, {}, peer};
  return {std::move(failed), {}, std::move(r.error().report)};
}

connected_target connect_unix(const host_target& t, const host_probe_options& o) {
  const auto a = dial::address::parse(t.text);
  if (!a) return {{t.text, {false, "UnknownForm", 0, std::nullopt}, {}, "-"}, {}, {}};
  const std::string peer = a->to_string();
  auto s = dial::open_socket(a->family(), SOCK_STREAM, o.connect.socket);
  if (!s) return {{t.text, socket_failed(s.error()), {}, peer}, {}, {}};
  owned_socket sock(*s);
  const auto refused = [&](std::string_view name) {
    return connected_target{
        {t.text, {false, name, dial::last_native_error(), std::nullopt}, {}, peer}, {}, {}};
  };
  if (auto set = dial::apply_socket_options(sock.get(), a->family(), o.connect.socket); !set)
    return refused(dial::name(set.error()));
  if (o.connect.source)
    if (auto b = dial::bind_source(sock.get(), *o.connect.source); !b)
      return refused(dial::name(b.error()));
  sockaddr_storage ss{};
  const socklen_t len = a->to_native(ss);
  const auto start = clock_type::now();
  auto r = dial::connect_until(sock.get(), reinterpret_cast<const sockaddr*>(&ss), len,
                               deadline_of(o, start), o.stop);
  const auto elapsed = clock_type::now() - start;
  if (r) {
    const auto fast_open = dial::fast_open_status(sock.get());
    const auto protocol = dial::transport_protocol(sock.get());
    return {{t.text, {true, "Connected", 0, elapsed}, {}, peer},
            std::move(sock),
            {},
            protocol,
            fast_open};
  }
  row failed{t.text, {false, dial::name(r.error()), dial::last_native_error(), elapsed}, {}, peer};
  return {std::move(failed), {}, {}};
}

// The PEER column's width, fixed before the first row: the numeric targets' own texts (their
// peer), and room for any IPv4 peer a name brings.
std::size_t peer_width(std::span<const host_target> targets) {
  std::size_t w = std::string_view("255.255.255.255:65535").size();
  for (const auto& t : targets)
    if (t.numeric || t.host.empty()) w = std::max(w, t.text.size() + 2);
  return w;
}

parse_problem duration_problem(std::size_t at, std::string message) {
  return {"InvalidDuration", at, std::move(message),
          fmt::format("as in 250us, 500ms, 1.5s or 1m (units {}; a bare number is ms)",
                      duration_units)};
}

}  // namespace

connected_target connect_target(const host_target& t, const host_probe_options& o) {
  return t.host.empty() ? connect_unix(t, o) : connect_host(t, o);
}

std::expected<host_target, parse_problem> parse_probe_target(std::string_view text) {
  auto spec = parse_target_word(text);
  if (!spec) return std::unexpected(spec.error());
  return host_target{std::string(text), spec->host, spec->port, spec->numeric};
}

std::optional<host_target> parse_host_port(std::string_view text) {
  auto t = parse_probe_target(text);
  if (!t || t->numeric || t->host.empty()) return std::nullopt;
  return *t;
}

std::expected<std::chrono::nanoseconds, parse_problem> parse_duration(std::string_view text) {
  if (text.empty()) return std::unexpected(duration_problem(0, "the duration is empty"));
  auto unit_at = text.find_first_not_of("0123456789.");
  if (unit_at == 0) return std::unexpected(duration_problem(0, "a duration starts with a number"));
  if (unit_at == std::string_view::npos) unit_at = text.size();  // a bare number: milliseconds
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + unit_at, value);
  if (ec != std::errc{} || end != text.data() + unit_at)
    return std::unexpected(
        duration_problem(static_cast<std::size_t>(end - text.data()), "malformed number"));
  const std::string_view unit = text.substr(unit_at);
  double scale = 0;
  if (unit == "us") scale = 1e3;
  if (unit == "ms" || unit.empty()) scale = 1e6;
  if (unit == "s") scale = 1e9;
  if (unit == "m") scale = 60e9;
  if (scale == 0) return std::unexpected(duration_problem(unit_at, "unknown unit"));
  const double ns = value * scale;
  if (ns < 1) {  // zero would fail every connect before it starts
    auto p = duration_problem(0, "the duration is zero");
    p.hint = "a timeout must be > 0";
    return std::unexpected(p);
  }
  if (ns > 1e18) return std::unexpected(duration_problem(0, "the duration is over 31 years"));
  return std::chrono::nanoseconds(static_cast<long long>(ns));
}

int probe_hosts(std::span<const host_target> targets, const host_probe_options& o) {
  std::vector<std::string> texts;
  for (const auto& t : targets) texts.push_back(t.text);
  const table tab(texts, false, peer_width(targets));
  tab.header();
  bool all_connected = true;
  for (const auto& t : targets) {
    if (o.stop.stop_requested()) break;   // Ctrl-C: the target it interrupted has its row
    const auto c = connect_target(t, o);  // the socket is closed at the end of the iteration
    all_connected = all_connected && c.result.result.connected;
    tab.print(c.result);
    if (o.verbose) print_race(stdout, c.report, t.numeric);
    if (o.verbose) print_connection(stdout, o.connect, c);
  }
  return all_connected ? 0 : 1;
}

std::string_view fast_open_meaning(dial::fast_open_state s) {
  switch (s) {
    case dial::fast_open_state::deferred:
      return "a cookie is cached for this address: connect returned at once and no packet has "
             "been sent; the SYN leaves with the first bytes written (the peer is not known to "
             "be there yet)";
    case dial::fast_open_state::data_accepted:
      return "the SYN carried data and the peer acknowledged it";
    case dial::fast_open_state::not_used: break;
  }
  return "a plain handshake (no cookie cached yet: this one asked for it; or the peer, the "
         "socket or the system does no Fast Open)";
}

void print_connection(std::FILE* out, const connect_flags& f, const connected_target& c) {
  if (f.empty()) return;
  fmt::print(out, "  options   {}\n", options_text(f));
  if (!c.result.result.connected) return;
  if (f.socket.multipath)
    fmt::print(out, "  protocol  {}{}\n", dial::name(c.protocol),
               c.protocol == dial::transport::tcp
                   ? " (MPTCP asked for: this kernel or the peer does not speak it)"
                   : "");
  if (f.socket.fast_open)
    fmt::print(out, "  fastopen  {}: {}\n", dial::name(c.fast_open),
               fast_open_meaning(c.fast_open));
}

}  // namespace dial::cli
