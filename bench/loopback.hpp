// bench/loopback.hpp: loopback listeners, an accept-and-close thread and CPU pinning for the
// connect benchmarks. Benchmark support only: plain system calls, errors are fatal.
#pragma once

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace bench {

[[noreturn, gnu::cold]] inline void die(const char* what) {
  std::fprintf(stderr, "bench: %s: %s\n", what, std::strerror(errno));
  std::exit(2);
}

/// Listening sockets on 127.0.0.1, each on its own kernel-chosen port, and their addresses.
/// Several destination ports lift the ~14 000 connects/s cap that one port's ephemeral-port
/// space and TIME_WAIT impose (docs/benchmarks.md).
struct listeners {
  std::vector<int> fds;
  std::vector<sockaddr_in> addrs;

  /// `linger0` sets SO_LINGER {1, 0} on the listeners: accepted sockets inherit it, so the
  /// server end closes with a RST and neither end keeps a TIME_WAIT or FIN_WAIT2 socket.
  /// `first_port` 0 lets the kernel choose each port (from the ephemeral range); otherwise the
  /// listeners take first_port, first_port + 1, ... (a server's fixed ports).
  listeners(int count, int backlog, bool linger0, int first_port = 0) {
    for (int i = 0; i < count; ++i) {
      const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
      if (fd < 0) die("socket");
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      if (first_port != 0) a.sin_port = htons(static_cast<std::uint16_t>(first_port + i));
      if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) die("bind");
      if (linger0) {
        const linger l{1, 0};
        if (::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l) != 0) die("SO_LINGER");
      }
      if (::listen(fd, backlog) != 0) die("listen");
      socklen_t len = sizeof a;
      if (::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) die("getsockname");
      fds.push_back(fd);
      addrs.push_back(a);
    }
  }
  listeners(const listeners&) = delete;
  listeners& operator=(const listeners&) = delete;
  ~listeners() {
    for (int fd : fds) ::close(fd);
  }

  /// Accepts and closes every connection queued on `fd`; returns how many.
  static long drain(int fd) {
    long n = 0;
    for (;;) {
      const int c = ::accept4(fd, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) {
        if (errno == EINTR || errno == ECONNABORTED) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return n;
        die("accept4");
      }
      ::close(c);
      ++n;
    }
  }

  long drain_all() const {
    long n = 0;
    for (int fd : fds) n += drain(fd);
    return n;
  }
};

/// The CPUs this process may run on, in order.
inline std::vector<int> allowed_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof set, &set) != 0) die("sched_getaffinity");
  std::vector<int> cpus;
  for (int c = 0; c < CPU_SETSIZE; ++c)
    if (CPU_ISSET(c, &set)) cpus.push_back(c);
  return cpus;
}

/// Pins the calling thread to one CPU.
inline void pin_this_thread(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (::sched_setaffinity(0, sizeof set, &set) != 0) die("sched_setaffinity");
}

/// A thread, pinned to its own CPU, that accepts every connection on the listeners and closes it
/// once the client's FIN (or RST) has arrived (level-triggered epoll), until destroyed. Closing
/// only after the client's close keeps the server's RST (SO_LINGER {1, 0}) from racing the
/// client's connect, which would then fail with ECONNRESET, and makes the client the side that
/// closes first in every mode.
class acceptor {
 public:
  acceptor(const listeners& l, int cpu) : stop_(::eventfd(0, EFD_CLOEXEC)) {
    if (stop_ < 0) die("eventfd");
    epoll_ = ::epoll_create1(EPOLL_CLOEXEC);
    if (epoll_ < 0) die("epoll_create1");
    add(stop_, tag_stop);
    for (int fd : l.fds) add(fd, tag_listener);
    thread_ = std::thread([this, cpu] {
      if (cpu >= 0) pin_this_thread(cpu);
      run();
    });
  }
  acceptor(const acceptor&) = delete;
  acceptor& operator=(const acceptor&) = delete;
  ~acceptor() {
    const std::uint64_t one = 1;
    if (::write(stop_, &one, sizeof one) != sizeof one) die("eventfd write");
    thread_.join();
    ::close(epoll_);
    ::close(stop_);
  }

 private:
  static constexpr std::uint64_t tag_connection = 0, tag_listener = 1, tag_stop = 2;

  void add(int fd, std::uint64_t tag) {
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP;
    ev.data.u64 = tag << 32 | static_cast<std::uint32_t>(fd);
    if (::epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &ev) != 0) die("epoll_ctl");
  }
  void accept_all(int listener) {
    for (;;) {
      const int c = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
      if (c < 0) {
        if (errno == EINTR || errno == ECONNABORTED) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return;
        die("accept4");
      }
      add(c, tag_connection);
    }
  }
  void run() {
    epoll_event evs[64];
    for (;;) {
      const int n = ::epoll_wait(epoll_, evs, 64, -1);
      if (n < 0) {
        if (errno == EINTR) continue;
        die("epoll_wait");
      }
      for (int i = 0; i < n; ++i) {
        const auto fd = static_cast<int>(evs[i].data.u64 & 0xffffffffu);
        switch (evs[i].data.u64 >> 32) {
          case tag_stop: return;
          case tag_listener: accept_all(fd); break;
          default: ::close(fd);  // the client's FIN or RST: nothing else ever arrives
        }
      }
    }
  }

  int stop_;
  int epoll_ = -1;
  std::thread thread_;
};

/// A counter of /proc/net/netstat's TcpExt line ("ListenOverflows", "ListenDrops"), or -1.
inline long tcp_ext(const std::string& name) {
  std::ifstream in("/proc/net/netstat");
  std::string names, values;
  while (std::getline(in, names) && std::getline(in, values)) {
    if (names.rfind("TcpExt:", 0) != 0) continue;
    std::istringstream n(names), v(values);
    std::string key, val;
    while (n >> key && v >> val)
      if (key == name) return std::stol(val);
  }
  return -1;
}

/// Moves this process into a new network namespace with `lo` up, so that its listeners and
/// every connect, scan or flood stay inside it. Call before opening any socket. False when the
/// kernel refused (unshare needs root).
inline bool enter_own_netns() {
  if (::unshare(CLONE_NEWNET) != 0) return false;
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  bool up = ::ioctl(fd, SIOCGIFFLAGS, &ifr) == 0;
  ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
  up = up && ::ioctl(fd, SIOCSIFFLAGS, &ifr) == 0;
  ::close(fd);
  return up;
}

}  // namespace bench
