// bench/asio_bench.cpp: N concurrent connects to "localhost" on one io_context thread:
// dial::asio::async_connect_to_host against Asio's own async_resolve + async_connect, and Asio's
// async_connect to the endpoint already known, side by side, with the heap bytes each keeps per
// connect in flight. Runs in a network namespace of its own (needs root): the flood of loopback
// connects disturbs nobody, and getaddrinfo has no route off the machine.
//
//   dial_asio_bench [--count N] [--rounds R]
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>

#include <malloc.h>
#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <new>
#include <string>
#include <string_view>
#include <vector>

#include "dial/asio.hpp"

// ---- heap accounting: live bytes and their peak, for every thread ------------------------------
namespace {
std::atomic<long long> live_bytes{0};
std::atomic<long long> peak_bytes{0};
void count(long long d) {
  const long long now = live_bytes.fetch_add(d, std::memory_order_relaxed) + d;
  long long p = peak_bytes.load(std::memory_order_relaxed);
  while (now > p && !peak_bytes.compare_exchange_weak(p, now, std::memory_order_relaxed)) {
  }
}
}  // namespace

void* operator new(std::size_t n) {
  void* p = std::malloc(n == 0 ? 1 : n);
  if (p == nullptr) throw std::bad_alloc();
  count(static_cast<long long>(malloc_usable_size(p)));
  return p;
}
void operator delete(void* p) noexcept {
  if (p == nullptr) return;
  count(-static_cast<long long>(malloc_usable_size(p)));
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept { operator delete(p); }

namespace {

namespace net = boost::asio;
using tcp = net::ip::tcp;
using clock_type = std::chrono::steady_clock;

constexpr const char* usage =
    "Usage: dial_asio_bench [--count N] [--rounds R] [--only dial|resolve|connect]\n"
    "  N connects to localhost at once on one io_context thread, three ways: dial's\n"
    "  async_connect_to_host, Asio's async_resolve + async_connect, Asio's async_connect to the\n"
    "  endpoint. Prints the median time of R rounds (default 5), the median of each round's ratio\n"
    "  dial/this, and the peak heap bytes per connect in flight. Needs root: it runs in a\n"
    "  network namespace of its own. N defaults to 10000. --only runs one way alone, once,\n"
    "  without a warm-up (for callgrind).\n";

struct args {
  int count = 10'000;
  int rounds = 5;
  int only = -1;  // --only dial|resolve|connect: one way alone (for callgrind); -1: all three
};

bool parse_int(std::string_view s, int& out) {
  const auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return r.ec == std::errc{} && r.ptr == s.data() + s.size() && out > 0;
}

// Parses everything before any socket is opened; false (and a message) on a usage error.
bool parse(int argc, char** argv, args& a, bool& help) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      help = true;
      return true;
    }
    if (arg == "--only" && i + 1 < argc) {
      const std::string_view w = argv[++i];
      a.only = w == "dial" ? 0 : w == "resolve" ? 1 : w == "connect" ? 2 : -2;
      if (a.only == -2) {
        std::fprintf(stderr, "dial_asio_bench: --only takes dial, resolve or connect\n");
        return false;
      }
      continue;
    }
    int* target = arg == "--count" ? &a.count : arg == "--rounds" ? &a.rounds : nullptr;
    if (target == nullptr) {
      std::fprintf(stderr, "dial_asio_bench: unknown argument '%s'\n", argv[i]);
      return false;
    }
    if (i + 1 == argc || !parse_int(argv[i + 1], *target)) {
      std::fprintf(stderr, "dial_asio_bench: %s needs a positive number\n", argv[i]);
      return false;
    }
    ++i;
  }
  return true;
}

bool own_network_namespace() {
  if (::unshare(CLONE_NEWNET) != 0) return false;
  const int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  const bool up = s >= 0 && ::ioctl(s, SIOCGIFFLAGS, &ifr) == 0 &&
                  (ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP),
                   ::ioctl(s, SIOCSIFFLAGS, &ifr) == 0);
  if (s >= 0) ::close(s);
  std::ofstream("/proc/sys/net/core/somaxconn") << 65535;  // this namespace's own
  return up;
}

// A listener whose backlog holds every connect of a round (none is accepted).
int listener(std::uint16_t& port, int backlog) {
  const int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (::bind(s, reinterpret_cast<sockaddr*>(&a), len) != 0 || ::listen(s, backlog) != 0 ||
      ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len) != 0)
    std::exit(1);
  port = ntohs(a.sin_port);
  return s;
}

struct round_result {
  double ms = 0;
  double bytes_per_connect = 0;
  int failed = 0;
};

enum class way { dial, asio_resolve_connect, asio_connect };

round_result one_round(way w, int n) {
  std::uint16_t port = 0;
  const int l = listener(port, n + 16);
  round_result r;
  {
    net::io_context io(1);
    std::vector<tcp::socket> done;
    done.reserve(static_cast<std::size_t>(n));
    tcp::resolver resolver(io);
    const std::string service = std::to_string(port);
    const tcp::endpoint ep(net::ip::address_v4::loopback(), port);
    dial::connect_to_host_options options;  // localhost: the hosts file, no query
    const long long base = live_bytes.load();
    peak_bytes.store(base);
    const auto start = clock_type::now();
    for (int i = 0; i < n; ++i) {
      switch (w) {
        case way::dial:
          dial::asio::async_connect_to_host(
              io.get_executor(), "localhost", port, options,
              [&](std::error_code ec, tcp::socket s, dial::race_report) {
                r.failed += ec ? 1 : 0;
                done.push_back(std::move(s));
              });
          break;
        case way::asio_resolve_connect:
          resolver.async_resolve(
              "localhost", service,
              [&](boost::system::error_code ec, tcp::resolver::results_type found) {
                if (ec) {
                  ++r.failed;
                  return;
                }
                auto& s = done.emplace_back(io);
                net::async_connect(s, found,
                                   [&](boost::system::error_code e, const tcp::endpoint&) {
                                     r.failed += e ? 1 : 0;
                                   });
              });
          break;
        case way::asio_connect: {
          auto& s = done.emplace_back(io);
          s.async_connect(ep, [&](boost::system::error_code e) { r.failed += e ? 1 : 0; });
          break;
        }
      }
    }
    io.run();
    r.ms = std::chrono::duration<double, std::milli>(clock_type::now() - start).count();
    r.bytes_per_connect = static_cast<double>(peak_bytes.load() - base) / n;
    for (auto& s : done) {  // untimed: RST, so that no port waits in TIME_WAIT for the next round
      boost::system::error_code ignored;
      s.set_option(net::socket_base::linger(true, 0), ignored);
    }
  }
  ::close(l);
  return r;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  args a;
  bool help = false;
  if (!parse(argc, argv, a, help)) {
    std::fputs(usage, stderr);
    return 2;
  }
  if (help) {
    std::fputs(usage, stdout);
    return 0;
  }
  rlimit nofile{};
  ::getrlimit(RLIMIT_NOFILE, &nofile);
  if (static_cast<rlim_t>(a.count) + 64 > nofile.rlim_cur) {
    std::fprintf(stderr,
                 "dial_asio_bench: --count %d needs more descriptors than RLIMIT_NOFILE %llu\n",
                 a.count, static_cast<unsigned long long>(nofile.rlim_cur));
    return 2;
  }
  if (!own_network_namespace()) {
    std::fprintf(stderr, "dial_asio_bench: cannot enter a network namespace of its own (root?)\n");
    return 1;
  }
  const way ways[] = {way::dial, way::asio_resolve_connect, way::asio_connect};
  if (a.only >= 0) {
    const auto r = one_round(ways[a.only], a.count);
    std::printf("%.1f ms, %.0f bytes per connect, %d failed\n", r.ms, r.bytes_per_connect,
                r.failed);
    return r.failed == 0 ? 0 : 1;
  }
  const char* names[] = {"dial async_connect_to_host(\"localhost\")",
                         "Asio async_resolve + async_connect", "Asio async_connect (endpoint)"};
  std::vector<double> ms[3], bytes[3], ratio[3];  // ratio: dial's time over this one's, per round
  int failed = 0;
  for (int k = 0; k < 3; ++k) one_round(ways[k], std::min(a.count, 1000));  // warm-up
  for (int round = 0; round < a.rounds; ++round)
    for (int k = 0; k < 3; ++k) {
      const int j = (k + round) % 3;  // rotate the order from round to round
      const auto r = one_round(ways[j], a.count);
      ms[j].push_back(r.ms);
      bytes[j].push_back(r.bytes_per_connect);
      failed += r.failed;
    }
  for (int k = 0; k < 3; ++k)
    for (int round = 0; round < a.rounds; ++round)
      ratio[k].push_back(ms[0][static_cast<std::size_t>(round)] /
                         ms[k][static_cast<std::size_t>(round)]);
  std::printf("%d connects at once to localhost, one thread, median of %d rounds\n", a.count,
              a.rounds);
  std::printf("%-42s %10s %10s %10s %14s\n", "", "time (ms)", "dial/this", "(min-max)",
              "bytes/connect");
  for (int k = 0; k < 3; ++k)
    std::printf("%-42s %10.1f %9.3fx %4.2f-%4.2f %14.0f\n", names[k], median(ms[k]),
                median(ratio[k]), *std::min_element(ratio[k].begin(), ratio[k].end()),
                *std::max_element(ratio[k].begin(), ratio[k].end()), median(bytes[k]));
  if (failed != 0) std::printf("failed connects: %d\n", failed);
  return failed == 0 ? 0 : 1;
}
