// tests/conformance/connect_timeout_test.cpp: SYNs nobody answers, with and without signals.
#include <gtest/gtest.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <functional>
#include <thread>

#include "netns_fixtures.hpp"

namespace {

using dial::connect_error;
using namespace std::chrono_literals;
namespace t = dial::test;
namespace conf = dial::test::conf;
using conf::code;
using conf::describe;
using steady = std::chrono::steady_clock;
using result = std::expected<void, connect_error>;

// In the current (new) namespace: 198.51.100.0/24 on a link that drops everything, and one SYN
// retry (a per-namespace sysctl), so a connect to 198.51.100.2 times out in about 3 s instead of
// about 2 minutes.
bool silent_target_with_one_retry() {
  return conf::add_silent_link("198.51.100.1/24") &&
         t::write_sysctl("/proc/sys/net/ipv4/tcp_syn_retries", "1");
}

t::addr silent_target() { return t::ip("198.51.100.2", 80); }

// Runs `attempt` and encodes its result as outcome() does, but as implausible_duration when the
// timeout did not take between 1 s and 30 s: a real SYN timeout waits, though not for minutes.
int timed_outcome(const std::function<result()>& attempt) {
  const auto start = steady::now();
  const result r = attempt();
  const auto took = std::chrono::duration<double>(steady::now() - start);
  const int rc = conf::outcome(r, ETIMEDOUT);
  if (rc == code(connect_error::connection_timed_out) && (took < 1s || took > 30s)) {
    std::fprintf(stderr, "the timeout took %.3f s\n", took.count());
    return conf::implausible_duration;
  }
  return rc;
}

// Waits at most 30 s for a non-blocking connect to finish; false if it did not.
bool wait_writable(int s) {
  for (int i = 0; i < 30; ++i) {  // bounded: 30 waits of at most 1 s each
    pollfd p{s, POLLOUT, 0};
    if (::poll(&p, 1, 1000) > 0) return true;
  }
  return false;
}

TEST(ConnectTimeout, UnansweredSynIsConnectionTimedOut) {
  if (!t::is_root()) GTEST_SKIP() << t::needs_root;
  const int rc = conf::in_netns([] {
    if (!silent_target_with_one_retry()) return static_cast<int>(conf::setup_failed);
    const t::fd s = t::make_socket(AF_INET, SOCK_STREAM);
    const t::addr to = silent_target();
    return timed_outcome([&] { return dial::connect(s.get(), to.sa(), to.len); });
  });
  EXPECT_EQ(rc, code(connect_error::connection_timed_out)) << describe(rc);
}

TEST(ConnectTimeout, UnansweredSynNonBlockingIsConnectionTimedOut) {
  if (!t::is_root()) GTEST_SKIP() << t::needs_root;
  const int rc = conf::in_netns([] {
    if (!silent_target_with_one_retry()) return static_cast<int>(conf::setup_failed);
    const t::fd s = t::make_socket(AF_INET, SOCK_STREAM, SOCK_NONBLOCK);
    const t::addr to = silent_target();
    // The attempt starts as WouldBlock (EINPROGRESS); its end comes from SO_ERROR.
    const int started = conf::outcome(dial::connect(s.get(), to.sa(), to.len), EINPROGRESS);
    if (started != code(connect_error::would_block)) return started;
    return timed_outcome([&]() -> result {
      // Still pending after 30 s: report the WouldBlock it started with (the test then fails).
      if (!wait_writable(s.get())) return std::unexpected(connect_error::would_block);
      return dial::getsockopt_error(s.get());
    });
  });
  EXPECT_EQ(rc, code(connect_error::connection_timed_out)) << describe(rc);
}

// ---- a signal storm during the timeout -----------------------------------------------------

std::atomic<int> handled{0};
void count_signal(int) { handled.fetch_add(1, std::memory_order_relaxed); }

// SIGUSR1 without SA_RESTART: every delivery makes the blocking connect return EINTR.
bool install_counter() {
  struct sigaction sa {};
  sa.sa_handler = count_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;
  return ::sigaction(SIGUSR1, &sa, nullptr) == 0;
}

// Sends SIGUSR1 to `target` every 5 ms until destroyed, at most 4000 times (about 20 s).
class signal_storm {
 public:
  explicit signal_storm(pthread_t target)
      : thread_([this, target] {
          for (int i = 0; i < 4000 && !stop_.load(); ++i) {
            ::pthread_kill(target, SIGUSR1);
            std::this_thread::sleep_for(5ms);
          }
        }) {}
  signal_storm(const signal_storm&) = delete;
  signal_storm& operator=(const signal_storm&) = delete;
  ~signal_storm() {
    stop_ = true;
    thread_.join();
  }

 private:
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// The blocking connect under the storm; too_few_signals unless at least 100 interrupted it.
int connect_under_storm(const t::addr& to) {
  const t::fd s = t::make_socket(AF_INET, SOCK_STREAM);
  int during = 0;
  const int rc = timed_outcome([&] {
    const signal_storm storm(::pthread_self());
    const result r = dial::connect(s.get(), to.sa(), to.len);
    during = handled.load();
    return r;
  });
  if (rc != code(connect_error::connection_timed_out) || during >= 100) return rc;
  std::fprintf(stderr, "only %d signals were handled during the connect\n", during);
  return conf::too_few_signals;
}

TEST(ConnectTimeout, SignalStormStillEndsConnectionTimedOut) {
  if (!t::is_root()) GTEST_SKIP() << t::needs_root;
  const int rc = conf::in_netns([] {
    if (!silent_target_with_one_retry() || !install_counter())
      return static_cast<int>(conf::setup_failed);
    return connect_under_storm(silent_target());
  });
  EXPECT_EQ(rc, code(connect_error::connection_timed_out)) << describe(rc);
}

}  // namespace
