// bench/dialer_bench.cpp: dial::connect_to_host against what a careful C programmer writes, side
// by side in one run on loopback: "localhost" against getaddrinfo + socket + connect, and a
// numeric host against socket + connect. Method and figures: docs/benchmarks.md.
#include <netdb.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "dial/dialer.hpp"
#include "loopback.hpp"

namespace {

using clock_type = std::chrono::steady_clock;

constexpr unsigned port_count = 32;  // one port caps sustained connects at about 14 000/s
constexpr int block = 16;            // connects per timed block

struct settings {
  int rounds = 15;     // repetitions, each a median over its block pairs
  int pairs = 400;     // block pairs per repetition
  bool quick = false;  // --quick: 3 rounds of 100 pairs (a smoke run)
};

const char* const usage =
    "Usage: dial_dialer_bench [--rounds N] [--pairs N] [--quick]\n"
    "Times dial::connect_to_host against the raw calls on loopback, in blocks that alternate:\n"
    "  localhost: connect_to_host(\"localhost\", port) vs getaddrinfo + socket + connect\n"
    "  numeric:   connect_to_host(\"127.0.0.1\", port) vs socket + connect\n"
    "  owner:     connect_to_address(127.0.0.1:port) vs socket + connect (layer 2, no race)\n"
    "  a/a:       socket + connect against itself: the noise floor of the ratio\n"
    "Each connection is closed at once; 32 listeners (SO_LINGER 0) on the second CPU accept.\n"
    "Runs inside its own network namespace (needs root: unshare(CLONE_NEWNET)).\n"
    "  --rounds N  repetitions (default 15); the ratio reported is their median\n"
    "  --pairs N   block pairs of 16 connects each per repetition (default 400)\n"
    "  --quick     3 rounds of 100 pairs\n";

bool parse(int argc, char** argv, settings& s) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    auto number = [&](int& out) {
      if (i + 1 >= argc) return false;
      out = std::atoi(argv[++i]);
      return out > 0 && out <= 100000;
    };
    if (a == "--help" || a == "-h") {
      std::fputs(usage, stdout);
      std::exit(0);
    }
    if (a == "--rounds" ? !number(s.rounds) : a == "--pairs" ? !number(s.pairs) : false) {
      std::fprintf(stderr, "dial_dialer_bench: %s needs a number from 1 to 100000\n", argv[i - 1]);
      return false;
    }
    if (a == "--quick") {
      s.quick = true;
      s.rounds = 3;
      s.pairs = 100;
    } else if (a != "--rounds" && a != "--pairs") {
      std::fprintf(stderr, "dial_dialer_bench: unknown argument '%s'\n%s", argv[i], usage);
      return false;
    }
  }
  return true;
}

std::vector<std::uint16_t> g_ports;
std::vector<std::string> g_port_text;

// What a careful C programmer writes for a host name: getaddrinfo (numeric service, no
// AI_ADDRCONFIG: its netlink query per call would make the baseline weaker), then the first
// address that connects.
bool raw_localhost(unsigned i) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* res = nullptr;
  if (::getaddrinfo("localhost", g_port_text[i].c_str(), &hints, &res) != 0) return false;
  bool ok = false;
  for (const addrinfo* ai = res; ai != nullptr && !ok; ai = ai->ai_next) {
    const int fd = ::socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) continue;
    ok = ::connect(fd, ai->ai_addr, ai->ai_addrlen) == 0;
    ::close(fd);
  }
  ::freeaddrinfo(res);
  return ok;
}

bool raw_numeric(unsigned i) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(g_ports[i]);
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  const bool ok = ::connect(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

template <const char* Host>
bool dial_host(unsigned i) {
  auto c = dial::connect_to_host(Host, g_ports[i]);
  return c.has_value();  // the owned socket closes here
}

// dial::connect_to_address (layer 2: socket + connect, no race): where the race's cost begins.
bool dial_owner(unsigned i) {
  static const dial::address base = *dial::address::parse("127.0.0.1:1");
  return dial::connect_to_address(base.with_port(g_ports[i])).has_value();
}

constexpr char localhost[] = "localhost";
constexpr char numeric[] = "127.0.0.1";

using call = bool (*)(unsigned);

// One repetition: `pairs` pairs of blocks, raw and dial alternating (the order swapped every
// pair), each block timed on its own; the median over pairs of dial's time over raw's.
double repetition(call raw, call dial_call, int pairs, unsigned& next) {
  std::vector<double> ratios;
  ratios.reserve(static_cast<std::size_t>(pairs));
  bool dial_first = false;
  for (int p = 0; p < pairs; ++p) {
    clock_type::duration t[2]{};
    for (int half = 0; half < 2; ++half) {
      const bool is_dial = (half == 0) == dial_first;
      const auto t0 = clock_type::now();
      for (int k = 0; k < block; ++k)
        if (!(is_dial ? dial_call : raw)(next++ % port_count)) bench::die("a connect failed");
      t[is_dial ? 1 : 0] = clock_type::now() - t0;
    }
    ratios.push_back(std::chrono::duration<double>(t[1]) / t[0]);
    dial_first = !dial_first;
  }
  const auto mid = ratios.begin() + static_cast<std::ptrdiff_t>(ratios.size() / 2);
  std::nth_element(ratios.begin(), mid, ratios.end());
  return *mid;
}

double median(std::vector<double> v) {
  const auto mid = v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2);
  std::nth_element(v.begin(), mid, v.end());
  return *mid;
}

// Time per call of one variant alone, for the table (µs).
double per_call_us(call f, int n, unsigned& next) {
  const auto t0 = clock_type::now();
  for (int k = 0; k < n; ++k)
    if (!f(next++ % port_count)) bench::die("a connect failed");
  return std::chrono::duration<double, std::micro>(clock_type::now() - t0).count() / n;
}

}  // namespace

int main(int argc, char** argv) {
  settings s;
  if (!parse(argc, argv, s)) return 2;  // before any socket is opened
  // A private network namespace before the first socket: the listeners and every connect stay in
  // it.
  if (!bench::enter_own_netns()) bench::die("unshare(CLONE_NEWNET) (run as root)");
  const std::vector<int> cpus = bench::allowed_cpus();
  const int server_cpu = cpus.size() > 1 ? cpus[1] : -1;
  bench::pin_this_thread(cpus.front());
  const bench::listeners l(port_count, 4096, true);
  for (const auto& a : l.addrs) {
    g_ports.push_back(ntohs(a.sin_port));
    g_port_text.push_back(std::to_string(ntohs(a.sin_port)));
  }
  const bench::acceptor acc(l, server_cpu);
  unsigned next = 0;
  for (int w = 0; w < 2000; ++w) (void)dial_host<localhost>(next++ % port_count);  // warm up
  std::printf(
      "dial_dialer_bench: %d rounds x %d pairs of %d-connect blocks, client CPU %d, "
      "listener CPU %d\n",
      s.rounds, s.pairs, block, cpus.front(), server_cpu);
  struct variant {
    const char* name;
    call raw;
    call dial_call;
    std::vector<double> ratios;
  } variants[] = {{"localhost", raw_localhost, dial_host<localhost>, {}},
                  {"numeric", raw_numeric, dial_host<numeric>, {}},
                  {"owner", raw_numeric, dial_owner, {}},
                  {"a/a", raw_numeric, raw_numeric, {}}};
  for (int r = 0; r < s.rounds; ++r)
    for (auto& v : variants) v.ratios.push_back(repetition(v.raw, v.dial_call, s.pairs, next));
  for (auto& v : variants) {
    const double raw_us = per_call_us(v.raw, 2000, next);
    const double dial_us = per_call_us(v.dial_call, 2000, next);
    const auto [lo, hi] = std::minmax_element(v.ratios.begin(), v.ratios.end());
    std::printf(
        "summary %-9s raw %.2f us/call, dial %.2f us/call, dial/raw %.4f "
        "(median of %d rounds; min %.4f, max %.4f)\n",
        v.name, raw_us, dial_us, median(v.ratios), s.rounds, *lo, *hi);
  }
  return 0;
}
