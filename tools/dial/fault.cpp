// tools/dial/fault.cpp: `dial fault RULE... -- COMMAND`: the rule grammar, the decision log, and
// dial::testing::run_with_faults underneath (docs/fault.md).
#include "fault.hpp"

#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <expected>
#include <optional>
#include <string>
#include <string_view>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "dial/testing.hpp"
#include "endpoint.hpp"
#include "host_probe.hpp"
#include "report.hpp"

namespace dial::cli {
namespace {

namespace dt = dial::testing;

constexpr int exit_usage = 2;
constexpr int exit_cannot = 125;  // as env(1) and timeout(1): the tool itself failed

constexpr std::string_view fault_help =
    R"help(Usage: dial fault RULE... [OPTION]... -- COMMAND [ARG]...

Run COMMAND (and its children and threads) with chosen connect(2) calls failing, deterministically
and without root: seccomp user notification intercepts every connect, this process answers each
one. The first rule whose DEST matches a connect takes it; a connect no rule takes goes on
untouched. The exit status is COMMAND's.

Rules:
  --refuse DEST          the connect fails at once with ECONNREFUSED
  --drop DEST[=DURATION] the SYN is lost: ETIMEDOUT after DURATION (without one: never, until
                         the program gives up). A blocking connect is held for DURATION; a
                         non-blocking one gets EINPROGRESS and its socket really stays in
                         SYN-SENT (never writable) until TCP_USER_TIMEOUT ends it, which Linux
                         does at DURATION or at its first SYN retransmission (1 s), if later
  --delay DEST=DURATION  the real connect is made, DURATION later (the call waits, non-blocking
                         ones too)
  --errno DEST=NAME      the connect fails at once with errno NAME: EHOSTUNREACH, ENETUNREACH,
                         EACCES, EPERM, ECONNRESET, ETIMEDOUT, EADDRNOTAVAIL, ... (any Linux name)
  --rate P               the next rule takes only a fraction P (0-1) of the connects it matches;
                         the others go on to the later rules
  --seed S               the seed of every --rate decision (default 0): the same seed, the same
                         decisions for the same sequence of connects

DEST is one of:
  a.b.c.d:PORT, [v6addr]:PORT      one address
  NAME:PORT                        every address NAME has, resolved once at the start
  a.b.c.d/N:PORT, [v6addr]/N:PORT  a network
  *:PORT                           any IPv4 or IPv6 address
  unix:/path, unix:@name           a Unix socket
An IPv4-mapped IPv6 address (::ffff:127.0.0.1) is matched as IPv4. DURATION is a number and a
unit: us, ms, s or m (300ms, 1.5s); a bare number is milliseconds. In DEST=VALUE the last '='
splits.

Options:
  -v, --verbose   print every decision on standard error: the connect's number, thread,
                  destination, the rule that took it and what the program sees
  --log FILE      write every decision to FILE as NDJSON, one object a line
  --no-io-uring   io_uring_setup fails with ENOSYS, so that a program falls back to connect(2)
                  (connects through an io_uring are not intercepted; without this option a
                  program that sets one up is reported on standard error)
  -h, --help      show this help and exit
  --              end of the rules: COMMAND and its arguments follow

Not intercepted: connects through io_uring, TCP Fast Open's sendto/sendmsg, 32-bit (i386, x32)
programs. Statically linked programs are (seccomp filters system calls, not library calls).
dial fault is a testing tool, not a sandbox: a program can evade it (docs/fault.md).

Exit status:
  N    COMMAND's exit status; 128 + the signal's number when a signal ended it (SIGINT,
       SIGTERM, SIGHUP and SIGQUIT sent to dial fault are passed on to COMMAND; Ctrl-C at a
       terminal reaches COMMAND directly)
  2    usage error: a bad rule or option, no '--' before COMMAND, no COMMAND
  125  connects cannot be intercepted here (Linux before 5.5, or a seccomp policy forbids it)
  126  COMMAND could not be run; 127: COMMAND was not found
)help";

int usage(std::string_view message) {
  fmt::print(stderr, "dial fault: {}\nTry 'dial fault --help' for more information.\n", message);
  return exit_usage;
}

constexpr std::string_view dest_hint =
    "DEST is HOST:PORT, *:PORT, ADDR/PREFIX:PORT, unix:/path or unix:@name";

struct fault_command {
  dt::fault_plan plan;
  bool verbose = false;
  std::string log_path;
  bool deny_io_uring = false;
  std::span<char* const> command;
};

// DEST as a rule word names it; offsets into the whole word.
std::expected<dt::destination, parse_problem> parse_dest(std::string_view dest) {
  auto d = dt::destination::parse(dest);
  if (d) return std::move(*d);
  return std::unexpected(parse_problem{dial::name(d.error().error), d.error().offset,
                                       std::string(dial::message(d.error().error)),
                                       std::string(dest_hint)});
}

parse_problem shifted(parse_problem p, std::size_t by) {
  p.offset += by;
  return p;
}

// One rule's word: DEST, or DEST=VALUE (split at the last '='), as the rule wants it.
std::expected<dt::fault_rule, parse_problem> parse_rule(std::string_view flag,
                                                        std::string_view word) {
  // --refuse takes no value, so its DEST is the whole word (a Unix path may hold '=').
  const auto eq = flag == "--refuse" ? std::string_view::npos : word.rfind('=');
  const bool split = eq != std::string_view::npos;
  const std::string_view dest = split ? word.substr(0, eq) : word;
  const std::string_view value = split ? word.substr(eq + 1) : std::string_view{};
  const std::size_t value_at = split ? eq + 1 : word.size();
  dt::fault_rule r;
  r.text = fmt::format("{} {}", flag, word);
  if ((flag == "--delay" || flag == "--errno") && !split)
    return std::unexpected(parse_problem{
        "MissingValue", word.size(),
        fmt::format("{} needs DEST={}", flag, flag == "--delay" ? "DURATION" : "NAME")});
  auto d = parse_dest(dest);
  if (!d) return std::unexpected(d.error());
  r.to = std::move(*d);
  if (flag == "--refuse") {
    r.action = dt::fault_action::refuse;
    r.error = ECONNREFUSED;
  } else if (flag == "--errno") {
    const auto e = dt::errno_from_name(value);
    if (!e)
      return std::unexpected(parse_problem{"UnknownErrno", value_at,
                                           fmt::format("no errno is called '{}'", echo(value)),
                                           "names as errno(3) spells them: EHOSTUNREACH, EACCES"});
    r.action = dt::fault_action::fail;
    r.error = *e;
  } else {
    r.action = flag == "--drop" ? dt::fault_action::drop : dt::fault_action::delay;
    r.error = flag == "--drop" ? ETIMEDOUT : 0;
    if (split) {
      const auto t = parse_duration(value);
      if (!t) return std::unexpected(shifted(t.error(), value_at));
      r.duration = *t;
    }
  }
  return r;
}

std::expected<double, parse_problem> parse_rate(std::string_view text) {
  double p = -1;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), p);
  const auto at = static_cast<std::size_t>(end - text.data());
  if (ec != std::errc{} || at != text.size() || !(p >= 0.0 && p <= 1.0))
    return std::unexpected(parse_problem{"InvalidRate",
                                         ec == std::errc{} && at != text.size() ? at : 0,
                                         "a rate is a number from 0 to 1", "as in 0.3"});
  return p;
}

std::expected<std::uint64_t, parse_problem> parse_seed(std::string_view text) {
  std::uint64_t s = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), s);
  const auto at = static_cast<std::size_t>(end - text.data());
  if (ec != std::errc{} || at != text.size() || text.empty())
    return std::unexpected(parse_problem{"InvalidSeed", ec == std::errc{} ? at : 0,
                                         "a seed is a decimal number 0-18446744073709551615"});
  return s;
}

bool is_rule(std::string_view a) {
  return a == "--refuse" || a == "--drop" || a == "--delay" || a == "--errno";
}

// The value of an option: the next argument, or after '=' in "--opt=VALUE".
std::optional<std::string_view> option_value(std::span<char* const> args, std::size_t& i,
                                             std::string_view name) {
  const std::string_view a = args[i];
  if (a.size() > name.size() && a[name.size()] == '=') return a.substr(name.size() + 1);
  if (i + 1 == args.size()) return std::nullopt;
  return std::string_view(args[++i]);
}

std::expected<fault_command, std::string> parse_fault_args(std::span<char* const> args,
                                                           bool& help) {
  fault_command c;
  double rate = 1.0;  // for the next rule
  bool rate_pending = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view a = args[i];
    const std::string_view opt = a.substr(0, a.find('='));
    if (a == "--") {
      c.command = args.subspan(i + 1);
      if (c.command.empty()) return std::unexpected("no command after '--'");
      if (rate_pending) return std::unexpected("--rate applies to the next rule, and none follows");
      return c;
    }
    if (a == "-h" || a == "--help") {
      help = true;
      return c;
    }
    if (a == "-v" || a == "--verbose") {
      c.verbose = true;
    } else if (a == "--no-io-uring") {
      c.deny_io_uring = true;
    } else if (is_rule(opt)) {  // --refuse DEST or --refuse=DEST
      const auto value = option_value(args, i, opt);
      if (!value) return std::unexpected(fmt::format("{} needs a DEST", opt));
      const std::string_view word = *value;
      auto r = parse_rule(opt, word);
      if (!r) return std::unexpected(describe("rule", word, r.error()));
      r->rate = rate_pending ? rate : 1.0;
      rate_pending = false;
      c.plan.add(std::move(*r));
    } else if (opt == "--rate" || opt == "--seed" || opt == "--log") {
      const auto v = option_value(args, i, opt);
      if (!v) return std::unexpected(fmt::format("{} needs a value", opt));
      if (opt == "--log") {
        c.log_path = std::string(*v);
      } else if (opt == "--rate") {
        const auto p = parse_rate(*v);
        if (!p) return std::unexpected(describe("rate", *v, p.error()));
        rate = *p;
        rate_pending = true;
      } else {
        const auto s = parse_seed(*v);
        if (!s) return std::unexpected(describe("seed", *v, s.error()));
        c.plan.seed(*s);
      }
    } else if (a.starts_with("-")) {
      return std::unexpected(fmt::format("unknown option '{}'", echo(a)));
    } else {
      return std::unexpected(describe(
          "argument", a,
          {"MissingSeparator", 0, "not a rule or an option",
           fmt::format("the command comes after '--': dial fault RULE... -- {} ...", echo(a))}));
    }
  }
  return std::unexpected("no '--' and COMMAND after the rules");
}

// ---- the decision log ------------------------------------------------------------------------

std::string ms_text(std::chrono::nanoseconds d) {
  return fmt::format("{:g} ms", std::chrono::duration<double, std::milli>(d).count());
}

std::string what_it_sees(const dt::fault_event& e) {
  if (e.outcome == "io_uring")
    return e.error != 0 ? "io_uring_setup: ENOSYS (--no-io-uring)"
                        : "io_uring_setup: allowed; connects through it are not intercepted";
  if (e.outcome == "continue") return "continue";
  if (e.outcome == "delay")
    return fmt::format("delay {}, then the real connect",
                       ms_text(e.duration.value_or(std::chrono::nanoseconds{0})));
  const std::string code = code_text(e.error);
  if (e.outcome != "drop") return fmt::format("{} {}", e.outcome, code);
  const std::string when =
      e.duration ? "after " + ms_text(*e.duration) : "never (until it gives up)";
  if (e.how == "pending")
    return fmt::format("drop: {} now, socket in SYN-SENT, ETIMEDOUT {}", code, when);
  return fmt::format("drop: held, ETIMEDOUT {}", when);
}

void print_event(const dt::fault_plan& plan, const dt::fault_event& e) {
  const std::string rule =
      e.rule == 0 ? "no rule" : fmt::format("rule {} ({})", e.rule, plan.rules()[e.rule - 1].text);
  fmt::print(stderr, "dial fault: #{} tid {} {} {}: {}\n", e.index, e.tid, e.destination, rule,
             what_it_sees(e));
  std::fflush(stderr);
}

std::string json_line(const dt::fault_plan& plan, const dt::fault_event& e) {
  nlohmann::ordered_json j;
  j["index"] = e.index;
  j["tid"] = e.tid;
  j["call"] = e.outcome == "io_uring" ? "io_uring_setup" : "connect";
  j["destination"] = e.destination;
  j["rule"] = e.rule;
  if (e.rule != 0) j["rule_text"] = plan.rules()[e.rule - 1].text;
  j["outcome"] = std::string(e.outcome);
  if (e.error != 0) j["errno"] = std::string(dt::errno_name(e.error));
  if (e.duration) j["duration_ms"] = std::chrono::duration<double, std::milli>(*e.duration).count();
  if (!e.how.empty()) j["how"] = std::string(e.how);
  j["at_ms"] = std::chrono::duration<double, std::milli>(e.at).count();
  return j.dump();
}

}  // namespace

int fault_main(std::span<char* const> args) {
  bool help = false;
  auto c = parse_fault_args(args, help);
  if (help) {
    fmt::print("{}", fault_help);
    return 0;
  }
  if (!c) return usage(c.error());
  std::FILE* log = nullptr;
  if (!c->log_path.empty()) {
    log = std::fopen(c->log_path.c_str(), "we");  // close-on-exec: COMMAND does not get it
    if (log == nullptr) {
      fmt::print(stderr, "dial fault: cannot open the log '{}': {}\n", echo(c->log_path),
                 std::strerror(errno));
      return exit_cannot;
    }
  }
  bool warned_uring = false;
  dt::run_options o;
  o.deny_io_uring = c->deny_io_uring;
  const auto& plan = c->plan;
  o.on_event = [&](const dt::fault_event& e) {
    if (c->verbose) {
      print_event(plan, e);
    } else if (e.outcome == "io_uring" && !warned_uring && e.error == 0) {
      warned_uring = true;
      fmt::print(stderr,
                 "dial fault: tid {} set up an io_uring: connects through it are not intercepted "
                 "(--no-io-uring makes io_uring_setup fail with ENOSYS)\n",
                 e.tid);
    }
    if (log != nullptr) {
      fmt::print(log, "{}\n", json_line(plan, e));
      std::fflush(log);
    }
  };
  const auto status = dt::run_with_faults(plan, c->command, o);
  if (log != nullptr) std::fclose(log);
  if (!status) {
    fmt::print(stderr, "dial fault: cannot intercept connects ({}): {} {}\n", status.error().step,
               dial::name(status.error().error), code_text(status.error().native));
    return exit_cannot;
  }
  return *status;
}

}  // namespace dial::cli
