// bench/connect_bench.cpp: loopback TCP socket + connect + close per iteration, dial against the
// raw system calls, side by side in one process. Method and figures: docs/benchmarks.md.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "dial/sys.hpp"
#include "loopback.hpp"

namespace {

// 32 destination ports round-robin: one port caps sustained connects at about 14 000/s.
constexpr unsigned port_count = 32;
static_assert((port_count & (port_count - 1)) == 0, "a power of two: the index is a mask");

// Who avoids TIME_WAIT (--linger=). The client always closes first; the acceptor closes its end
// when the client's FIN arrives. listener (default): the listeners carry SO_LINGER {1, 0}, so the
// server answers the FIN with a RST that also ends the client's FIN_WAIT2 socket; no TIME_WAIT
// anywhere and the client loop stays exactly socket + connect + close. client: the client sets
// SO_LINGER {1, 0} and closes with a RST (one more setsockopt per iteration, in both variants).
// none: an orderly close; every client socket spends 60 s in TIME_WAIT (loopback's
// tcp_tw_reuse=2 recycles its port after one second) until tcp_max_tw_buckets is reached, after
// which the kernel skips TIME_WAIT: conditions change during the run, so it is not the default.
enum class linger_mode { listener, client, none };
linger_mode g_linger = linger_mode::listener;
std::vector<sockaddr_in> g_addrs;

void client_linger0(int fd) {
  const linger l{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
}

// One socket + connect + close through the raw calls: what a careful C programmer writes
// (close-on-exec, as dial::socket always sets). Returns an error text, or an empty string.
[[gnu::always_inline]] inline std::string raw_once(const sockaddr_in& a, bool linger) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) [[unlikely]]
    return std::strerror(errno);
  if (linger) client_linger0(fd);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0) [[unlikely]] {
    std::string e = std::strerror(errno);
    ::close(fd);
    return e;
  }
  ::close(fd);
  return {};
}

// The same through dial's layer-1 calls.
[[gnu::always_inline]] inline std::string dial_once(const sockaddr_in& a, bool linger) {
  const auto fd = dial::socket(AF_INET, SOCK_STREAM, 0);
  if (!fd) [[unlikely]]
    return std::string(dial::name(fd.error()));
  if (linger) client_linger0(*fd);
  if (const auto r = dial::connect(*fd, reinterpret_cast<const sockaddr*>(&a), sizeof a); !r)
      [[unlikely]] {
    dial::close(*fd);
    return std::string(dial::name(r.error()));
  }
  dial::close(*fd);
  return {};
}

template <bool Dial>
void loop(benchmark::State& state) {
  const bool linger = g_linger == linger_mode::client;
  unsigned i = 0;
  for (auto _ : state) {
    const sockaddr_in& a = g_addrs[i++ % port_count];
    if (std::string e = Dial ? dial_once(a, linger) : raw_once(a, linger); !e.empty())
        [[unlikely]] {
      state.SkipWithError(e.c_str());
      break;
    }
  }
  state.counters["connects"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

// Both variants in one timed loop, in blocks that alternate (and swap order every iteration), each
// block timed on its own: slow phases of the machine (other processes on the two CPUs) hit both
// variants alike within a few milliseconds. One iteration = `block` connects of each variant.
constexpr int block = 16;

// With Dial false both halves are raw: an A/A run that shows the noise floor of the ratio.
template <bool Dial>
void alternating(benchmark::State& state) {
  const bool linger = g_linger == linger_mode::client;
  using clock = std::chrono::steady_clock;
  clock::duration t_raw{}, t_dial{}, last_raw{}, last_dial{};
  std::vector<double> pair_ratios;  // per block pair: dial's rate over raw's
  unsigned i = 0;
  bool dial_first = false;
  std::string e;
  auto run_block = [&](bool dial) {
    const auto t0 = clock::now();
    for (int k = 0; k < block && e.empty(); ++k) {
      const sockaddr_in& a = g_addrs[i++ % port_count];
      e = Dial && dial ? dial_once(a, linger) : raw_once(a, linger);
    }
    (dial ? last_dial : last_raw) = clock::now() - t0;
  };
  for (auto _ : state) {
    run_block(dial_first);
    run_block(!dial_first);
    dial_first = !dial_first;
    if (!e.empty()) [[unlikely]] {
      state.SkipWithError(e.c_str());
      break;
    }
    t_raw += last_raw;
    t_dial += last_dial;
    pair_ratios.push_back(std::chrono::duration<double>(last_raw) / last_dial);
  }
  if (pair_ratios.empty()) return;
  const double n = static_cast<double>(pair_ratios.size()) * block;
  state.counters["raw_connects_per_s"] = n / std::chrono::duration<double>(t_raw).count();
  state.counters["dial_connects_per_s"] = n / std::chrono::duration<double>(t_dial).count();
  // The median over block pairs: a pair in which another process took the CPU from one block
  // (a scheduler slice is several blocks long) is an outlier, not a shift of the median.
  const auto mid = pair_ratios.begin() + static_cast<std::ptrdiff_t>(pair_ratios.size() / 2);
  std::nth_element(pair_ratios.begin(), mid, pair_ratios.end());
  state.counters["dial_over_raw"] = *mid;
}

BENCHMARK(loop<false>)->Name("connect_loop/raw")->UseRealTime();
BENCHMARK(loop<true>)->Name("connect_loop/dial")->UseRealTime();
BENCHMARK(alternating<true>)->Name("connect_loop/alternating")->UseRealTime();
BENCHMARK(alternating<false>)->Name("connect_loop/alternating_aa")->UseRealTime();

// The console table, then a summary of the medians: the two rates and dial/raw.
class summary_reporter : public benchmark::ConsoleReporter {
 public:
  using ConsoleReporter::ConsoleReporter;
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& r : runs)
      if (r.run_type == Run::RT_Aggregate && !r.error_occurred &&
          (r.aggregate_name == "median" || r.aggregate_name == "cv"))
        for (const auto& [name, counter] : r.counters)
          medians_[r.run_name.function_name + " " + name + " " + r.aggregate_name] = counter.value;
  }
  void Finalize() override {
    ConsoleReporter::Finalize();
    auto& out = GetOutputStream();
    char line[240];
    const double raw = get("connect_loop/raw connects median");
    const double dial = get("connect_loop/dial connects median");
    if (raw > 0 && dial > 0) {
      std::snprintf(line, sizeof line,
                    "summary separate: raw %.0f/s, dial %.0f/s, dial/raw %.4f (medians; cv %.1f%% "
                    "and %.1f%%)\n",
                    raw, dial, dial / raw, 100 * get("connect_loop/raw connects cv"),
                    100 * get("connect_loop/dial connects cv"));
      out << line;
    }
    for (const std::string name : {"alternating", "alternating_aa"}) {
      const std::string b = "connect_loop/" + name + " ";
      const double ratio = get(b + "dial_over_raw median");
      if (ratio < 0) continue;
      std::snprintf(line, sizeof line,
                    "summary %s: raw %.0f/s, dial %.0f/s, dial/raw %.4f (median over repetitions "
                    "of the per-repetition median over block pairs; cv %.2f%%)\n",
                    name.c_str(), get(b + "raw_connects_per_s median"),
                    get(b + "dial_connects_per_s median"), ratio,
                    100 * get(b + "dial_over_raw cv"));
      out << line;
    }
  }

 private:
  double get(const std::string& key) const {
    const auto it = medians_.find(key);
    return it == medians_.end() ? -1 : it->second;
  }
  std::map<std::string, double> medians_;  // "benchmark counter aggregate" -> value
};

// Our own flags, taken out of argv before Google Benchmark sees it.
int parse_own_flags(int argc, char** argv) {
  int out = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--linger=listener") {
      g_linger = linger_mode::listener;
    } else if (a == "--linger=client") {
      g_linger = linger_mode::client;
    } else if (a == "--linger=none") {
      g_linger = linger_mode::none;
    } else {
      argv[out++] = argv[i];
    }
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  argc = parse_own_flags(argc, argv);

  // Defaults first, so that the caller's flags (later on the line) override them: repetitions
  // interleaved at random so both variants see the same conditions; medians are what to read.
  std::vector<char*> args{argv[0]};
  std::string defaults[] = {"--benchmark_repetitions=20", "--benchmark_min_time=0.4",
                            "--benchmark_enable_random_interleaving=true",
                            "--benchmark_report_aggregates_only=true", "--benchmark_filter=-_aa"};
  for (auto& d : defaults) args.push_back(d.data());
  for (int i = 1; i < argc; ++i) args.push_back(argv[i]);
  int n = static_cast<int>(args.size());
  benchmark::Initialize(&n, args.data());
  if (benchmark::ReportUnrecognizedArguments(n, args.data())) return 1;

  // A private network namespace before the first socket: the listeners and the connect loops
  // stay inside it, away from other programs' listeners on the host's loopback.
  if (!bench::enter_own_netns()) bench::die("unshare(CLONE_NEWNET) (run as root)");
  // The client (this thread, which runs every benchmark) and the acceptor on different CPUs.
  const std::vector<int> cpus = bench::allowed_cpus();
  const int client_cpu = cpus.front();
  const int server_cpu = cpus.size() > 1 ? cpus[1] : -1;
  if (server_cpu < 0) std::fprintf(stderr, "bench: one CPU only: client and listener share it\n");
  bench::pin_this_thread(client_cpu);

  const bench::listeners l(port_count, 4096, g_linger == linger_mode::listener);
  g_addrs = l.addrs;
  const long overflows = bench::tcp_ext("ListenOverflows");
  {
    const bench::acceptor acc(l, server_cpu);
    benchmark::AddCustomContext("client_cpu", std::to_string(client_cpu));
    benchmark::AddCustomContext("listener_cpu", std::to_string(server_cpu));
    benchmark::AddCustomContext("ports", std::to_string(port_count));
    benchmark::AddCustomContext("linger", g_linger == linger_mode::listener ? "listener"
                                          : g_linger == linger_mode::client ? "client"
                                                                            : "none");
    summary_reporter reporter(::isatty(STDOUT_FILENO) ? summary_reporter::OO_Defaults
                                                      : summary_reporter::OO_Tabular);
    benchmark::RunSpecifiedBenchmarks(&reporter);
  }
  benchmark::Shutdown();
  // A listen-queue overflow drops a SYN and costs a 1 s retransmit: the run would be invalid.
  const long after = bench::tcp_ext("ListenOverflows");
  if (overflows >= 0 && after > overflows) {
    std::fprintf(stderr, "bench: WARNING: %ld listen-queue overflows during the run\n",
                 after - overflows);
    return 3;
  }
  return 0;
}
