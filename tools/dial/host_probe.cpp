// tools/dial/host_probe.cpp: probing HOST:PORT targets with connect_to_host, `-v` race output.
#include "host_probe.hpp"

#include <charconv>
#include <vector>

#include <fmt/core.h>

#include "dial/dialer.hpp"
#include "platform.hpp"
#include "report.hpp"
#include "targets.hpp"

namespace dial::cli {
namespace {

using clock_type = dial::deadline_clock;

double ms_since(clock_type::time_point origin, clock_type::time_point t) {
  return std::chrono::duration<double, std::milli>(t - origin).count();
}

// The resolver's code of a lookup answer, as the CODE column shows it.
std::string lookup_code(const dial::lookup_event& l) {
  return code_text(l.native, dial::resolver_code_name(dial::resolver_backend::c_ares, l.native));
}

void print_race(const dial::race_report& r) {
  for (const auto& l : r.lookups)
    fmt::print("  {:+9.1f} ms                  {:<4} answer: {}\n", ms_since(r.began, l.at),
               l.family == dial::address_kind::ipv6 ? "AAAA" : "A",
               l.outcome ? fmt::format("{} address(es)", l.addresses)
                         : fmt::format("{:<42} {}", dial::name(l.outcome.error()), lookup_code(l)));
  for (const auto& a : r.attempts)
    fmt::print("  {:+9.1f} ms .. {:+9.1f} ms  {:<28} {:<26} {}\n", ms_since(r.began, a.start),
               ms_since(r.began, a.end), a.to.to_string(), a.outcome_name(), code_text(a.native));
}

// The code to show for a failed race: the attempt whose error is the race's, else the lookup
// answer whose error it is (a resolver code, with its spelling), else none.
std::pair<int, std::string_view> failure_native(const dial::connect_to_host_failure& f) {
  for (const auto& a : f.report.attempts)
    if (!a.outcome && a.outcome.error() == f.error) return {a.native, {}};
  for (const auto& l : f.report.lookups)
    if (!l.outcome && dial::widen<dial::connect_to_host_error>(l.outcome.error()) == f.error)
      return {l.native, dial::resolver_code_name(dial::resolver_backend::c_ares, l.native)};
  return {0, {}};
}

outcome probe_host(const host_target& t, const host_probe_options& o, dial::race_report& report) {
  dial::connect_to_host_options opts;
  const auto start = clock_type::now();
  if (o.timeout) opts.deadline = start + *o.timeout;
  auto r = dial::connect_to_host(t.host, t.port, opts);
  const auto elapsed = clock_type::now() - start;
  if (r) {
    report = std::move(r->report);
    return {true, "Connected", 0, elapsed};
  }
  const auto [native, spelled] = failure_native(r.error());
  report = std::move(r.error().report);
  return {false, dial::name(r.error().error), native, elapsed, spelled};
}

outcome probe_unix(const host_target& t, const host_probe_options& o) {
  const auto a = dial::address::parse(t.text);
  if (!a) return {false, "UnknownForm", 0, std::nullopt};
  auto s = dial::socket(a->family(), SOCK_STREAM, 0);
  if (!s) return socket_failed(s.error());
  const owned_socket sock(*s);
  sockaddr_storage ss{};
  const socklen_t len = a->to_native(ss);
  const auto start = clock_type::now();
  const auto deadline = o.timeout ? start + *o.timeout : clock_type::time_point::max();
  auto r = dial::connect_until(sock.get(), reinterpret_cast<const sockaddr*>(&ss), len, deadline);
  const auto elapsed = clock_type::now() - start;
  if (r) return {true, "Connected", 0, elapsed};
  return {false, dial::name(r.error()), dial::last_native_error(), elapsed};
}

bool is_host_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_';
}

}  // namespace

std::optional<host_target> parse_host_port(std::string_view text) {
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return std::nullopt;
  const std::string_view host = text.substr(0, colon), port = text.substr(colon + 1);
  for (char c : host)
    if (!is_host_char(c)) return std::nullopt;
  if (host.find_first_not_of("0123456789.") == std::string_view::npos) return std::nullopt;
  const auto value = parse_port(port);
  if (!value) return std::nullopt;
  return host_target{std::string(text), std::string(host), *value};
}

std::optional<std::chrono::nanoseconds> parse_duration(std::string_view text) {
  auto unit_at = text.find_first_not_of("0123456789.");
  if (unit_at == 0 || text.empty()) return std::nullopt;
  if (unit_at == std::string_view::npos) unit_at = text.size();  // a bare number: milliseconds
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + unit_at, value);
  if (ec != std::errc{} || end != text.data() + unit_at) return std::nullopt;
  const std::string_view unit = text.substr(unit_at);
  double scale = 0;
  if (unit == "us") scale = 1e3;
  if (unit == "ms" || unit.empty()) scale = 1e6;
  if (unit == "s") scale = 1e9;
  if (unit == "m") scale = 60e9;
  const double ns = value * scale;
  if (scale == 0 || ns < 1 || ns > 1e18) return std::nullopt;  // zero would fail everything
  return std::chrono::nanoseconds(static_cast<long long>(ns));
}

int probe_hosts(std::span<const host_target> targets, const host_probe_options& o) {
  std::vector<std::string> texts;
  for (const auto& t : targets) texts.push_back(t.text);
  const table tab(texts, false);
  tab.header();
  bool all_connected = true;
  for (const auto& t : targets) {
    dial::race_report report;
    const outcome out = t.host.empty() ? probe_unix(t, o) : probe_host(t, o, report);
    all_connected = all_connected && out.connected;
    tab.print({t.text, out, {}});
    if (o.verbose) print_race(report);
  }
  return all_connected ? 0 : 1;
}

}  // namespace dial::cli
