// tools/dial/scan.cpp: `dial scan`: the command line, the targets, the engine run, the report.
#include "scan.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <expected>
#include <memory>
#include <new>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/core.h>

#include "dial/engine.hpp"
#include "host_probe.hpp"
#include "platform.hpp"
#include "progress.hpp"
#include "scan_output.hpp"
#include "targets.hpp"

namespace dial::cli {
namespace {

constexpr int exit_open = 0;
constexpr int exit_none_open = 1;
constexpr int exit_usage = 2;
constexpr int exit_interrupted = 130;  // 128 + SIGINT, as shells report it

constexpr std::string_view scan_help = R"(Usage: dial scan TARGET... [OPTION]...
       dial scan HOST... -p PORTS [OPTION]...
       dial scan -i FILE [OPTION]...          (FILE '-' is standard input)

Connect to many targets at once through dial's engine (io_uring, or epoll where io_uring is
refused), then list the open ones (those that accepted the connection, with the TCP service
name /etc/services gives the port) and every one whose outcome was neither Connected nor
ConnectionRefused (Timeout and NetworkUnreachable first: what nmap calls filtered), and count
every outcome by its name.

Scan only hosts you are allowed to scan.

Targets (the grammar of `dial TARGET`, and blocks of addresses):
  TARGET          HOST:PORT (a name is looked up in /etc/hosts, then DNS, and every address it
                  has is scanned), a.b.c.d:PORT, [v6addr]:PORT, unix:/path or unix:@name;
                  or BLOCK:PORT (an IPv4 block) and [BLOCK]:PORT (an IPv6 one)
  HOST -p PORTS   every port of PORTS on each HOST: a name, 127.0.0.1, ::1, [::1] or a BLOCK;
                  with -p give hosts without a port
  BLOCK           a.b.c.d/N or v6addr/N (CIDR; every address of the block, the network and
                  broadcast addresses included, as nmap does: 192.0.2.0/30 is 4 hosts, a /32
                  or /128 one), a.b.c.d-e (the last byte from d to e: 198.51.100.10-20),
                  a.b.c.d-a.b.c.e, v6addr-h (the last group up to hex h: 2001:db8::1-ff) and
                  v6addr-v6addr; at most 2^32 addresses
  -i FILE         one HOST (with -p) or TARGET (without) per line; blank lines and lines
                  starting with '#' are skipped, text after a blank and '#' is a comment.
                  May be given more than once; the words of the command line come first.
                  A line may be 4096 bytes long.

A scan takes at most 4294967296 targets (hosts x ports) and 1048576 held hosts (a word or
line, and each address of a name; a block counts one). Targets are made as the scan goes and
connected 65536 at a time, so their memory does not grow with the scan (the OPEN and NOT OPEN
lists still take 16 bytes for each target they show).

Options:
  -p, --ports LIST        ports and ranges, as in 22,80,8000-8100 or 1-65535 (no leading zeros)
  -i, --input FILE        read targets (or hosts) from FILE, or from standard input for '-'
  -4, -6                  only the IPv4 (-4) or IPv6 (-6) addresses of names; a numeric host or
                          block of the other family is a usage error (unix: targets are kept)
  --rate N                start at most N connects per second over all threads (N > 0, a
                          decimal such as 0.5 or 2500 allowed; at most 10000000): for scanning
                          networks politely; the header line shows it
  --timeout DURATION      per-connect deadline (default 2s): a number and a unit, us, ms, s or m
                          (250us, 500ms, 1.5s, 1m); a bare number is milliseconds; > 0. It is
                          rounded up to whole milliseconds (1us is 1 ms)
  --concurrency N         connects in flight at once over all threads (default 4096; the engine
                          lowers it to what the descriptor limit allows)
  --threads N             engine threads, one ring or epoll set each (default 0: one per CPU)
  --backend NAME          io_uring, epoll or auto (default auto: io_uring if the kernel allows it)
  --show closed           list the refused (closed) targets too, after the others
  --json                  one JSON object per result, then a summary object (NDJSON; the schema
                          is in docs/scan-json.md); no progress bar
  -q, --quiet             no progress bar
  --color[=WHEN]          colour the outcome names: auto (on a terminal), always or never
  -h, --help              show this help and exit

A progress bar (done/total, rate, ETA) is drawn on standard error when it is a terminal.
Ctrl-C (SIGINT) or SIGTERM stops the scan: connects in flight are canceled, what was found so
far is printed and the exit status is 130; a second one exits at once.

Exit status:
  0    at least one target was open
  1    no target was open, or standard output could not be written (a full disk, a closed pipe)
  2    usage error (an unknown option, a bad port list, host, block or target, an unreadable
       input file, an input line over 4096 bytes, more than 4294967296 targets, 1048576 held
       hosts or what memory holds, no target at all), or the engine could not start (such as
       --backend io_uring where the kernel refuses io_uring)
  130  interrupted by Ctrl-C (SIGINT) or SIGTERM
)";

static_assert(max_line_bytes == 4096 && max_targets == 4294967296 && max_held_hosts == 1048576,
              "scan_help states the limits");

/// Targets handed to one engine::run: a scan of more is made and run in chunks of this many, so
/// that its memory does not grow with its size (about 8 MB of addresses per chunk).
constexpr std::size_t chunk_targets = 65536;

/// The highest --rate: far above what any network takes, low enough to stay a sane number.
constexpr double max_rate = 1e7;

/// What the command line asks for.
struct scan_request {
  std::optional<port_list> ports;
  family_filter family = family_filter::any;  ///< -4 / -6
  std::vector<std::string_view> words;        ///< hosts (with -p) or targets
  std::vector<std::string_view> inputs;
  engine_options engine;
  bool json = false;
  bool quiet = false;
  bool show_closed = false;  ///< --show closed: list the refused targets too
  bool help = false;
};

int usage_error(std::string_view message) {
  fmt::print(stderr, "dial scan: {}\nTry 'dial scan --help' for more information.\n", message);
  return exit_usage;
}

template <class T>
std::optional<T> parse_number(std::string_view s) {
  T v{};
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

parse_problem number_problem(std::string_view want) {
  return {"InvalidNumber", 0, fmt::format("not {}", want)};
}

std::optional<engine_backend> parse_backend(std::string_view s) {
  if (s == "io_uring") return engine_backend::io_uring;
  if (s == "epoll") return engine_backend::epoll;
  if (s == "auto") return engine_backend::automatic;
  return std::nullopt;
}

// Applies one option that takes a value.
std::expected<void, std::string> apply(scan_request& r, std::string_view opt,
                                       std::string_view value) {
  if (opt == "-p" || opt == "--ports") {
    if (r.ports) return std::unexpected("-p is given twice");
    auto p = parse_ports(value);
    if (!p) return std::unexpected(describe("port list", value, p.error()));
    r.ports = std::move(*p);
  } else if (opt == "-i" || opt == "--input") {
    r.inputs.push_back(value);
  } else if (opt == "--timeout") {
    const auto t = parse_duration(value);  // the same syntax as `dial --timeout`
    if (!t) return std::unexpected(describe("timeout", value, t.error()));
    r.engine.timeout = std::chrono::ceil<std::chrono::milliseconds>(*t);
  } else if (opt == "--concurrency") {
    const auto n = parse_number<std::size_t>(value);
    if (!n || *n == 0)
      return std::unexpected(describe("concurrency", value, number_problem("a number above 0")));
    r.engine.concurrency = *n;
  } else if (opt == "--threads") {
    const auto n = parse_number<unsigned>(value);
    if (!n || *n > 1024)
      return std::unexpected(
          describe("thread count", value, number_problem("a number from 0 (one per CPU) to 1024")));
    r.engine.threads = *n;
  } else if (opt == "--rate") {
    const auto n = parse_number<double>(value);
    if (!n || !(*n > 0 && *n <= max_rate))
      return std::unexpected(
          describe("rate", value,
                   number_problem(fmt::format("a number above 0, at most {:.0f}", max_rate))));
    r.engine.rate = *n;
  } else if (opt == "--show") {
    if (value != "closed")
      return std::unexpected(describe(
          "--show", value, {"UnknownForm", 0, "not a kind of target", "the one kind is: closed"}));
    r.show_closed = true;
  } else {
    const auto b = parse_backend(value);
    if (!b)
      return std::unexpected(describe(
          "back-end", value, {"UnknownForm", 0, "unknown back-end", "io_uring, epoll or auto"}));
    r.engine.backend = *b;
  }
  return {};
}

bool takes_value(std::string_view opt) {
  return opt == "-p" || opt == "--ports" || opt == "-i" || opt == "--input" || opt == "--timeout" ||
         opt == "--concurrency" || opt == "--threads" || opt == "--backend" || opt == "--show" ||
         opt == "--rate";
}

std::expected<scan_request, std::string> parse_scan_args(std::span<char* const> args) {
  scan_request r;
  bool options_done = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view a = args[i];
    if (options_done || a.size() < 2 || a.front() != '-') {
      r.words.push_back(a);
      continue;
    }
    if (a == "--") {
      options_done = true;
    } else if (a == "-h" || a == "--help") {
      r.help = true;
      return r;
    } else if (a == "--json") {
      r.json = true;
    } else if (a == "-q" || a == "--quiet") {
      r.quiet = true;
    } else if (a == "-4" || a == "-6") {
      const auto want = a == "-4" ? family_filter::ipv4 : family_filter::ipv6;
      if (r.family != family_filter::any && r.family != want)
        return std::unexpected("-4 and -6 exclude each other");
      r.family = want;
    } else {
      // --opt=VALUE, -pVALUE / -iVALUE, or the value in the next argument.
      std::string_view opt = a;
      std::optional<std::string_view> value;
      if (const auto eq = a.find('='); a.starts_with("--") && eq != std::string_view::npos) {
        opt = a.substr(0, eq);
        value = a.substr(eq + 1);
      } else if (!a.starts_with("--") && a.size() > 2) {
        opt = a.substr(0, 2);
        value = a.substr(2);
      }
      if (!takes_value(opt)) return std::unexpected(fmt::format("unknown option '{}'", echo(a)));
      if (!value) {
        if (i + 1 == args.size()) return std::unexpected(fmt::format("{} needs a value", opt));
        value = args[++i];
      }
      auto ok = apply(r, opt, *value);
      if (!ok) return std::unexpected(ok.error());
    }
  }
  return r;
}

// Every target, in order: the command line's words, then each input's lines.
std::expected<target_plan, std::string> collect_targets(const scan_request& r) {
  const word_kind kind = r.ports ? word_kind::host : word_kind::target;
  target_plan plan(r.ports ? *r.ports : port_list{}, r.family);
  for (const auto w : r.words) {
    auto ok = plan.add(w, kind);
    if (!ok) return std::unexpected(ok.error());
  }
  for (const auto name : r.inputs) {
    std::expected<void, std::string> ok;
    if (name == "-") {
      ok = read_words(stdin, "<stdin>", kind, plan);
    } else {
      // Not inherited from the open on (std::ifstream has no way to ask for it).
      const std::unique_ptr<std::FILE, int (*)(std::FILE*)> in(
          std::fopen(std::string(name).c_str(), read_mode_no_inherit), &std::fclose);
      if (!in)
        return std::unexpected(
            fmt::format("cannot read '{}': {}", echo(name), std::strerror(errno)));
      ok = read_words(in.get(), name, kind, plan);
    }
    if (!ok) return std::unexpected(ok.error());
  }
  if (plan.size() == 0) return std::unexpected("no target given");
  return plan;
}

// "127.0.0.1, 65535 ports" for one host (one address) and a port list; "localhost (2
// addresses), 3 ports: 6 targets" for a name with more; "3 targets" otherwise. Every count is
// of what is scanned.
std::string header_text(const scan_request& r, std::size_t count) {
  const auto plural = [](std::size_t n, std::string_view what) {
    return fmt::format("{} {}{}", n, what, n == 1 ? "" : what.ends_with('s') ? "es" : "s");
  };
  if (r.ports && r.words.size() == 1 && r.inputs.empty()) {
    const std::size_t ports = r.ports->ports.size();
    const std::string host = echo(r.words.front());
    if (count == ports) return fmt::format("{}, {}", host, plural(ports, "port"));
    return fmt::format("{} ({}), {}: {}", host, plural(count / ports, "address"),
                       plural(ports, "port"), plural(count, "target"));
  }
  return plural(count, "target");
}

// Runs the plan through one engine, chunk_targets at a time: only one chunk of targets is held.
scan_end run_chunks(engine& e, const target_plan& plan, scan_sink& sink, std::stop_source stop) {
  std::vector<address> chunk;
  chunk.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(plan.size(), chunk_targets)));
  scan_end end;
  const auto start = std::chrono::steady_clock::now();
  for (std::uint64_t base = 0; base < plan.size() && !stop.stop_requested(); base += chunk.size()) {
    chunk.clear();
    for (std::uint64_t i = base; i < plan.size() && chunk.size() < chunk_targets; ++i)
      chunk.push_back(plan.at(i));
    sink.begin_chunk(base, chunk.size());
    end.results += e.run(chunk, sink, stop.get_token());
  }
  end.elapsed = std::chrono::steady_clock::now() - start;
  return end;
}

int run_scan(const scan_request& r, const target_plan& plan) {
  block_stop_signals();  // before the engine's threads exist, so they inherit the mask
  auto e = engine::create(r.engine);
  if (!e) {
    fmt::print(stderr, "dial scan: the {} engine cannot start: {}\n", dial::name(r.engine.backend),
               dial::name(e.error()));
    return exit_usage;
  }
  const auto total = static_cast<std::size_t>(plan.size());
  const scan_setup setup{e->backend(),     e->threads(), e->concurrency(),
                         r.engine.timeout, total,        r.engine.rate};
  if (!r.json) print_scan_header(setup, header_text(r, total));

  std::stop_source stop;
  scan_sink sink(r.json, r.show_closed, stop);
  const bool bar = !r.json && !r.quiet && ::isatty(STDERR_FILENO) == 1;
  scan_end end;
  {
    scan_monitor monitor(total, bar, stop, sink.done);
    end = run_chunks(*e, plan, sink, stop);
    monitor.finish();
    end.interrupted = monitor.interrupted();
  }
  if (r.json) {
    sink.print_json_summary(setup, end);
  } else {
    sink.print_report(setup, end, plan);
  }
  if (end.interrupted) return exit_interrupted;
  return sink.open_count() != 0 ? exit_open : exit_none_open;
}

}  // namespace

int scan_main(std::span<char* const> args) {
  const auto r = parse_scan_args(args);
  if (!r) return usage_error(r.error());
  if (r->help) {
    fmt::print("{}", scan_help);
#ifdef _WIN32
    fmt::print(
        "\nOn Windows the engine runs on I/O completion ports (ConnectEx): --backend auto\n"
        "is the only back-end, and the report names it 'automatic'.\n");
#endif
    return exit_open;
  }
  std::optional<std::expected<target_plan, std::string>> targets;
  try {
    targets.emplace(collect_targets(*r));
  } catch (const std::bad_alloc&) {  // what was read is freed by now, so the message fits
    return usage_error("the targets do not fit in memory; split the scan");
  }
  if (!*targets) return usage_error(targets->error());
  return run_scan(*r, **targets);
}

}  // namespace dial::cli
