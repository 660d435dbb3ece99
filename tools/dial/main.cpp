// tools/dial/main.cpp: the `dial` command line: `dial demo` and `dial ENDPOINT...`.
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <expected>
#include <new>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/core.h>

#include "demo.hpp"
#include "dial/version.hpp"
#include "endpoint.hpp"
#include "host_probe.hpp"
#include "probe.hpp"
#include "scan.hpp"
#include "why.hpp"

namespace {

/// Exit statuses, as --help states them.
constexpr int exit_ok = 0;
constexpr int exit_failed = 1;
constexpr int exit_usage = 2;

constexpr std::string_view help_text = R"(Usage: dial ENDPOINT...
       dial demo
       dial scan HOST -p PORTS | TARGET... | -i FILE   (many connects at once; dial scan --help)
       dial why TARGET [--json]   (why can't it connect? every step explained; dial why --help)
       dial -h | --help | --version

Connect to each ENDPOINT in turn and print what happened, one line per endpoint:
the outcome (Connected, or the error's name from dial's closed set, such as
ConnectionRefused or FileNotFound), the raw OS code behind it (errno name and
number) and how long the connect call took.

Endpoints:
  host:port               a host name, resolved (c-ares; /etc/hosts honoured) and
                          connected with Happy Eyeballs v2 (RFC 8305): IPv6 and IPv4
                          addresses raced 250 ms apart, first to connect wins
  a.b.c.d:port            IPv4, as in 127.0.0.1:8080
  [v6addr]:port           IPv6, as in [::1]:22
  [v6addr%scope]:port     link-local IPv6; scope is an interface name or index
  unix:/path              Unix stream socket (a relative path works too)
  unix:@name              Linux abstract Unix socket
Without --timeout, a numeric endpoint's connect is blocking and has no time limit
of its own: one whose packets are dropped can take the kernel's full SYN timeout
(about 2 minutes).

Commands:
  demo        set up loopback and Unix-socket fixtures inside this process (a
              listener, a closed port, a missing and a stale socket path, a full
              backlog, a non-blocking connect, a peer reset, ...), connect to
              each, print one line per fixture and remove them all again
              (also when interrupted by SIGINT, SIGTERM or SIGHUP)

Options:
  -v, --verbose       print the race under each target: every DNS answer and
                      every attempt (address, start and end offsets, outcome)
  --timeout DURATION  give up on each target after DURATION (500ms, 2s, 1.5s, 1m;
                      a bare number is milliseconds), resolution and every attempt
                      included; the outcome is Timeout
  -h, --help  show this help and exit
  --version   show dial's version and exit
  --          end of options: every later argument is an endpoint

Exit status:
  0  every endpoint connected; for `dial demo`: the demonstration ran
  1  at least one endpoint did not connect; for `dial demo`: it could not set
     up its directory or clean up after itself; for any command: memory ran out
  2  usage error: an unknown option, a malformed endpoint, no endpoint at all
)";

int usage_error(std::string_view message) {
  fmt::print(stderr, "dial: {}\nTry 'dial --help' for more information.\n", message);
  return exit_usage;
}

// What the command line asks for. Hand-parsed rather than with CLI11: CLI11 2.1 unpacks an
// argument written "[a,b]" into a list, which is exactly the shape of an IPv6 endpoint
// ("[::1]" reached us as "::1"), and the whole grammar is a handful of words.
struct command {
  enum { probe, demo, help, version } what = probe;
  std::vector<std::string_view> endpoints;
  bool verbose = false;                             // -v: print each race
  std::optional<std::chrono::nanoseconds> timeout;  // --timeout DURATION
};

std::expected<command, std::string> parse_command_line(std::span<char* const> args) {
  command c;
  bool options_done = false;  // after "--", everything is an endpoint
  bool want_demo = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view a = args[i];
    if (!options_done && a.size() > 1 && a.front() == '-') {
      if (a == "--") {
        options_done = true;
      } else if (a == "-v" || a == "--verbose") {
        c.verbose = true;
      } else if (a == "--timeout" || a.starts_with("--timeout=")) {
        if (a == "--timeout" && i + 1 == args.size())
          return std::unexpected("--timeout needs a duration");
        const std::string_view v = a == "--timeout" ? std::string_view(args[++i]) : a.substr(10);
        c.timeout = dial::cli::parse_duration(v);
        if (!c.timeout) return std::unexpected(fmt::format("bad duration '{}' (500ms, 2s, 1m)", v));
      } else if (a == "-h" || a == "--help") {
        return command{command::help, {}, false, {}};
      } else if (a == "--version") {
        return command{command::version, {}, false, {}};
      } else {
        return std::unexpected(fmt::format("unknown option '{}'", a));
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
    c.what = command::demo;
  } else if (c.endpoints.empty()) {
    return std::unexpected("no endpoint given");
  }
  return c;
}

// A numeric endpoint as the host path takes it: the IP text without the port, or a Unix one.
dial::cli::host_target as_host_target(const dial::cli::endpoint& e) {
  if (!e.value.is_ip()) return {e.text, {}, 0};
  const std::string text = e.value.to_string();
  return {e.text, text.substr(0, text.rfind(':')), e.value.port()};
}

int run_probe(const command& c) {
  const std::span<const std::string_view> args = c.endpoints;
  std::vector<dial::cli::endpoint> endpoints;
  std::vector<dial::cli::host_target> hosts;  // every target, for the host path
  bool bad = false;
  for (const auto a : args) {
    auto e = dial::cli::parse_endpoint(a);
    if (e) {
      hosts.push_back(as_host_target(*e));
      endpoints.push_back(std::move(*e));
    } else if (auto h = dial::cli::parse_host_port(a)) {
      hosts.push_back(std::move(*h));
    } else {
      fmt::print(stderr, "dial: bad endpoint '{}': {}\n", a, e.error());
      bad = true;
    }
  }
  // Nothing is probed unless every endpoint is well-formed.
  if (bad)
    return usage_error(fmt::format("endpoints are host:port, {}", dial::cli::endpoint_forms));
  // Numeric endpoints alone, without -v or --timeout: one blocking connect each, as always.
  if (endpoints.size() == hosts.size() && !c.verbose && !c.timeout)
    return dial::cli::probe(endpoints);
  return dial::cli::probe_hosts(hosts, {c.verbose, c.timeout});
}

}  // namespace

// No input ends in an uncaught std::bad_alloc: `dial scan` says which targets did not fit, and
// whatever else runs out of memory ends here (fputs: fmt may need memory to format).
int main(int argc, char** argv) try {
  const std::span<char* const> all(argv, static_cast<std::size_t>(argc));
  if (all.size() > 1 && std::string_view(all[1]) == "scan")
    return dial::cli::scan_main(all.subspan(2));  // its own options: dial scan --help
  if (all.size() > 1 && std::string_view(all[1]) == "why")
    return dial::cli::why_main(all.subspan(2));  // its own options: dial why --help
  const auto c = parse_command_line(all.subspan(all.empty() ? 0 : 1));  // argv[0] is not ours
  if (!c) return usage_error(c.error());
  switch (c->what) {
    case command::help: fmt::print("{}", help_text); return exit_ok;
    case command::version: fmt::print("dial {}\n", dial::version); return exit_ok;
    case command::demo: return dial::cli::demo();
    case command::probe: return run_probe(*c);
  }
  return exit_usage;
} catch (const std::bad_alloc&) {
  std::fputs("dial: out of memory\n", stderr);
  return exit_failed;
}
