// bench/fault_loop.cpp: N loopback connects, one after another (socket, connect, close with
// SO_LINGER 0 so no TIME_WAIT piles up), to a listener of its own whose thread accepts and closes;
// prints the time per connect. bench/fault_bench.sh runs it with and without `dial fault`.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>

int main(int argc, char** argv) {
  const long n = argc > 1 ? std::strtol(argv[1], nullptr, 10) : 0;
  if (n <= 0) {
    std::fputs("usage: dial_fault_loop N   (N loopback connects; prints us per connect)\n", stderr);
    return 2;
  }
  const int l = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (::bind(l, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(l, 4096) != 0 ||
      ::getsockname(l, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    std::perror("listener");
    return 1;
  }
  std::thread([l] {
    for (;;) {
      const int c = ::accept4(l, nullptr, nullptr, SOCK_CLOEXEC);
      if (c >= 0) ::close(c);
    }
  }).detach();
  const linger abort_close{1, 0};
  const auto start = std::chrono::steady_clock::now();
  for (long i = 0; i < n; ++i) {
    const int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      std::fprintf(stderr, "connect %ld: %s\n", i, std::strerror(errno));
      return 1;
    }
    (void)::setsockopt(s, SOL_SOCKET, SO_LINGER, &abort_close, sizeof abort_close);
    ::close(s);
  }
  const std::chrono::duration<double, std::micro> took = std::chrono::steady_clock::now() - start;
  std::printf("%ld connects, %.2f us per connect\n", n, took.count() / static_cast<double>(n));
  return 0;
}
