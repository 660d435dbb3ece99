// tools/dial/main.cpp: the `dial` command line: `dial TARGET...`, `dial scan`, `dial demo`, ...
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <expected>
#include <new>
#include <optional>
#include <span>
#include <stop_token>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <fmt/core.h>

#include "color.hpp"
#include "connect_flags.hpp"
#include "demo.hpp"
#include "dial/version.hpp"
#include "endpoint.hpp"
#include "fault.hpp"
#include "host_probe.hpp"
#include "pipe.hpp"
#include "progress.hpp"
#include "report.hpp"
#include "scan.hpp"
#include "why.hpp"

namespace {

/// Exit statuses, as --help states them.
constexpr int exit_ok = 0;
constexpr int exit_failed = 1;
constexpr int exit_usage = 2;
constexpr int exit_interrupted = 130;  // 128 + SIGINT, as shells report it

constexpr std::string_view usage_text =
    R"(Usage: dial TARGET...                connect to each TARGET in turn
       dial scan TARGET... | HOST... -p PORTS | -i FILE
                                    many connects at once (dial scan --help)
       dial why TARGET [--json]     why can't it connect? every step explained
                                    (dial why --help)
       dial pipe TARGET             relay stdin to TARGET, TARGET to stdout (the nc
                                    use; dial pipe --help)
       dial fault RULE... -- COMMAND
                                    run COMMAND with chosen connects refused,
                                    dropped, delayed or failed (dial fault --help)
       dial demo                    every outcome, from built-in fixtures
       dial help | -h | --help | --version
)";

constexpr std::string_view help_text = R"(
Connect to each TARGET in turn and print what happened, one line per target: the target,
the peer (the address connected to; for a failure, the address whose failure is shown), the
outcome (Connected, or the error's name from dial's closed set, such as ConnectionRefused or
FileNotFound), the raw OS code behind it (errno name and number) and how long it took.

Targets (the same grammar as `dial scan TARGET`):
  HOST:PORT               a host name, resolved (c-ares; /etc/hosts honoured) and
                          connected with Happy Eyeballs v2 (RFC 8305): IPv6 and IPv4
                          addresses raced 250 ms apart, first to connect wins
  a.b.c.d:PORT            IPv4, as in 127.0.0.1:8080
  [v6addr]:PORT           IPv6, as in [::1]:22 (IPv6 needs the brackets)
  [v6addr%scope]:PORT     link-local IPv6; scope is an interface name or index
  unix:/path              Unix stream socket (a relative path works too)
  unix:@name              Linux abstract Unix socket
PORT is 1-65535, decimal, without leading zeros.

Commands:
  scan        connect to many targets at once through dial's engine and list the open
              ones and every one that neither connected nor was refused (dial scan --help)
  why         explain why one target cannot be connected to: its resolution, the route
              to each address, the attempt, what the outcome means (dial why --help)
  pipe        connect to one target (the same race), then relay standard input to it and
              it to standard output until both directions end, like `nc -N`; splice(2)
              where one end is a pipe (dial pipe --help)
  fault       run a command whose connects to chosen destinations are refused, dropped,
              delayed or fail with a chosen errno, without root (seccomp; dial fault --help)
  demo        set up loopback and (not on Windows) Unix-socket fixtures in this process (a
              listener, a closed port, a missing and a stale socket path, a full
              backlog, a non-blocking connect, a peer reset, ...), connect to
              each, print one line per fixture and remove them all again
              (also when interrupted by SIGINT, SIGTERM or SIGHUP); takes no options
  help        show this help and exit

Options:
  -v, --verbose       print the race under each target: every DNS answer (a numeric
                      host has none) and every attempt (address, start and end
                      offsets, outcome)
  --timeout DURATION  give up on each target after DURATION, resolution and every
                      attempt included; the outcome is Timeout. Default 10s (Unix
                      sockets too: a listener whose backlog is full never answers).
                      DURATION is a number and a unit: us, ms, s or m (250us, 500ms,
                      1.5s, 1m); a bare number is milliseconds; it must be > 0
  --proxy URL         reach every HOST:PORT target through a proxy: socks5://HOST:PORT
                      (SOCKS5, the target's name resolved here), socks5h://HOST:PORT
                      (SOCKS5, the proxy resolves it) or http://HOST:PORT (HTTP
                      CONNECT), each with optional USER:PASSWORD@ before the host.
                      The race is to the proxy's addresses (PEER is the proxy), then
                      the handshake, within the same --timeout; a refusal by the proxy
                      is a name too (ProxyAuthenticationFailed, ProxyFailure, ...) with
                      the proxy's code (SOCKS5-REP (5), HTTP (403)). -v shows the hop;
                      the password is never printed. Unix targets cannot use it
  --color[=WHEN]      colour the outcome names: green Connected, yellow Timeout and
                      ConnectionTimedOut, red the other errors. WHEN is auto (the
                      default: only when standard output is a terminal, NO_COLOR is
                      unset or empty and TERM is not dumb), always (--color alone) or
                      never. Every command takes it
)";

// After the connect flags (connect_flags_help), which `dial why` and `dial pipe` share.
constexpr std::string_view help_tail = R"(  -h, --help  show this help and exit
  --version   show dial's version and exit
  --          end of options: every later argument is a target

Ctrl-C (SIGINT) or SIGTERM cancels the target in progress: its row says Canceled,
no later target is tried, and the exit status is 130. A second one exits at once.

Exit status:
  0    every target connected; for `dial demo`: the demonstration ran
  1    at least one target did not connect; for `dial demo`: it could not set
       up its directory or clean up after itself; for any command: memory ran
       out, or standard output could not be written (a full disk, a closed pipe)
  2    usage error: an unknown option, a malformed target, no target at all
  130  interrupted by Ctrl-C (SIGINT) or SIGTERM
)";

int usage_error(std::string_view message) {
  fmt::print(stderr, "dial: {}\nTry 'dial --help' for more information.\n", message);
  return exit_usage;
}

// What the command line asks for. Hand-parsed rather than with CLI11: CLI11 2.1 unpacks an
// argument written "[a,b]" into a list, which is exactly the shape of an IPv6 endpoint
// ("[::1]" reached us as "::1"), and the whole grammar is a handful of words.
struct command {
  enum { probe, demo, help, version, usage } what = probe;
  std::vector<std::string_view> endpoints;
  bool verbose = false;                             // -v: print each race
  std::optional<std::chrono::nanoseconds> timeout;  // --timeout DURATION
  std::string_view first_option{};                  // for "'dial demo' takes no options"
  std::optional<dial::proxy> proxy{};               // --proxy URL
  dial::cli::connect_flags connect{};               // --interface, --source, --mptcp, ...
};

// Applies one option; a failure is the usage error's message.
std::expected<void, std::string> apply_option(command& c, std::span<char* const> args,
                                              std::size_t& i) {
  const std::string_view a = args[i];
  if (c.first_option.empty()) c.first_option = a;
  if (a == "-v" || a == "--verbose") {
    c.verbose = true;
  } else if (a == "--timeout" || a.starts_with("--timeout=")) {
    if (a == "--timeout" && i + 1 == args.size())
      return std::unexpected("--timeout needs a duration");
    const std::string_view v = a == "--timeout" ? std::string_view(args[++i]) : a.substr(10);
    const auto t = dial::cli::parse_duration(v);
    if (!t) return std::unexpected(dial::cli::describe("duration", v, t.error()));
    c.timeout = *t;
  } else if (a == "--proxy" || a.starts_with("--proxy=")) {
    if (a == "--proxy" && i + 1 == args.size()) return std::unexpected("--proxy needs a URL");
    auto p =
        dial::cli::parse_proxy_option(a == "--proxy" ? std::string_view(args[++i]) : a.substr(8));
    if (!p) return std::unexpected(p.error());
    c.proxy = std::move(*p);
  } else if (auto flag = dial::cli::take_connect_flag(c.connect, args, i); !flag) {
    return std::unexpected(flag.error());
  } else if (!*flag) {
    return std::unexpected(fmt::format("unknown option '{}'", dial::cli::echo(a)));
  }
  return {};
}

std::expected<command, std::string> parse_command_line(std::span<char* const> args) {
  if (args.empty()) return command{command::usage, {}, false, {}, {}, {}};
  if (std::string_view(args[0]) == "help") return command{command::help, {}, false, {}, {}, {}};
  command c;
  bool options_done = false;  // after "--", everything is an endpoint
  bool want_demo = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view a = args[i];
    if (!options_done && a.size() > 1 && a.front() == '-') {
      if (a == "--") {
        options_done = true;
      } else if (a == "-h" || a == "--help") {
        return command{command::help, {}, false, {}, {}, {}};
      } else if (a == "--version") {
        return command{command::version, {}, false, {}, {}, {}};
      } else if (auto ok = apply_option(c, args, i); !ok) {
        return std::unexpected(ok.error());
      }
    } else if (!options_done && a == "demo") {
      if (want_demo) return std::unexpected("'demo' is given twice");
      want_demo = true;
    } else {
      c.endpoints.push_back(a);
    }
  }
  if (want_demo) {
    if (!c.endpoints.empty()) return std::unexpected("'dial demo' takes no endpoints");
    if (!c.first_option.empty())
      return std::unexpected(
          fmt::format("'dial demo' takes no options ('{}')", dial::cli::echo(c.first_option)));
    c.what = command::demo;
  } else if (c.endpoints.empty()) {
    return std::unexpected("no target given");
  }
  return c;
}

// Probes every target, each cancelled by Ctrl-C (its row says Canceled; no later one starts).
int run_probe(const command& c) {
  std::vector<dial::cli::host_target> targets;
  bool bad = false;
  for (const auto a : c.endpoints) {
    auto t = dial::cli::parse_probe_target(a);
    if (t) {
      targets.push_back(std::move(*t));
    } else {
      fmt::print(stderr, "dial: {}\n", dial::cli::describe("endpoint", a, t.error()));
      bad = true;
    }
  }
  // Nothing is probed unless every target is well-formed.
  if (bad) return usage_error(fmt::format("targets are HOST:PORT, {}", dial::cli::endpoint_forms));
  for (const auto& t : targets)
    if (c.proxy && t.host.empty())
      return usage_error(fmt::format("--proxy: a Unix target ('{}') cannot go through a proxy",
                                     dial::cli::echo(t.text)));
  dial::cli::block_stop_signals();  // before the monitor's thread: only it takes them
  std::stop_source stop;
  const std::atomic<std::size_t> none{0};
  dial::cli::scan_monitor monitor(0, false, stop, none);
  const int status =
      dial::cli::probe_hosts(targets, {c.verbose, c.timeout, stop.get_token(), c.proxy, c.connect});
  monitor.finish();
  return monitor.interrupted() ? exit_interrupted : status;
}

// Standard output is flushed before the exit status is decided: a full disk or a closed pipe
// (with SIGPIPE ignored) is an error, not a silent success.
int output_failed(int error) {
  std::fprintf(stderr, "dial: cannot write the output: %s\n", std::strerror(error));
  return exit_failed;
}

int finish_output(int status) {
  dial::cli::flush_output();
  if (const int e = dial::cli::flush_error(); e != 0) return output_failed(e);
  if (std::ferror(stdout) != 0) return output_failed(EIO);  // a write failed, errno since lost
  return status;
}

int run(std::span<char* const> all) {
  if (all.size() > 1 && std::string_view(all[1]) == "scan")
    return dial::cli::scan_main(all.subspan(2));  // its own options: dial scan --help
  if (all.size() > 1 && std::string_view(all[1]) == "why")
    return dial::cli::why_main(all.subspan(2));  // its own options: dial why --help
  if (all.size() > 1 && std::string_view(all[1]) == "pipe")
    return dial::cli::pipe_main(all.subspan(2));  // its own options: dial pipe --help
  if (all.size() > 1 && std::string_view(all[1]) == "fault")
    return dial::cli::fault_main(all.subspan(2));  // its own options: dial fault --help
  const auto c = parse_command_line(all.subspan(all.empty() ? 0 : 1));  // argv[0] is not ours
  if (!c) return usage_error(c.error());
  switch (c->what) {
    case command::help:
      fmt::print("{}{}{}{}", usage_text, help_text, dial::cli::connect_flags_help, help_tail);
      return exit_ok;
    case command::usage:
      fmt::print(stderr, "{}Try 'dial --help' for more information.\n", usage_text);
      return exit_usage;
    case command::version: fmt::print("dial {}\n", dial::version); return exit_ok;
    case command::demo: return dial::cli::demo();
    case command::probe: return run_probe(*c);
  }
  return exit_usage;
}

}  // namespace

// No input ends in an uncaught std::bad_alloc: `dial scan` says which targets did not fit, and
// whatever else runs out of memory ends here (fputs: fmt may need memory to format). fmt::print
// throws std::system_error when a write fails (a full disk, EPIPE): that ends here too.
int main(int argc, char** argv) try {
  if (const auto bad = dial::cli::take_color_option(argc, argv)) return usage_error(*bad);
  return finish_output(run(std::span<char* const>(argv, static_cast<std::size_t>(argc))));
} catch (const std::bad_alloc&) {
  std::fputs("dial: out of memory\n", stderr);
  return exit_failed;
} catch (const std::system_error& e) {
  if (std::string_view(e.what()).find("cannot write") != std::string_view::npos)
    return output_failed(e.code().value());
  std::fprintf(stderr, "dial: %s\n", e.what());
  return exit_failed;
}
