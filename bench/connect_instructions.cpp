// bench/connect_instructions.cpp: N loopback socket + connect + close for callgrind, with one
// call (or all three) through dial and the rest raw, so that the difference between two runs is
// exactly what dial adds to that call. Driven by bench/instructions.sh; method in
// docs/benchmarks.md.
//
//   dial_connect_instructions <connect|socket|close|all> <raw|dial> [N]
//
// Only the measured loop is counted: run under
// `valgrind --tool=callgrind --collect-atstart=no`; the loop is bracketed by
// CALLGRIND_TOGGLE_COLLECT. Outside valgrind the toggles are no-ops and the program just runs.
#include <valgrind/callgrind.h>

#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "dial/sys.hpp"
#include "loopback.hpp"

namespace {

// Destinations round-robin; the backlog holds every connection of a run (nothing accepts until
// the loop is over, so valgrind's serialised threads cannot perturb the count).
constexpr int port_count = 16;
constexpr int backlog = 4096;
constexpr int warmup = 2 * port_count;  // resolves lazy PLT bindings before counting starts

enum class part { connect, socket, close, all };

[[noreturn, gnu::cold, gnu::noinline]] void fail(const char* what) { bench::die(what); }

// One iteration: socket, connect, close; each through dial when the part says so, else raw.
template <part P, bool Dial>
[[gnu::always_inline]] inline void one(const sockaddr* a) {
  constexpr bool dial_socket = Dial && (P == part::socket || P == part::all);
  constexpr bool dial_connect = Dial && (P == part::connect || P == part::all);
  constexpr bool dial_close = Dial && (P == part::close || P == part::all);
  int fd;
  if constexpr (dial_socket) {
    const auto r = dial::socket(AF_INET, SOCK_STREAM, 0);
    if (!r) [[unlikely]]
      fail("dial::socket");
    fd = *r;
  } else {
    fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) [[unlikely]]
      fail("socket");
  }
  if constexpr (dial_connect) {
    if (!dial::connect(fd, a, sizeof(sockaddr_in))) [[unlikely]]
      fail("dial::connect");
  } else {
    if (::connect(fd, a, sizeof(sockaddr_in)) != 0) [[unlikely]]
      fail("connect");
  }
  if constexpr (dial_close) {
    dial::close(fd);
  } else {
    ::close(fd);
  }
}

template <part P, bool Dial>
[[gnu::noinline]] void loop(const sockaddr_in* addrs, int n) {
  for (int i = 0; i < n; ++i)
    one<P, Dial>(reinterpret_cast<const sockaddr*>(&addrs[i % port_count]));
}

template <part P, bool Dial>
void run(const sockaddr_in* addrs, int n) {
  loop<P, Dial>(addrs, warmup);
  CALLGRIND_TOGGLE_COLLECT;
  loop<P, Dial>(addrs, n);
  CALLGRIND_TOGGLE_COLLECT;
}

template <part P>
void run(bool dial, const sockaddr_in* addrs, int n) {
  if (dial)
    run<P, true>(addrs, n);
  else
    run<P, false>(addrs, n);
}

constexpr const char* usage_text =
    "Usage: dial_connect_instructions <connect|socket|close|all> <raw|dial> [N]\n"
    "N loopback socket + connect + close for callgrind (bench/instructions.sh runs it), in its\n"
    "own network namespace (root: unshare(CLONE_NEWNET)).\n";

[[noreturn]] void usage() {
  std::fputs(usage_text, stderr);
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 2 && (std::string_view(argv[1]) == "--help" || std::string_view(argv[1]) == "-h")) {
    std::fputs(usage_text, stdout);
    return 0;
  }
  // Every argument is checked before any socket is opened.
  if (argc < 3 || argc > 4) usage();
  const std::string_view which = argv[1], variant = argv[2];
  if (variant != "raw" && variant != "dial") usage();
  if (which != "connect" && which != "socket" && which != "close" && which != "all") usage();
  const bool dial = variant == "dial";
  const int n = argc == 4 ? std::atoi(argv[3]) : 1000;
  if (n <= 0 || n + warmup > port_count * backlog) usage();

  if (!bench::enter_own_netns()) bench::die("unshare(CLONE_NEWNET) (run as root)");
  const bench::listeners l(port_count, backlog, /*linger0=*/true);
  const sockaddr_in* addrs = l.addrs.data();
  if (which == "connect")
    run<part::connect>(dial, addrs, n);
  else if (which == "socket")
    run<part::socket>(dial, addrs, n);
  else if (which == "close")
    run<part::close>(dial, addrs, n);
  else if (which == "all")
    run<part::all>(dial, addrs, n);
  else
    usage();

  // Every connect must have reached a listener, or the count is not the success path's.
  const long accepted = l.drain_all();
  if (accepted != n + warmup) {
    std::fprintf(stderr, "bench: %ld connections accepted, expected %d\n", accepted, n + warmup);
    return 3;
  }
  std::printf("%s %s: %d iterations measured\n", argv[1], argv[2], n);
  return 0;
}
