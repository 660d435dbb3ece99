// tests/unit/engine_test.cpp: dial::engine on both back-ends against real loopback sockets.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <stop_token>
#include <thread>
#include <vector>

#include "allocation_counter.hpp"
#include "backend_test.hpp"
#include "dial/engine.hpp"
#include "linux/engine_impl.hpp"
#include "support.hpp"

namespace {

namespace t = dial::test;
using dial::engine;
using dial::engine_backend;
using dial::engine_connect_error;
using dial::engine_options;
using dial::engine_result;

using t::to_address;

/// What the tests compare: the name (0 = success) and the raw code of one result.
struct seen {
  int id = -1;  // -1: no result
  int native = 0;
  bool self = false;
  int count = 0;
};

/// Collects results by index into storage reserved up front (on_result never allocates).
class collecting_sink final : public dial::engine_sink {
 public:
  explicit collecting_sink(std::size_t n) : by_index_(n) {}
  void on_result(const engine_result& r) override {
    seen& s = by_index_.at(r.index);
    s.id = r.outcome ? 0 : static_cast<int>(r.outcome.error());
    s.native = r.native_code;
    s.self = r.self_connect;
    ++s.count;
    if (in_sink_.exchange(true)) overlapped_ = true;  // two calls at once would set this
    in_sink_.store(false);
    ++total_;
  }
  const std::vector<seen>& results() const { return by_index_; }
  std::size_t total() const { return total_; }
  bool overlapped() const { return overlapped_; }

 private:
  std::vector<seen> by_index_;
  std::atomic<bool> in_sink_{false};
  bool overlapped_ = false;
  std::size_t total_ = 0;
};

constexpr int id(engine_connect_error e) { return static_cast<int>(e); }

engine make(engine_backend b, std::size_t concurrency = 256, unsigned threads = 2,
            std::chrono::milliseconds timeout = std::chrono::milliseconds(2000)) {
  engine_options o;
  o.backend = b;
  o.concurrency = concurrency;
  o.threads = threads;
  o.timeout = timeout;
  auto e = engine::create(o);
  if (!e)
    throw std::runtime_error(std::string("engine::create: ") + std::string(dial::name(e.error())));
  return std::move(*e);
}

/// A loopback target set: `open` connects to listeners, `refused` to bound, non-listening ports,
/// interleaved so both kinds are in flight together. Keeps its sockets alive.
struct target_set {
  std::vector<t::listener> listeners;
  std::vector<t::listener> closed;
  std::vector<dial::address> targets;
  std::vector<int> want;  // expected id per target
  std::vector<int> want_native;

  target_set(int family, std::size_t open, std::size_t refused, std::size_t ports = 8) {
    for (std::size_t i = 0; i < ports; ++i) listeners.push_back(t::tcp_listener(family, 4096));
    for (std::size_t i = 0; i < ports; ++i) closed.push_back(t::closed_tcp_port(family));
    const std::size_t n = open + refused;
    for (std::size_t i = 0, o = 0, r = 0; i < n; ++i) {
      const bool take_open = o < open && (r >= refused || i % 2 == 0);
      if (take_open) {
        targets.push_back(to_address(listeners[o++ % ports].where));
        want.push_back(0);
        want_native.push_back(0);
      } else {
        targets.push_back(to_address(closed[r++ % ports].where));
        want.push_back(id(engine_connect_error::connection_refused));
        want_native.push_back(ECONNREFUSED);
      }
    }
  }
};

class EngineBackend : public t::backend_test {};

TEST(Engine, NamesTheBackends) {
  EXPECT_EQ(dial::name(engine_backend::automatic), "automatic");
  EXPECT_EQ(dial::name(engine_backend::io_uring), "io_uring");
  EXPECT_EQ(dial::name(engine_backend::epoll), "epoll");
}

TEST(Engine, RefusesARateThatIsNegativeOrNotFinite) {
  for (const double r : {-1.0, std::nan(""), HUGE_VAL}) {
    engine_options o;
    o.rate = r;
    const auto e = engine::create(o);
    ASSERT_FALSE(e) << r;
    EXPECT_EQ(e.error(), dial::engine_create_error::invalid_option) << r;
  }
  engine_options o;
  o.rate = 0.5;  // one start every two seconds is a rate too
  EXPECT_TRUE(engine::create(o));
}

TEST(Engine, RefusesInvalidOptions) {
  engine_options o;
  o.concurrency = 0;
  auto e = engine::create(o);
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error(), dial::engine_create_error::invalid_option);
  o.concurrency = 1;
  o.timeout = std::chrono::milliseconds(-1);
  e = engine::create(o);
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error(), dial::engine_create_error::invalid_option);
}

TEST(Engine, AutomaticPicksIoUringHere) {
  if (const auto why = t::io_uring_refused()) GTEST_SKIP() << *why;
  // docs/kernel-facts.md: io_uring works on this machine, so automatic must not silently fall back.
  auto e = make(engine_backend::automatic);
  EXPECT_EQ(e.backend(), engine_backend::io_uring);
  EXPECT_EQ(e.threads(), 2u);
}

TEST_P(EngineBackend, GivesEveryTargetItsExactResult) {
  auto e = make(GetParam());
  ASSERT_EQ(e.backend(), GetParam());
  target_set ts(AF_INET, 300, 300);
  target_set ts6(AF_INET6, 50, 50, 2);
  ts.targets.insert(ts.targets.end(), ts6.targets.begin(), ts6.targets.end());
  ts.want.insert(ts.want.end(), ts6.want.begin(), ts6.want.end());
  ts.want_native.insert(ts.want_native.end(), ts6.want_native.begin(), ts6.want_native.end());
  const int fds = t::count_open_fds();
  collecting_sink sink(ts.targets.size());
  EXPECT_EQ(e.run(ts.targets, sink), ts.targets.size());
  EXPECT_EQ(t::count_open_fds(), fds) << "a socket was leaked";
  EXPECT_FALSE(sink.overlapped()) << "the sink was called from two threads at once";
  for (std::size_t i = 0; i < ts.targets.size(); ++i) {
    const seen& s = sink.results()[i];
    EXPECT_EQ(s.count, 1) << "target " << i;
    EXPECT_EQ(s.id, ts.want[i]) << "target " << i << " " << ts.targets[i];
    EXPECT_EQ(s.native, ts.want_native[i]) << "target " << i;
  }
}

TEST_P(EngineBackend, ReportsTimeoutsAtTheDeadline) {
  // A listener whose accept queue is full drops SYNs: the connect is still in progress at the
  // deadline.
  auto full = t::full_tcp_listener(AF_INET);
  auto e = make(GetParam(), 16, 1, std::chrono::milliseconds(200));
  std::vector<dial::address> targets(4, to_address(full.l.where));
  collecting_sink sink(targets.size());
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(e.run(targets, sink), targets.size());
  const auto took = std::chrono::steady_clock::now() - t0;
  for (const seen& s : sink.results()) {
    EXPECT_EQ(s.id, id(engine_connect_error::timeout));
    EXPECT_EQ(s.native, 0);
  }
  // A behaviour window, not a speed claim: not before the deadline, and not long after it.
  EXPECT_GE(took, std::chrono::milliseconds(190));
  EXPECT_LT(took, std::chrono::milliseconds(1500));
}

TEST_P(EngineBackend, ConnectsUnixSockets) {
  t::scratch_dir dir;
  auto l = t::unix_listener(dir / "s", 64);
  auto e = make(GetParam(), 8, 1);
  std::vector<dial::address> targets;
  targets.push_back(*dial::address::unix_path(dir / "s"));
  targets.push_back(*dial::address::unix_path(dir / "missing"));
  collecting_sink sink(targets.size());
  EXPECT_EQ(e.run(targets, sink), 2u);
  EXPECT_EQ(sink.results()[0].id, 0);
  EXPECT_EQ(sink.results()[1].id, id(engine_connect_error::file_not_found));
  EXPECT_EQ(sink.results()[1].native, ENOENT);
}

TEST_P(EngineBackend, FullUnixBacklogIsWouldBlockAtOnce) {
  // A Unix listener whose queue is full has no attempt in progress to wait for: both back-ends
  // say WouldBlock (EAGAIN) at once, as a non-blocking dial::connect does, not Timeout.
  t::scratch_dir dir;
  auto full = t::full_unix_listener(dir / "full");
  std::vector<t::fd> extra;  // fill whatever room the kernel leaves (bounded)
  for (int i = 0; i < 8; ++i) {
    extra.push_back(t::make_socket(AF_UNIX, SOCK_STREAM, SOCK_NONBLOCK));
    if (::connect(extra.back().get(), full.l.where.sa(), full.l.where.len) != 0) break;
  }
  auto e = make(GetParam(), 8, 1, std::chrono::milliseconds(10000));
  const std::vector<dial::address> targets{*dial::address::unix_path(dir / "full")};
  collecting_sink sink(targets.size());
  const auto began = std::chrono::steady_clock::now();
  EXPECT_EQ(e.run(targets, sink), 1u);
  EXPECT_EQ(sink.results()[0].id, id(engine_connect_error::would_block));
  EXPECT_EQ(sink.results()[0].native, EAGAIN);
  EXPECT_LT(std::chrono::steady_clock::now() - began, std::chrono::seconds(5))
      << "waited for the 10 s per-connect deadline instead of reporting WouldBlock";
}

TEST_P(EngineBackend, RespectsTheConcurrencyLimitAndThreads) {
  for (const unsigned threads : {1u, 2u, 3u}) {
    auto e = make(GetParam(), 5, threads);
    EXPECT_EQ(e.concurrency(), 5u);
    EXPECT_EQ(e.threads(), threads);
    target_set ts(AF_INET, 40, 40, 2);
    collecting_sink sink(ts.targets.size());
    EXPECT_EQ(e.run(ts.targets, sink), ts.targets.size());
    for (std::size_t i = 0; i < ts.targets.size(); ++i)
      EXPECT_EQ(sink.results()[i].id, ts.want[i]) << "threads " << threads << " target " << i;
  }
}

TEST_P(EngineBackend, EmptyTargetListDeliversNothing) {
  auto e = make(GetParam());
  collecting_sink sink(0);
  EXPECT_EQ(e.run({}, sink), 0u);
}

TEST_P(EngineBackend, StopMidRunCancelsWhatIsInFlight) {
  // 64 connects that can only time out (a full accept queue), timeout 10 s, stop after 100 ms:
  // every started one ends Canceled, the rest get no result, run returns promptly.
  auto full = t::full_tcp_listener(AF_INET);
  auto e = make(GetParam(), 16, 2, std::chrono::milliseconds(10000));
  std::vector<dial::address> targets(64, to_address(full.l.where));
  collecting_sink sink(targets.size());
  std::stop_source stop;
  std::jthread stopper([&stop] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    stop.request_stop();
  });
  const int fds = t::count_open_fds();
  const auto t0 = std::chrono::steady_clock::now();
  const std::size_t n = e.run(targets, sink, stop.get_token());
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(3));
  EXPECT_EQ(n, 16u) << "exactly the connects in flight get a result";
  EXPECT_EQ(sink.total(), n);
  for (const seen& s : sink.results())
    if (s.count != 0) {
      EXPECT_EQ(s.id, id(engine_connect_error::canceled));
    }
  EXPECT_EQ(t::count_open_fds(), fds);
}

TEST_P(EngineBackend, DoesNotAllocatePerConnect) {
  auto e = make(GetParam(), 64, 1);
  target_set ts(AF_INET, 500, 1500, 4);
  std::vector<dial::address> few(ts.targets.begin(), ts.targets.begin() + 100);
  collecting_sink sink(ts.targets.size());
  e.run(few, sink);  // warm up (the port-range read, ...)
  const long a0 = t::allocations();
  e.run(few, sink);
  const long per_small_run = t::allocations() - a0;
  const long a1 = t::allocations();
  e.run(ts.targets, sink);
  const long per_big_run = t::allocations() - a1;
  EXPECT_EQ(per_big_run, per_small_run) << "allocations grow with the number of connects";
  EXPECT_LE(per_big_run, 4) << "one run() allocates only its thread bookkeeping";
}

INSTANTIATE_TEST_SUITE_P(Backends, EngineBackend, t::both_backends(), t::backend_name);

// The outcome's name as the CLI prints it; "(no result)" for a target that got none.
std::string outcome_name(const seen& s) {
  if (s.id < 0) return "(no result)";
  if (s.id == 0) return "Connected";
  return std::string(dial::name(static_cast<engine_connect_error>(s.id)));
}

TEST(Engine, BothBackendsAgreeOnAMixedLoopbackSet) {
  if (const auto why = t::io_uring_refused()) GTEST_SKIP() << *why;
  target_set ts(AF_INET, 400, 400);
  collecting_sink a(ts.targets.size()), b(ts.targets.size());
  EXPECT_EQ(make(engine_backend::io_uring).run(ts.targets, a), ts.targets.size());
  EXPECT_EQ(make(engine_backend::epoll).run(ts.targets, b), ts.targets.size());
  EXPECT_EQ(a.total(), ts.targets.size()) << "io_uring: results delivered";
  EXPECT_EQ(b.total(), ts.targets.size()) << "epoll: results delivered";
  for (std::size_t i = 0; i < ts.targets.size(); ++i) {
    const seen& u = a.results()[i];
    const seen& e = b.results()[i];
    EXPECT_EQ(u.count, 1) << "io_uring, target " << i;
    EXPECT_EQ(e.count, 1) << "epoll, target " << i;
    EXPECT_EQ(outcome_name(u), outcome_name(e)) << "target " << i;
    EXPECT_EQ(u.native, e.native) << "target " << i;
    EXPECT_EQ(u.id, ts.want[i]) << "target " << i;  // the agreement is on the right answer
  }
}

// ---- seccomp: io_uring refused -----------------------------------------------------------------

class IoUringRefused : public ::testing::TestWithParam<int> {};

TEST_P(IoUringRefused, AutomaticFallsBackToEpollAndExplicitFails) {
  const int err = GetParam();
  EXPECT_EQ(t::run_in_child([err] {
              if (!t::inject_errno(SYS_io_uring_setup, err)) return 90;
              engine_options o;
              o.backend = engine_backend::io_uring;
              auto explicit_uring = engine::create(o);
              if (explicit_uring) return 91;
              if (explicit_uring.error() != dial::engine_create_error::backend_unavailable)
                return 92;
              if (dial::last_native_error() != err) return 93;
              o.backend = engine_backend::automatic;
              auto automatic = engine::create(o);
              if (!automatic) return 94;
              if (automatic->backend() != engine_backend::epoll) return 95;
              // ... and the fallback really connects.
              target_set ts(AF_INET, 10, 10, 2);
              collecting_sink sink(ts.targets.size());
              if (automatic->run(ts.targets, sink) != ts.targets.size()) return 96;
              for (std::size_t i = 0; i < ts.targets.size(); ++i)
                if (sink.results()[i].id != ts.want[i]) return 97;
              return 0;
            }),
            0);
}

INSTANTIATE_TEST_SUITE_P(Errnos, IoUringRefused, ::testing::Values(EPERM, ENOSYS),
                         [](const ::testing::TestParamInfo<int>& p) {
                           return std::string(p.param == EPERM ? "EPERM" : "ENOSYS");
                         });

// ---- 20 000 connects with injected failures ----------------------------------------------------

long rss_kib() {
  long kib = 0;
  if (std::FILE* f = std::fopen("/proc/self/status", "re")) {
    char line[256];
    while (std::fgets(line, sizeof line, f))
      if (std::sscanf(line, "VmRSS: %ld kB", &kib) == 1) break;
    std::fclose(f);
  }
  return kib;
}

// 20 000 targets: IPv4 open and refused, IPv6 open and refused. In the child, socket(AF_INET6)
// fails with ENOBUFS (seccomp): epoll's socket() goes through the system call, so every IPv6
// result is SystemResources/ENOBUFS; io_uring's IORING_OP_SOCKET does not, so there the IPv6
// results are the real ones. Each run twice: fds, allocations and RSS must not grow.
int twenty_thousand(engine_backend b) {
  target_set v4(AF_INET, 4000, 12000, 16);
  target_set v6(AF_INET6, 1000, 3000, 4);
  if (!t::inject_errno(SYS_socket, ENOBUFS, AF_INET6)) return 80;
  std::vector<dial::address> targets = v4.targets;
  targets.insert(targets.end(), v6.targets.begin(), v6.targets.end());
  std::vector<int> want = v4.want, want_native = v4.want_native;
  for (std::size_t i = 0; i < v6.targets.size(); ++i) {
    const bool injected = b == engine_backend::epoll;
    want.push_back(injected ? id(engine_connect_error::system_resources) : v6.want[i]);
    want_native.push_back(injected ? ENOBUFS : v6.want_native[i]);
  }
  auto e = make(b, 2048, 2);
  collecting_sink sink(targets.size());
  const int fds = t::count_open_fds();
  long rss_after_first = 0, allocs_first = 0;
  for (int round = 0; round < 2; ++round) {
    const long a0 = t::allocations();
    collecting_sink s(targets.size());
    if (e.run(targets, s) != targets.size()) return 81;
    const long allocs = t::allocations() - a0;
    for (std::size_t i = 0; i < targets.size(); ++i) {
      const seen& r = s.results()[i];
      if (r.count != 1 || r.id != want[i] || r.native != want_native[i]) {
        std::fprintf(stderr, "target %zu %s: id %d native %d count %d, want %d/%d\n", i,
                     targets[i].to_string().c_str(), r.id, r.native, r.count, want[i],
                     want_native[i]);
        return 82;
      }
    }
    if (t::count_open_fds() != fds) return 83;
    if (round == 0) {
      rss_after_first = rss_kib();
      allocs_first = allocs;
    } else {
      if (allocs != allocs_first) return 84;
      if (rss_kib() > rss_after_first + 1024) return 85;  // flat within 1 MiB
    }
  }
  return 0;
}

TEST_P(EngineBackend, TwentyThousandConnectsWithInjectedFailures) {
  const engine_backend b = GetParam();
  EXPECT_EQ(t::run_in_child([b] { return twenty_thousand(b); }, std::chrono::seconds(40)), 0);
}

// RLIMIT_NOFILE lowered under a running engine: socket() fails with EMFILE for the connects that
// find no descriptor, each reported ProcessFdQuotaExceeded; every other result is still exact.
TEST(Engine, EpollReportsProcessFdQuotaExceededWhenTheLimitIsLowered) {
  EXPECT_EQ(
      t::run_in_child([] {
        auto e = make(engine_backend::epoll, 256, 1, std::chrono::milliseconds(100));
        target_set ts(AF_INET, 0, 2000, 4);
        // Warm up with descriptors to spare: the first virtual call through engine_sink on a
        // type makes UBSan's vptr check (the asan preset) open a pipe, which must not meet EMFILE.
        collecting_sink warm(1);
        if (e.run(std::span(ts.targets).first(1), warm) != 1) return 69;
        // Connects that stay in flight (a listener whose queue is full drops their SYNs) until
        // the deadline: a loopback refusal is answered at once and its socket reused, so it
        // would never hold more than one descriptor.
        const t::full_listener full = t::full_tcp_listener(AF_INET);
        const std::vector<dial::address> targets(2000, to_address(full.l.where));
        rlimit rl{};
        ::getrlimit(RLIMIT_NOFILE, &rl);
        // Fewer spare descriptors than slots: the starts past them meet EMFILE.
        rl.rlim_cur = static_cast<rlim_t>(t::count_open_fds() + 8);
        if (::setrlimit(RLIMIT_NOFILE, &rl) != 0) return 70;
        collecting_sink sink(targets.size());
        if (e.run(targets, sink) != targets.size()) return 71;
        std::size_t quota = 0;
        for (const seen& s : sink.results()) {
          if (s.id == id(engine_connect_error::process_fd_quota_exceeded) && s.native == EMFILE)
            ++quota;
          else if (s.id != id(engine_connect_error::timeout))
            return 72;
        }
        return quota > 0 && quota < targets.size() ? 0 : 73;
      }),
      0);
}

/// Records the sockets open when each result is delivered, beyond those before run(), plus one
/// (the one that finished, already closed). Results come in batches, at the end of each reap
/// (docs/engine.md, "Results"), so this bounds what was open while that reap's connects ran.
class in_flight_sink final : public dial::engine_sink {
 public:
  explicit in_flight_sink(int baseline) : baseline_(baseline) {}
  void on_result(const engine_result& r) override {
    most_ = std::max(most_, t::count_open_fds() - baseline_ + 1);
    if (!r.outcome && r.outcome.error() == engine_connect_error::timeout) ++timeouts_;
    ++total_;
  }
  int most() const { return most_; }
  std::size_t timeouts() const { return timeouts_; }
  std::size_t total() const { return total_; }

 private:
  int baseline_;
  int most_ = 0;
  std::size_t timeouts_ = 0;
  std::size_t total_ = 0;
};

/// The most descriptors open beyond `baseline` while it lives, sampled every millisecond by a
/// thread of its own (for at most 20 s): the sockets in flight, whenever results are delivered.
class fd_sampler {
 public:
  explicit fd_sampler(int baseline)
      : baseline_(baseline), thread_([this](const std::stop_token& stop) {
          for (int i = 0; i < 20000 && !stop.stop_requested(); ++i) {
            most_.store(std::max(most_.load(), t::count_open_fds() - baseline_));
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
          }
        }) {}
  /// Stops sampling; the most seen.
  int most() {
    thread_.request_stop();
    if (thread_.joinable()) thread_.join();
    return most_.load();
  }

 private:
  int baseline_;
  std::atomic<int> most_{0};
  std::jthread thread_;
};

// At RLIMIT_NOFILE 48, epoll still runs many connects at once: the descriptors it keeps free
// are a share of the limit (a fixed 64 left one slot below a limit of about 70, so 500 targets
// that time out took 500 timeouts one after the other). 64 connects to a listener whose full
// accept queue drops their SYNs all end Timeout, with as many in flight at a time as the
// engine's concurrency (counted by the kernel's descriptor table, sampled while each 300 ms
// wave waits, not by the clock).
TEST(Engine, EpollRunsConnectsConcurrentlyAtALowDescriptorLimit) {
  EXPECT_EQ(t::run_in_child([] {
              rlimit rl{};
              ::getrlimit(RLIMIT_NOFILE, &rl);
              rl.rlim_cur = 48;
              if (::setrlimit(RLIMIT_NOFILE, &rl) != 0) return 70;
              auto full = t::full_tcp_listener(AF_INET);
              auto e = make(engine_backend::epoll, 256, 1, std::chrono::milliseconds(300));
              std::fprintf(stderr, "concurrency at RLIMIT_NOFILE 48: %zu\n", e.concurrency());
              if (e.concurrency() < 16) return 71;
              const std::vector<dial::address> targets(64, to_address(full.l.where));
              in_flight_sink sink(t::count_open_fds());
              fd_sampler sampler(t::count_open_fds());
              if (e.run(targets, sink) != targets.size()) return 72;
              const int most = sampler.most();
              if (sink.total() != targets.size() || sink.timeouts() != targets.size()) return 73;
              std::fprintf(stderr, "at most %d in flight\n", most);
              return most == static_cast<int>(e.concurrency()) ? 0 : 74;
            }),
            0);
}

// epoll asks a loopback connect again at once (docs/engine.md, "Asked again on loopback"): a
// refusal or a handshake is over by the time connect returns, so nearly every result is
// delivered before the next connect starts and one socket serves them, where watching them all
// held 55-65 sockets at once here (a fill slice, 32, and more). Counted as descriptors open at
// each result, against a mix of refused and open targets on both families; every result is
// still the right one. (A few connects to an open port are not over at once: from a slot's
// bound port that connected to the same listener in the first run, whose queue still holds
// that connection, they took 11-16 ms, and other slots start meanwhile: 3 or 4 open at most.)
TEST(Engine, EpollAnswersALoopbackConnectWithoutWaiting) {
  for (const int family : {AF_INET, AF_INET6}) {
    auto e = make(engine_backend::epoll, 256, 1);
    target_set ts(family, 200, 1800, 4);
    collecting_sink check(ts.targets.size());
    ASSERT_EQ(e.run(ts.targets, check), ts.targets.size());
    for (std::size_t i = 0; i < ts.targets.size(); ++i) {
      ASSERT_EQ(check.results()[i].count, 1) << i;
      ASSERT_EQ(check.results()[i].id, ts.want[i]) << i;
    }
    in_flight_sink sink(t::count_open_fds());
    ASSERT_EQ(e.run(ts.targets, sink), ts.targets.size());
    EXPECT_EQ(sink.timeouts(), 0u);
    EXPECT_LE(sink.most(), 16) << family;
  }
}

// The engine's port picker (src/linux/engine_impl.hpp): what a bound socket is bound to. A
// loopback destination met twice in a row gets the kernel's source for it; any other
// destination, and loopback hosts that alternate, get the wildcard. A socket bound to a source
// fits only the destination it was bound for, and only until another destination is asked; a
// socket bound to the wildcard fits every destination but one whose source is known (it gives
// way, once, to a socket bound there); an unbound one fits all. (The back-ends set `bound`
// once the bind succeeded.)
TEST(EnginePorts, ALoopbackDestinationGetsItsSourceAndOnlyItFits) {
  namespace eng = dial::detail::eng;
  eng::port_picker picker;
  const eng::port_range range{40000, 40009};
  const dial::address one = dial::address::loopback_ipv4(80);
  const dial::address other = *dial::address::parse("127.0.0.7:80");
  const dial::address remote = *dial::address::parse("192.0.2.1:80");
  eng::slot a, b, c, unbound;
  const dial::address first = picker.take(a, range, one);
  a.bound = true;
  EXPECT_TRUE(first.is_unspecified()) << first.to_string();  // once: not asked yet
  EXPECT_TRUE(range.holds(first.port()));
  EXPECT_TRUE(picker.fits(a, one));  // no source known yet
  const dial::address second = picker.take(b, range, one.with_port(81));
  b.bound = true;
  EXPECT_EQ(second, dial::address::loopback_ipv4(b.bind_port));
  EXPECT_TRUE(b.source_bound);
  EXPECT_TRUE(picker.fits(a, remote));
  EXPECT_FALSE(picker.fits(a, one));  // the source is known now: a gives way
  EXPECT_TRUE(picker.fits(b, one.with_port(9)));
  EXPECT_FALSE(picker.fits(b, remote));
  EXPECT_FALSE(picker.fits(b, other));
  EXPECT_TRUE(picker.fits(unbound, one));
  EXPECT_TRUE(picker.fits(unbound, remote));
  // Another loopback host twice in a row: a new question, and b no longer fits even `one`.
  (void)picker.take(c, range, other);
  const dial::address asked = picker.take(c, range, other);
  c.bound = true;
  EXPECT_EQ(asked, dial::address::loopback_ipv4(c.bind_port));  // 127.0.0.1 for 127.0.0.7
  EXPECT_FALSE(picker.fits(b, one));
  EXPECT_TRUE(picker.fits(c, other));
  // A remote destination is never asked; the ports stay each slot's own.
  EXPECT_TRUE(picker.take(a, range, remote).is_unspecified());
  EXPECT_TRUE(picker.take(a, range, remote).is_unspecified());
  EXPECT_FALSE(a.source_bound);
  EXPECT_EQ(picker.take(a, range, remote).port(), first.port());
  // Alternating loopback hosts never ask.
  eng::port_picker fresh;
  for (int k = 0; k < 6; ++k)
    EXPECT_TRUE(fresh.take(a, range, k % 2 == 0 ? one : other).is_unspecified()) << k;
}

}  // namespace
