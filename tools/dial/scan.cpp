// tools/dial/scan.cpp: `dial scan`: the command line, the targets, the engine run, the report.
#include "scan.hpp"

#include <sys/stat.h>
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
                  A line may be 4096 bytes long. An input is read as the scan goes, about
                  65536 targets' worth of lines at a time, so a file of any length takes the
                  memory of one chunk. A regular file is first read once to check every line
                  and count its targets (a bad line is a usage error before anything is
                  scanned; a name is looked up in both readings). A pipe or terminal ('-i -'
                  from a pipe) is read once: a bad line is found when its chunk is read, and
                  the scan stops there with exit status 2 (the --json results of the chunks
                  before it were printed; no report or summary); past its first chunk the
                  total is not known: the header says so and the progress bar shows the count
                  done and the rate, without percentage or ETA.

A scan takes at most 4294967296 targets (hosts x ports) and 1048576 held hosts at once (a word
of the command line or a line of the chunk being scanned, and each address of a name; a block
counts one). Targets are made as the scan goes and connected 65536 at a time, so their memory
does not grow with the scan (the OPEN and NOT OPEN lists still take about 140 bytes for each
target they show).

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
  --backend NAME          io_uring, epoll or auto (default auto: epoll when every target is a
                          loopback address, 127.0.0.0/8 or ::1; otherwise io_uring if the
                          kernel allows it)
  --show closed           list the refused (closed) targets too, after the others
  --json                  one JSON object per result, then a summary object (NDJSON; the schema
                          is in docs/scan-json.md); no progress bar
  -q, --quiet             no progress bar
  --color[=WHEN]          colour the outcome names: auto (on a terminal), always or never
  -h, --help              show this help and exit

A scan connects to every target directly: --proxy is refused here (a proxy would turn a scan
of many hosts into a scan from the proxy). Probe through a proxy with dial --proxy URL TARGET...

Connect options, as `dial TARGET` takes them (dial --help), set on every socket:
  --interface NAME        send through interface NAME only (SO_BINDTODEVICE); an unknown
                          name is each target's outcome UnknownInterface
  --mark N                firewall and routing mark (SO_MARK; decimal or 0x hex; needs
                          CAP_NET_ADMIN, else PermissionDenied)
  --user-timeout DURATION TCP_USER_TIMEOUT: drop a connection whose sent data stays
                          unacknowledged for DURATION
  --keepalive DURATION    TCP keepalive: a probe after DURATION idle, then every DURATION
  --nodelay               TCP_NODELAY
  --mptcp                 Multipath TCP sockets (IPPROTO_MPTCP); where the kernel refuses
                          them (net.mptcp.enabled=0) the sockets are TCP ones
--source is not supported by dial scan (its engine binds no source yet), nor --fastopen (a
scan's connects send no data, and with a cached cookie a Fast Open connect succeeds before any
handshake).

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
  connect_flags connect;  ///< parsed, and refused until the engine takes socket options
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
    } else if (a == "--proxy" || a.starts_with("--proxy=")) {
      return std::unexpected(
          "--proxy does not apply to dial scan: the engine connects to every target directly "
          "(probe through a proxy with 'dial --proxy URL TARGET...')");
    } else if (a == "--json") {
      r.json = true;
    } else if (a == "-q" || a == "--quiet") {
      r.quiet = true;
    } else if (a == "-4" || a == "-6") {
      const auto want = a == "-4" ? family_filter::ipv4 : family_filter::ipv6;
      if (r.family != family_filter::any && r.family != want)
        return std::unexpected("-4 and -6 exclude each other");
      r.family = want;
    } else if (auto flag = take_connect_flag(r.connect, args, i); !flag) {
      return std::unexpected(flag.error());
    } else if (*flag) {
      // The engine (dial/engine.hpp) sets socket options and makes MPTCP sockets, but binds
      // no source, and a Fast Open connect with a cached cookie would "succeed" unasked.
      const std::string& given = r.connect.given.back();
      if (given == "--source")
        return std::unexpected(
            "--source is not supported by dial scan (its engine binds no source yet); 'dial "
            "TARGET' and 'dial why' take it");
      if (given == "--fastopen")
        return std::unexpected(
            "--fastopen is not supported by dial scan: its connects send no data, and with a "
            "cached cookie a Fast Open connect succeeds before any handshake; 'dial TARGET' and "
            "'dial pipe' take it");
      r.engine.socket = r.connect.socket;
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

// One input (-i) of the scan, open from the start so that a missing file is a usage error
// before anything is scanned.
struct scan_input {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file{nullptr, &std::fclose};
  std::string source;    ///< its name in messages: the file name, or "<stdin>"
  bool counted = false;  ///< a regular file: checked and counted by a first pass, then rewound
  long start = 0;        ///< where it was first read from (for the rewind)
};

int close_nothing(std::FILE* /*unused*/) { return 0; }

// Whether `f` is a regular file that can be read twice (a first pass counts its targets).
bool rereadable(std::FILE* f, long& start) {
  struct stat st {};
  if (::fstat(::fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) return false;
  start = std::ftell(f);
  return start >= 0;
}

// The inputs' lines, read a chunk at a time into the scan's plan (in order, one after another).
class input_feed {
 public:
  input_feed(std::vector<scan_input> inputs, word_kind kind)
      : inputs_(std::move(inputs)), kind_(kind) {}

  // Adds lines to `plan` until it holds chunk_targets targets past its first() or every input is
  // read. A failure is the bad line's message; the input is read no further.
  std::expected<void, std::string> fill(target_plan& plan) {
    try {
      while (at_ < inputs_.size()) {
        if (!reader_) reader_.emplace(inputs_[at_].file.get(), inputs_[at_].source, kind_);
        auto more = reader_->read(plan, chunk_targets);
        if (!more) {
          at_ = inputs_.size();
          return std::unexpected(std::move(more.error()));
        }
        if (*more) return {};
        reader_.reset();
        inputs_[at_].file.reset();  // read to its end: closed at once
        ++at_;
      }
      return {};
    } catch (const std::bad_alloc&) {  // what was read is freed by now, so the message fits
      at_ = inputs_.size();
      return std::unexpected("the targets do not fit in memory; split the scan");
    }
  }
  // Whether every input has been read to its end.
  [[nodiscard]] bool done() const noexcept { return at_ == inputs_.size(); }

 private:
  std::vector<scan_input> inputs_;
  word_kind kind_;
  std::size_t at_ = 0;
  std::optional<word_reader> reader_;
};

// What the scan starts with: the command line's words and the first chunk of the inputs held in
// `plan`, the rest of the inputs in `feed`; `total` the count of every target, when known before
// the scan (no input, every input a regular file, or streamed ones that fit in the first chunk).
struct scan_targets {
  target_plan plan;
  input_feed feed;
  std::optional<std::uint64_t> total;
};

// Opens the inputs; checks and counts the regular files' targets in a first pass that keeps
// none of them (`counter`, forgotten after each line), then rewinds them.
std::expected<std::vector<scan_input>, std::string> open_inputs(const scan_request& r,
                                                                target_plan& counter,
                                                                bool& counted_all) {
  const word_kind kind = r.ports ? word_kind::host : word_kind::target;
  std::vector<scan_input> inputs;
  bool stdin_taken = false;
  counted_all = true;
  for (const auto name : r.inputs) {
    scan_input in;
    if (name == "-") {
      if (stdin_taken) continue;  // read to its end by the first '-': nothing more to read
      stdin_taken = true;
      in.file = {stdin, &close_nothing};
      in.source = "<stdin>";
    } else {
      // Not inherited from the open on (std::ifstream has no way to ask for it).
      in.file = {std::fopen(std::string(name).c_str(), read_mode_no_inherit), &std::fclose};
      if (!in.file)
        return std::unexpected(
            fmt::format("cannot read '{}': {}", echo(name), std::strerror(errno)));
      in.source = std::string(name);
    }
    in.counted = rereadable(in.file.get(), in.start);
    if (in.counted) {
      word_reader reader(in.file.get(), in.source, kind);
      for (;;) {
        auto more = reader.read(counter, 1);
        if (!more) return std::unexpected(std::move(more.error()));
        counter.forget();
        if (!*more) break;
      }
      if (std::fseek(in.file.get(), in.start, SEEK_SET) != 0)
        return std::unexpected(
            fmt::format("cannot read '{}': {}", echo(in.source), std::strerror(errno)));
      std::clearerr(in.file.get());
    } else {
      counted_all = false;
    }
    inputs.push_back(std::move(in));
  }
  return inputs;
}

// Every target, in order: the command line's words, then each input's lines (the first chunk
// of them read now, the rest as the scan goes).
std::expected<scan_targets, std::string> collect_targets(const scan_request& r) {
  const word_kind kind = r.ports ? word_kind::host : word_kind::target;
  target_plan plan(r.ports ? *r.ports : port_list{}, r.family);
  for (const auto w : r.words) {
    auto ok = plan.add(w, kind);
    if (!ok) return std::unexpected(ok.error());
  }
  target_plan counter = plan;
  counter.forget();
  bool counted_all = true;
  auto inputs = open_inputs(r, counter, counted_all);
  if (!inputs) return std::unexpected(std::move(inputs.error()));
  scan_targets t{std::move(plan), input_feed(std::move(*inputs), kind), std::nullopt};
  if (auto ok = t.feed.fill(t.plan); !ok) return std::unexpected(std::move(ok.error()));
  if (t.feed.done()) {
    t.total = t.plan.size();
  } else if (counted_all) {
    t.total = counter.size();
  }
  if (t.plan.size() == 0) return std::unexpected("no target given");
  return t;
}

// "127.0.0.1, 65535 ports" for one host (one address) and a port list; "localhost (2
// addresses), 3 ports: 6 targets" for a name with more; "3 targets" otherwise; "65536 targets
// so far, more read as the scan goes" for an input streamed (from a pipe) past its first chunk.
// Every count is of what is scanned.
std::string header_text(const scan_request& r, std::size_t count, bool known) {
  const auto plural = [](std::size_t n, std::string_view what) {
    return fmt::format("{} {}{}", n, what, n == 1 ? "" : what.ends_with('s') ? "es" : "s");
  };
  if (!known) return fmt::format("{} so far, more read as the scan goes", plural(count, "target"));
  if (r.ports && r.words.size() == 1 && r.inputs.empty()) {
    const std::size_t ports = r.ports->ports.size();
    const std::string host = echo(r.words.front());
    if (count == ports) return fmt::format("{}, {}", host, plural(ports, "port"));
    return fmt::format("{} ({}), {}: {}", host, plural(count / ports, "address"),
                       plural(ports, "port"), plural(count, "target"));
  }
  return plural(count, "target");
}

// Runs the targets the plan holds through the engine, chunk_targets at a time: only one chunk
// of addresses is held. Returns the results delivered.
std::size_t run_held(engine& e, const target_plan& plan, std::vector<address>& chunk,
                     scan_sink& sink, const std::stop_source& stop) {
  std::size_t results = 0;
  for (std::uint64_t base = plan.first(); base < plan.size() && !stop.stop_requested();
       base += chunk.size()) {
    chunk.clear();
    for (std::uint64_t i = base; i < plan.size() && chunk.size() < chunk_targets; ++i)
      chunk.push_back(plan.at(i));
    sink.begin_chunk(base, chunk.size());
    results += e.run(chunk, sink, stop.get_token());
  }
  return results;
}

// Runs every target: what the plan holds, then (forgetting each chunk once it is scanned) the
// rest of the inputs, a chunk at a time. A bad line met on the way (a streamed input is not
// checked before the scan) ends the scan with its message.
std::expected<scan_end, std::string> run_chunks(engine& e, scan_targets& t, scan_sink& sink,
                                                const std::stop_source& stop) {
  std::vector<address> chunk;
  chunk.reserve(static_cast<std::size_t>(
      std::min<std::uint64_t>(t.plan.size() - t.plan.first(), chunk_targets)));
  scan_end end;
  const auto start = std::chrono::steady_clock::now();
  for (;;) {
    end.results += run_held(e, t.plan, chunk, sink, stop);
    if (stop.stop_requested() || t.feed.done()) break;
    t.plan.forget();
    if (auto ok = t.feed.fill(t.plan); !ok) return std::unexpected(std::move(ok.error()));
  }
  end.elapsed = std::chrono::steady_clock::now() - start;
  return end;
}

// The engine's options: r's, with --backend auto made epoll for a scan of loopback addresses only
// (every target known: no input left to stream). On loopback a connect's answer is there when
// connect returns (the handshake or the RST ran in the connecting CPU's softirq work), so epoll
// asks connect once more and is done (docs/engine.md, "Asked again on loopback"), where
// io_uring's CONNECT always arms a poll and runs the connect again from task work. A scan of
// one host's ports is mostly closed ones: the full-port scan of 127.0.0.1, 12 runs each way,
// took 0.201 s (median) with epoll and 0.220 s with io_uring. (4 000 open ports of 127.0.0.1 in
// a row take 0.05 s either way, io_uring about 8% less.) Windows has one back-end.
engine_options scan_engine_options(const scan_request& r, const scan_targets& t) {
  engine_options o = r.engine;
#ifndef _WIN32
  if (o.backend == engine_backend::automatic && t.feed.done() && t.plan.all_loopback())
    o.backend = engine_backend::epoll;
#else
  (void)t;
#endif
  return o;
}

int run_scan(const scan_request& r, scan_targets& t) {
  block_stop_signals();  // before the engine's threads exist, so they inherit the mask
  auto e = engine::create(scan_engine_options(r, t));
  if (!e) {
    fmt::print(stderr, "dial scan: the {} engine cannot start: {}\n", dial::name(r.engine.backend),
               dial::name(e.error()));
    return exit_usage;
  }
  const auto first_count = static_cast<std::size_t>(t.total ? *t.total : t.plan.size());
  scan_setup setup{e->backend(), e->threads(),  e->concurrency(),       r.engine.timeout,
                   first_count,  r.engine.rate, options_text(r.connect)};
  if (!r.json) print_scan_header(setup, header_text(r, first_count, t.total.has_value()));

  std::stop_source stop;
  scan_sink sink(r.json, r.show_closed, stop);
  const bool bar = !r.json && !r.quiet && ::isatty(STDERR_FILENO) == 1;
  std::expected<scan_end, std::string> end;
  bool interrupted = false;
  {
    scan_monitor monitor(t.total ? first_count : unknown_total, bar, stop, sink.done);
    end = run_chunks(*e, t, sink, stop);
    monitor.finish();
    interrupted = monitor.interrupted();
  }
  // A bad line of a streamed input: the results of the chunks before it were printed (with
  // --json), the report and the summary are not; the scan is a usage error.
  if (!end) return usage_error(end.error());
  end->interrupted = interrupted;
  // Every target read: the count of what was scanned (the first pass's count, unless the file
  // or a name's addresses changed since). Stopped early: what was counted before, or read.
  const std::uint64_t read = t.plan.size();
  setup.targets = static_cast<std::size_t>(
      t.feed.done() && !end->interrupted ? read : std::max<std::uint64_t>(read, first_count));
  if (r.json) {
    sink.print_json_summary(setup, *end);
  } else {
    sink.print_report(setup, *end);
  }
  if (end->interrupted) return exit_interrupted;
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
  std::optional<std::expected<scan_targets, std::string>> targets;
  try {
    targets.emplace(collect_targets(*r));
  } catch (const std::bad_alloc&) {  // what was read is freed by now, so the message fits
    return usage_error("the targets do not fit in memory; split the scan");
  }
  if (!*targets) return usage_error(targets->error());
  return run_scan(*r, **targets);
}

}  // namespace dial::cli
