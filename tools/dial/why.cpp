// tools/dial/why.cpp: `dial why TARGET`: the resolution, the route to each address, the attempt,
// and what the outcome means, step by step (or as one JSON object).
#include "why.hpp"

#include "platform.hpp"  // first: <winsock2.h> on Windows

#include <cstdio>
#include <fstream>
#include <vector>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "color.hpp"
#include "connect_flags.hpp"
#include "dial/dialer.hpp"
#include "dial/lookup.hpp"
#include "endpoint.hpp"
#include "host_probe.hpp"
#include "report.hpp"

namespace dial::cli {
namespace {

using clock_type = dial::deadline_clock;
using json = nlohmann::ordered_json;

constexpr int exit_ok = 0, exit_failed = 1, exit_usage = 2;

constexpr std::string_view why_help =
    R"(Usage: dial why TARGET [--timeout DURATION] [--proxy URL] [--json] [connect options]

Why can't this host connect? Each step, in order:
  resolution  which source answered (numeric, the hosts file, or the DNS servers of
              /etc/resolv.conf), each family's answer (AAAA, A) and its time, or the
              resolver's own code (ARES_ENOTFOUND, ...)
  route       for each address, the route the kernel would take (interface, source
              address, gateway, and the route entry), or the unreachable, prohibit or
              blackhole route that refuses it (read through rtnetlink)
  options     with connect options: each one set on the attempt's socket (the one the
              kernel refuses is named: UnknownInterface, PermissionDenied, ...), the
              source bound, and afterwards the protocol (--mptcp) and what Fast
              Open did (--fastopen)
  attempt     a connect to that address: its outcome (a name of dial's closed set),
              the native code and the time
  meaning     what the outcome means here, and what to do about it

TARGET is HOST:PORT (a name, a.b.c.d or [v6addr]), or unix:/path or unix:@name.

With --proxy, the resolution, route and attempt steps are the proxy's own (its host and
port), and one more step follows:
  proxy hop   the target as sent (an address resolved here for socks5://, a name for
              socks5h:// and http://), the handshake's outcome and the proxy's own
              code (SOCKS5-REP, SOCKS5-METHOD, RFC1929-STATUS, HTTP), what it means

Options:
  --timeout DURATION  limit for the lookup and for each attempt (default 10s;
                      units us, ms, s, m; a bare number is milliseconds)
  --proxy URL         reach TARGET through a proxy: socks5://, socks5h:// or http://,
                      [USER:PASSWORD@]HOST:PORT (as for `dial --proxy`; the password
                      is never printed)
  --json              print the same as one JSON object
  --color[=WHEN]      colour the attempts' outcomes: auto (on a terminal), always or never
)";

constexpr std::string_view why_help_tail = R"(  -h, --help          show this help and exit

With --source, only the addresses of its family are tried, as `dial TARGET` does.

Exit status: 0 an address connected, 1 none did, 2 usage error.
)";

double ms(std::chrono::nanoseconds d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

std::string family_word(address_kind k) { return k == address_kind::ipv6 ? "AAAA" : "A"; }

// The name servers c-ares will ask: /etc/resolv.conf's nameserver lines, port 53.
std::vector<std::string> resolv_conf_servers() {
  std::vector<std::string> out;
  std::ifstream f("/etc/resolv.conf");
  std::string line;
  for (int n = 0; n < 1000 && std::getline(f, line); ++n) {
    if (!line.starts_with("nameserver")) continue;
    const auto b = line.find_first_not_of(" \t", 10);
    if (b == std::string::npos) continue;
    const std::string server = line.substr(b, line.find_first_of(" \t#", b) - b);
    out.push_back(server.find(':') != std::string::npos ? fmt::format("[{}]:53", server)
                                                        : fmt::format("{}:53", server));
  }
  return out;
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

/// The resolution step.
struct resolution {
  std::string host;
  std::string source;  ///< "numeric", "hosts file /etc/hosts", "DNS"
  std::vector<std::string> servers;
  struct answer {
    address_kind family;
    std::vector<address> addresses;
    std::string outcome;  ///< "ok" or the name
    int native = 0;
    std::chrono::nanoseconds time{};
  };
  std::vector<answer> answers;
  std::string error;  ///< the lookup's overall name when it gave no address
  int native = 0;
};

// Drives one name_lookup with dial::poll until both answers are in or the deadline passes.
resolution resolve_step(const std::string& host, std::uint16_t port,
                        clock_type::time_point deadline) {
  resolution r;
  r.host = host;
  const resolve_options opts;
  const auto start = clock_type::now();
  auto lookup = name_lookup::start(host, port, opts);
  if (!lookup) {
    r.error = std::string(dial::name(lookup.error()));
    r.native = last_native_error();
    return r;
  }
  const auto numeric =
      address::parse(host.find(':') != std::string::npos ? "[" + host + "]:1" : host + ":1");
  if (lookup->answered_at_once())
    r.source = numeric ? "numeric" : fmt::format("hosts file {}", opts.hosts_file);
  else {
    r.source = "DNS";
    r.servers = resolv_conf_servers();
  }
  const auto take = [&] {
    for (auto& a : lookup->take_answers()) {
      resolution::answer x{a.family, {}, "ok", a.native, clock_type::now() - start};
      if (a.result)
        x.addresses = std::move(*a.result);
      else
        x.outcome = std::string(dial::name(a.result.error()));
      r.answers.push_back(std::move(x));
    }
  };
  take();
  std::vector<lookup_watch> watch;
  std::vector<poll_fd> fds;
  // Bounded by the deadline; each round waits for a descriptor or the resolver's next timer.
  while (!lookup->finished()) {
    const auto now = clock_type::now();
    if (now >= deadline) {
      r.error = "Timeout";
      break;
    }
    watch.clear();
    lookup->wait_set(watch);
    fds.clear();
    for (const auto& w : watch)
      fds.push_back(
          {w.fd, static_cast<short>((w.read ? poll_in : 0) | (w.write ? poll_out : 0)), 0});
    const auto until = std::min(deadline, lookup->wake_at());
    const auto wait = std::chrono::ceil<std::chrono::milliseconds>(until - now).count();
    (void)dial::poll(fds, static_cast<int>(std::clamp<long long>(wait, 0, 1000)));
    for (const auto& f : fds)
      if (f.revents != 0)
        lookup->on_ready(f.fd, (f.revents & (poll_in | poll_err | poll_hup)) != 0,
                         (f.revents & poll_out) != 0);
    lookup->on_tick();
    take();
  }
  bool any = false;
  for (const auto& a : r.answers) any = any || !a.addresses.empty();
  if (!any && r.error.empty()) {
    // The more telling of the two families' errors, as dial::resolve picks it.
    for (const auto& a : r.answers)
      if (a.outcome == "UnknownHostName") r.error = a.outcome, r.native = a.native;
    for (const auto& a : r.answers)
      if (r.error.empty() && a.outcome != "HostLacksNetworkAddresses")
        r.error = a.outcome, r.native = a.native;
    if (r.error.empty()) r.error = "HostLacksNetworkAddresses";
  }
  return r;
}

/// The route question the attempt's socket asks: its --interface, --mark and --source.
route_query route_of(const connect_flags& flags) {
  route_query q;
  q.interface = flags.socket.interface_name;
  q.mark = flags.socket.mark;
  q.source = flags.source;
  return q;
}

/// One address: its route, the attempt and what it means.
struct address_step {
  address to;
  std::optional<route_answer> route;
  std::string route_unavailable;
  outcome attempt;
  explanation meaning;
  std::string refused;  ///< the connect option (or "source ...") refused, if one was
  dial::transport protocol = dial::transport::tcp;
  dial::fast_open_state fast_open = dial::fast_open_state::not_used;
};

// The connect options one at a time (to name the one refused), the source, then the connect.
void attempt(address_step& step, const connect_flags& f, std::chrono::nanoseconds timeout) {
  const address& to = step.to;
  auto s = dial::open_socket(to.family(), SOCK_STREAM, f.socket);
  if (!s) return static_cast<void>(step.attempt = socket_failed(s.error()));
  const owned_socket sock(*s);
  const auto refused = [&](std::string what, std::string_view name) {
    step.refused = std::move(what);
    step.attempt = {false, name, dial::last_native_error(), std::nullopt};
  };
  for (const auto& [label, one] : each_option(f.socket))
    if (auto r = dial::apply_socket_options(sock.get(), to.family(), one); !r)
      return refused(label, dial::name(r.error()));
  if (f.source)
    if (auto b = dial::bind_source(sock.get(), *f.source); !b)
      return refused(fmt::format("source {}", f.source->to_string()), dial::name(b.error()));
  sockaddr_storage ss{};
  const socklen_t len = to.to_native(ss);
  const auto start = clock_type::now();
  auto r =
      dial::connect_until(sock.get(), reinterpret_cast<const sockaddr*>(&ss), len, start + timeout);
  const auto elapsed = clock_type::now() - start;
  if (!r)
    return static_cast<void>(
        step.attempt = {false, dial::name(r.error()), dial::last_native_error(), elapsed});
  step.attempt = {true, "Connected", 0, elapsed};
  step.protocol = dial::transport_protocol(sock.get());
  step.fast_open = dial::fast_open_status(sock.get());
}

// Whether `to` is of the source's family (all are without --source).
bool source_family(const connect_flags& f, const address& to) {
  return !f.source || f.source->kind() == to.kind();
}

std::string resolver_code(int native) {
  return code_text(native, dial::resolver_code_name(dial::resolver_backend::c_ares, native));
}

json route_json(const address_step& s) {
  if (!s.route) return json{{"unavailable", s.route_unavailable}};
  const route_answer& r = *s.route;
  const auto opt = [](const std::string& v) { return v.empty() ? json(nullptr) : json(v); };
  return json{{"type", r.type},          {"interface", opt(r.interface)},
              {"source", opt(r.source)}, {"gateway", opt(r.gateway)},
              {"prefix", opt(r.prefix)}, {"table", opt(r.table)},
              {"error", r.error},        {"asked", opt(r.asked)},
              {"note", opt(r.note)},     {"text", route_text(r)}};
}

std::string hop_time(const dial::proxy_report& h) {
  if (h.start == clock_type::time_point{}) return "-";
  return time_text(h.end - h.start);
}

void print_hop(const dial::proxy& p, const std::optional<dial::proxy_report>& hop,
               const std::optional<explanation>& meaning) {
  if (!hop) {
    fmt::print("proxy hop   not tried: no address of the proxy {} connected\n", p.to_string());
    return;
  }
  fmt::print("proxy hop   {}\n", proxy_target_text(*hop));
  const auto [code, spelled] = proxy_code(*hop);
  const std::string_view n = hop->outcome ? "Connected" : dial::name(hop->outcome.error());
  fmt::print("  {:<9} {}  {}  {}\n", dial::name(hop->step), paint_outcome(n),
             code_text(code, spelled), hop_time(*hop));
  if (!hop->reply_text.empty()) fmt::print("  reply     {} {}\n", hop->reply, hop->reply_text);
  if (!hop->bound.empty())
    fmt::print("  bound     {} (the proxy's side of the tunnel)\n", hop->bound);
  fmt::print("  means     {}\n", meaning->meaning);
  fmt::print("  to do     {}\n", meaning->advice);
}

json proxy_json(const dial::proxy& p, const std::optional<dial::proxy_report>& hop,
                const std::optional<explanation>& meaning) {
  json j = {{"url", p.to_string()}, {"kind", std::string(dial::scheme(p.kind))}};
  if (!hop) {
    j["hop"] = nullptr;
    return j;
  }
  json resolved = json::array();
  for (const auto& a : hop->target_addresses) resolved.push_back(a.to_string());
  const auto [code, spelled] = proxy_code(*hop);
  j["hop"] = {
      {"target", fmt::format("{}:{}", hop->target_host, hop->target_port)},
      {"target_sent", hop->target_sent.empty() ? json(nullptr) : json(hop->target_sent)},
      {"resolved_here", resolved},
      {"step", std::string(dial::name(hop->step))},
      {"outcome", std::string(hop->outcome ? "Connected" : dial::name(hop->outcome.error()))},
      {"reply", hop->reply < 0 ? json(nullptr) : json(hop->reply)},
      {"reply_text", hop->reply_text},
      {"code", code},
      {"code_text", code_text(code, spelled)},
      {"bound", hop->bound.empty() ? json(nullptr) : json(hop->bound)},
      {"time_us", hop->start == clock_type::time_point{} ? 0.0 : ms(hop->end - hop->start) * 1e3},
      {"meaning", meaning->meaning},
      {"advice", meaning->advice}};
  return j;
}

}  // namespace

int why_main(std::span<char* const> args) {
  std::optional<std::string_view> target;
  std::chrono::nanoseconds timeout = std::chrono::seconds(10);
  bool as_json = false;
  std::optional<dial::proxy> proxy;
  connect_flags flags;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view a = args[i];
    if (a == "-h" || a == "--help") {
      fmt::print("{}{}{}", why_help, connect_flags_help, why_help_tail);
      return exit_ok;
    }
    if (auto flag = take_connect_flag(flags, args, i); !flag) {
      fmt::print(stderr, "dial why: {}\nTry 'dial why --help'.\n", flag.error());
      return exit_usage;
    } else if (*flag) {
      continue;
    }
    if (a == "--json") {
      as_json = true;
    } else if (a == "--proxy" || a.starts_with("--proxy=")) {
      if (a == "--proxy" && i + 1 == args.size()) {
        fmt::print(stderr, "dial why: --proxy needs a URL\n");
        return exit_usage;
      }
      auto p = parse_proxy_option(a == "--proxy" ? std::string_view(args[++i]) : a.substr(8));
      if (!p) {
        fmt::print(stderr, "dial why: {}\n", p.error());
        return exit_usage;
      }
      proxy = std::move(*p);
    } else if (a == "--timeout" || a.starts_with("--timeout=")) {
      if (a == "--timeout" && i + 1 == args.size()) {
        fmt::print(stderr, "dial why: --timeout needs a duration\n");
        return exit_usage;
      }
      const std::string_view v = a == "--timeout" ? std::string_view(args[++i]) : a.substr(10);
      const auto d = parse_duration(v);
      if (!d) {
        fmt::print(stderr, "dial why: bad duration '{}' (500ms, 2s, 1m; a timeout must be > 0)\n",
                   v);
        return exit_usage;
      }
      timeout = *d;
    } else if (a.size() > 1 && a.front() == '-') {
      fmt::print(stderr, "dial why: unknown option '{}'\nTry 'dial why --help'.\n", a);
      return exit_usage;
    } else if (target) {
      fmt::print(stderr, "dial why: one target at a time ('{}' and '{}')\n", *target, a);
      return exit_usage;
    } else {
      target = a;
    }
  }
  if (!target) {
    fmt::print(stderr, "dial why: no target given\nTry 'dial why --help'.\n");
    return exit_usage;
  }
  // The target: unix:..., a numeric IP endpoint, or HOST:PORT.
  std::optional<resolution> res;
  std::vector<address> addresses;
  const auto e = parse_endpoint(*target);
  std::string host;
  std::uint16_t port = 0;
  if (e && e->value.is_unix() && proxy) {
    fmt::print(stderr, "dial why: --proxy: a Unix target cannot go through a proxy\n");
    return exit_usage;
  }
  if (e && e->value.is_unix()) {
    addresses.push_back(e->value);
  } else {
    if (e) {
      const std::string t = e->value.to_string();
      host = e->value.family() == AF_INET6 ? e->value.to_string().substr(1, t.rfind(']') - 1)
                                           : t.substr(0, t.rfind(':'));
      port = e->value.port();
    } else if (const auto h = parse_host_port(*target)) {
      host = h->host;
      port = h->port;
    } else {
      fmt::print(stderr, "dial why: bad target '{}': {}\n", *target,
                 e.error().empty() ? "expected HOST:PORT" : e.error());
      fmt::print(stderr, "dial why: targets are HOST:PORT, {}\n", endpoint_forms);
      return exit_usage;
    }
    // Through a proxy, the steps up to the attempt are the proxy's own.
    res = proxy ? resolve_step(proxy->host, proxy->port, clock_type::now() + timeout)
                : resolve_step(host, port, clock_type::now() + timeout);
    for (const auto& a : res->answers)
      for (const auto& x : a.addresses) addresses.push_back(x);
    sort_destinations(addresses);
  }
  std::vector<address_step> steps;
  bool connected = false;
  std::size_t other_family = 0;                        // addresses --source's family leaves out
  const route_query route_question = route_of(flags);  // the same for every address
  for (const auto& to : addresses) {
    if (to.is_ip() && !source_family(flags, to)) {
      ++other_family;
      continue;
    }
    address_step s{to, std::nullopt, {}, {}, {}, {}, {}, {}};
    if (to.is_ip()) s.route = route_to(to, route_question, s.route_unavailable);
    attempt(s, flags, timeout);
    s.meaning = s.refused.empty() ? explain(s.attempt.name, s.attempt.native, s.attempt.elapsed,
                                            s.route ? &*s.route : nullptr, to)
                                  : explain_refusal(s.attempt.name, s.attempt.native, s.refused);
    if (s.attempt.connected && flags.socket.fast_open &&
        s.fast_open == dial::fast_open_state::deferred)
      s.meaning = {std::string(fast_open_meaning(s.fast_open)),
                   "write to it to know: the first bytes sent make the handshake"};
    connected = connected || s.attempt.connected;
    steps.push_back(std::move(s));
  }
  // The proxy hop, once the proxy itself can be reached: the same connect the probe makes.
  std::optional<dial::proxy_report> hop;
  std::optional<explanation> hop_meaning;
  if (proxy && connected) {
    dial::connect_to_host_options o;
    o.proxy = proxy;
    o.socket = flags.socket;  // the connect options again, on the hop's socket
    o.source = flags.source;
    o.deadline = clock_type::now() + timeout;
    auto r = dial::connect_to_host(host, port, o);
    connected = bool(r);
    hop = r ? r->report.proxy : r.error().report.proxy;
    const std::string_view n = r ? "Connected" : dial::name(r.error().error);
    hop_meaning = hop->step == dial::proxy_step::resolve_target && n != "InvalidHostName"
                      ? explain_resolution(n, host, {})
                      : explain_proxy(n, *hop);
  }
  std::optional<explanation> resolution_meaning;
  if (res && !res->error.empty())
    resolution_meaning = explain_resolution(res->error, res->host, join(res->servers));

  if (as_json) {
    json j = {{"target", std::string(*target)}};
    if (!flags.empty()) j["options"] = options_text(flags);
    if (res) {
      json answers = json::array();
      for (const auto& a : res->answers) {
        json addrs = json::array();
        for (const auto& x : a.addresses) addrs.push_back(x.to_string());
        const char* code = a.native != 0 ? nullptr : nullptr;
        (void)code;
        answers.push_back({{"family", family_word(a.family)},
                           {"outcome", a.outcome},
                           {"addresses", addrs},
                           {"code", a.native},
                           {"code_name", std::string(dial::resolver_code_name(
                                             dial::resolver_backend::c_ares, a.native))},
                           {"time_us", ms(a.time) * 1e3}});
      }
      j["resolution"] = {{"host", res->host},
                         {"source", res->source},
                         {"servers", res->servers},
                         {"answers", answers},
                         {"error", res->error.empty() ? json(nullptr) : json(res->error)}};
      if (resolution_meaning)
        j["resolution"]["meaning"] = resolution_meaning->meaning,
        j["resolution"]["advice"] = resolution_meaning->advice;
    } else {
      j["resolution"] = nullptr;
    }
    json addrs = json::array();
    for (const auto& s : steps)
      addrs.push_back({{"address", s.to.to_string()},
                       {"route", s.to.is_ip() ? route_json(s) : json(nullptr)},
                       {"attempt",
                        {{"outcome", std::string(s.attempt.name)},
                         {"code", s.attempt.native},
                         {"code_text", code_text(s.attempt.native)},
                         {"time_us", s.attempt.elapsed ? ms(*s.attempt.elapsed) * 1e3 : 0.0}}},
                       {"refused_option", s.refused.empty() ? json(nullptr) : json(s.refused)},
                       {"protocol", s.attempt.connected ? json(std::string(dial::name(s.protocol)))
                                                        : json(nullptr)},
                       {"fast_open", s.attempt.connected && flags.socket.fast_open
                                         ? json(std::string(dial::name(s.fast_open)))
                                         : json(nullptr)},
                       {"meaning", s.meaning.meaning},
                       {"advice", s.meaning.advice}});
    j["addresses"] = addrs;
    if (proxy) j["proxy"] = proxy_json(*proxy, hop, hop_meaning);
    j["other_family_skipped"] = other_family;
    j["connected"] = connected;
    fmt::print("{}\n", j.dump(2));
    std::fflush(stdout);
    return connected ? exit_ok : exit_failed;
  }

  fmt::print("dial why {}\n", *target);
  if (proxy)
    fmt::print("proxy       {}: the steps below reach the proxy, then ask it for {}\n",
               proxy->to_string(), *target);
  if (!flags.empty()) fmt::print("options     {}\n", options_text(flags));
  if (res) {
    if (res->source == "numeric")
      fmt::print("resolution  {} is a numeric address: nothing to look up\n", res->host);
    else if (res->source == "DNS")
      fmt::print("resolution  {}: asked {}\n", res->host,
                 res->servers.empty()
                     ? std::string("the system's name servers")
                     : fmt::format("DNS server {} (/etc/resolv.conf)", join(res->servers)));
    else
      fmt::print("resolution  {}: answered from the {}\n", res->host, res->source);
    if (res->source != "numeric")
      for (const auto& a : res->answers) {
        std::string list;
        for (const auto& x : a.addresses) {
          const std::string t = x.to_string();
          list += (list.empty() ? "" : ", ") + t.substr(0, t.rfind(':'));
        }
        fmt::print(
            "  {:<4}      {}  {}\n", family_word(a.family),
            a.addresses.empty() ? fmt::format("{} {}", a.outcome, resolver_code(a.native)) : list,
            time_text(a.time));
      }
    if (resolution_meaning) {
      fmt::print("  means     {}\n", resolution_meaning->meaning);
      fmt::print("  to do     {}\n", resolution_meaning->advice);
    }
  }
  for (const auto& s : steps) {
    fmt::print("address     {}{}\n", s.to.to_string(), proxy ? " (the proxy)" : "");
    if (s.to.is_ip())
      fmt::print("  route     {}\n",
                 s.route ? route_text(*s.route) : fmt::format("unknown ({})", s.route_unavailable));
    if (!s.refused.empty()) fmt::print("  refused   {}\n", s.refused);
    fmt::print("  attempt   {}  {}  {}\n", paint_outcome(s.attempt.name),
               code_text(s.attempt.native), time_text(s.attempt.elapsed));
    if (s.attempt.connected && flags.socket.multipath)
      fmt::print("  protocol  {}{}\n", dial::name(s.protocol),
                 s.protocol == dial::transport::mptcp
                     ? " (the peer agreed to Multipath TCP)"
                     : " (MPTCP asked for: this kernel or the peer does not speak it)");
    if (s.attempt.connected && flags.socket.fast_open)
      fmt::print("  fastopen  {}\n", dial::name(s.fast_open));
    fmt::print("  means     {}\n", s.meaning.meaning);
    fmt::print("  to do     {}\n", s.meaning.advice);
  }
  if (proxy) print_hop(*proxy, hop, hop_meaning);
  if (proxy && hop) {
    const auto [code, spelled] = proxy_code(*hop);
    if (connected)
      fmt::print("verdict     connects: {} through {}\n", *target, proxy->to_string());
    else
      fmt::print("verdict     cannot connect: through {}: {} {} {}\n", proxy->to_string(), *target,
                 dial::name(hop->outcome.error()), code_text(code, spelled));
  } else if (proxy && !steps.empty()) {
    std::string names;
    for (const auto& s : steps)
      names += fmt::format("{}{} {}", names.empty() ? "" : "; ", s.to.to_string(), s.attempt.name);
    fmt::print("verdict     cannot connect: the proxy {} cannot be reached: {}\n",
               proxy->to_string(), names);
  } else if (connected) {
    for (const auto& s : steps)
      if (s.attempt.connected) {
        fmt::print("verdict     connects: {} accepted the connection\n", s.to.to_string());
        break;
      }
  } else if (steps.empty() && other_family > 0) {
    fmt::print(
        "verdict     cannot connect: AddressFamilyNotSupported: no address of {} is of "
        "the family of --source {}\n",
        host, flags.source->to_string());
  } else if (steps.empty()) {
    fmt::print("verdict     cannot connect: the name has no address ({})\n",
               res ? res->error : std::string("?"));
  } else {
    std::string names;
    for (const auto& s : steps)
      names += fmt::format("{}{} {}", names.empty() ? "" : "; ", s.to.to_string(), s.attempt.name);
    fmt::print("verdict     cannot connect: {}\n", names);
  }
  std::fflush(stdout);
  if (std::ferror(stdout) != 0) return exit_failed;
  return connected ? exit_ok : exit_failed;
}

}  // namespace dial::cli
