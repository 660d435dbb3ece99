// tests/support/sibling_support.cpp: helpers the sibling calls' tests share (no tests here).
#include "sibling_support.hpp"

#include <fcntl.h>

#include <stdexcept>

namespace dial::test::sib {

tcp_pair connected_tcp(int family) {
  auto l = tcp_listener(family);
  tcp_pair p{make_socket(family, SOCK_STREAM), fd()};
  if (::connect(p.client.get(), l.where.sa(), l.where.len) != 0)
    throw std::runtime_error("connect");
  p.server = fd(::accept4(l.sock.get(), nullptr, nullptr, SOCK_CLOEXEC));
  if (p.server.get() < 0) throw std::runtime_error("accept");
  return p;
}

namespace {
std::atomic<int> delivered{0};
void count_signal(int) { delivered.fetch_add(1, std::memory_order_relaxed); }
}  // namespace

interruptions::interruptions() {
  struct sigaction sa {};
  sa.sa_handler = count_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: an interrupted blocking call returns EINTR
  if (::sigaction(SIGUSR1, &sa, &old_) != 0) throw std::runtime_error("sigaction");
  delivered = 0;
}

interruptions::~interruptions() { ::sigaction(SIGUSR1, &old_, nullptr); }

int interruptions::count() const { return delivered.load(); }

signal_storm::signal_storm(pthread_t target, std::chrono::microseconds every, int max)
    : thread_([=, this] {
        for (int i = 0; i < max && !stop_.load(); ++i) {
          ::pthread_kill(target, SIGUSR1);
          std::this_thread::sleep_for(every);
        }
      }) {}

signal_storm::~signal_storm() {
  stop_ = true;
  thread_.join();
}

int lowest_free_fd() {
  const int d = ::open("/dev/null", O_RDONLY | O_CLOEXEC);  // the lowest free number
  if (d < 0) throw std::runtime_error("open /dev/null");
  ::close(d);
  return d;
}

}  // namespace dial::test::sib
