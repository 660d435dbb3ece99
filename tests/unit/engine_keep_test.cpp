// tests/unit/engine_keep_test.cpp: engine_options::keep_connections on both back-ends: the sink
// takes each connected socket (engine_result::take_socket) and the caller then uses it.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <vector>

#include "backend_test.hpp"
#include "dial/engine.hpp"
#include "support.hpp"

namespace {

namespace t = dial::test;
using dial::engine;
using dial::engine_backend;
using dial::engine_connect_error;
using dial::engine_options;
using dial::engine_result;

using t::to_address;

engine make_keeping(engine_backend b, std::size_t concurrency, unsigned threads,
                    std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  engine_options o;
  o.backend = b;
  o.concurrency = concurrency;
  o.threads = threads;
  o.timeout = timeout;
  o.keep_connections = true;
  auto e = engine::create(o);
  if (!e)
    throw std::runtime_error(std::string("engine::create: ") + std::string(dial::name(e.error())));
  return std::move(*e);
}

/// Takes every socket it is offered, by target index; checks that a second take is empty.
class taking_sink final : public dial::engine_sink {
 public:
  explicit taking_sink(std::size_t n) : sockets_(n), outcomes_(n, -1) {}
  void on_result(const engine_result& r) override {
    outcomes_.at(r.index) = r.outcome ? 0 : static_cast<int>(r.outcome.error());
    sockets_[r.index] = r.take_socket();
    if (r.take_socket()) second_take_gave_a_socket_ = true;
    if (!r.outcome && sockets_[r.index]) failure_gave_a_socket_ = true;
  }
  std::vector<dial::owned_socket>& sockets() { return sockets_; }
  const std::vector<int>& outcomes() const { return outcomes_; }
  bool second_take_gave_a_socket() const { return second_take_gave_a_socket_; }
  bool failure_gave_a_socket() const { return failure_gave_a_socket_; }

 private:
  std::vector<dial::owned_socket> sockets_;
  std::vector<int> outcomes_;
  bool second_take_gave_a_socket_ = false;
  bool failure_gave_a_socket_ = false;
};

/// Ignores every result: each kept socket must then be closed by the engine.
class ignoring_sink final : public dial::engine_sink {
 public:
  void on_result(const engine_result& r) override { ok_ += r.outcome ? 1 : 0; }
  std::size_t ok() const { return ok_; }

 private:
  std::size_t ok_ = 0;
};

/// An echo server in a child process (its own descriptor table: 10 000 accepted sockets there,
/// 10 000 kept ones here, both within RLIMIT_NOFILE). Listens on `ports` loopback ports, echoes
/// whatever arrives and exits when the control pipe closes or after 60 s.
struct echo_child {
  pid_t pid = -1;
  int control = -1;  // write end: closing it ends the child
  std::vector<t::addr> where;

  explicit echo_child(std::size_t ports) {
    std::vector<t::listener> ls;
    for (std::size_t i = 0; i < ports; ++i) ls.push_back(t::tcp_listener(AF_INET, 4096));
    for (const auto& l : ls) where.push_back(l.where);
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0) throw std::runtime_error("pipe2");
    pid = ::fork();
    if (pid < 0) throw std::runtime_error("fork");
    if (pid == 0) {
      ::close(p[1]);
      ::_exit(serve(ls, p[0]));
    }
    ::close(p[0]);
    control = p[1];
  }
  ~echo_child() { stop(); }
  echo_child(const echo_child&) = delete;
  echo_child& operator=(const echo_child&) = delete;

  int stop() {
    if (pid < 0) return -1;
    ::close(control);
    int status = 0;
    ::waitpid(pid, &status, 0);
    pid = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
  }

  static int serve(const std::vector<t::listener>& ls, int control) {
    const int ep = ::epoll_create1(EPOLL_CLOEXEC);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = control;
    ::epoll_ctl(ep, EPOLL_CTL_ADD, control, &ev);
    for (const auto& l : ls) {
      ::fcntl(l.sock.get(), F_SETFL, O_NONBLOCK);
      ev.data.fd = l.sock.get();
      ::epoll_ctl(ep, EPOLL_CTL_ADD, l.sock.get(), &ev);
    }
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    std::array<epoll_event, 256> evs{};
    std::array<char, 4096> buf{};
    while (std::chrono::steady_clock::now() < give_up) {
      const int n = ::epoll_wait(ep, evs.data(), static_cast<int>(evs.size()), 1000);
      for (int k = 0; k < n; ++k) {
        const int fd = evs[static_cast<std::size_t>(k)].data.fd;
        if (fd == control) return 0;
        bool is_listener = false;
        for (const auto& l : ls) is_listener = is_listener || l.sock.get() == fd;
        if (is_listener) {
          for (int c; (c = ::accept4(fd, nullptr, nullptr, SOCK_CLOEXEC)) >= 0;) {
            ev.data.fd = c;
            ::epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev);
          }
          continue;
        }
        const ssize_t got = ::read(fd, buf.data(), buf.size());
        if (got <= 0) {
          ::close(fd);
          continue;
        }
        if (::write(fd, buf.data(), static_cast<std::size_t>(got)) != got) return 3;
      }
    }
    return 2;
  }
};

/// Writes `msg` to s and reads the same bytes back, with poll waits of at most 5 s each.
bool echo_round_trip(int s, const std::string& msg) {
  if (::send(s, msg.data(), msg.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(msg.size()))
    return false;
  std::string got;
  for (int tries = 0; got.size() < msg.size() && tries < 100; ++tries) {
    pollfd p{s, POLLIN, 0};
    if (::poll(&p, 1, 5000) != 1) return false;
    char buf[64];
    const ssize_t n = ::recv(s, buf, sizeof buf, 0);
    if (n <= 0) return false;
    got.append(buf, static_cast<std::size_t>(n));
  }
  return got == msg;
}

class EngineKeep : public t::backend_test {};

// 10 000 kept connections, then each written to and read from through the echo server: every
// socket the sink took is connected to its own target, non-blocking and close-on-exec.
TEST_P(EngineKeep, TenThousandKeptConnectionsEachEchoItsOwnBytes) {
  rlimit rl{};
  ::getrlimit(RLIMIT_NOFILE, &rl);
  if (rl.rlim_cur < 10'500)
    GTEST_SKIP() << "RLIMIT_NOFILE " << rl.rlim_cur << " is below the 10 500 this test needs";
  echo_child echo(8);
  std::vector<dial::address> targets;
  for (std::size_t i = 0; i < 10'000; ++i) targets.push_back(to_address(echo.where[i % 8]));
  auto e = make_keeping(GetParam(), 4096, 2);
  ASSERT_EQ(e.backend(), GetParam());
  const int fds = t::count_open_fds();
  taking_sink sink(targets.size());
  ASSERT_EQ(e.run(targets, sink), targets.size());
  EXPECT_FALSE(sink.second_take_gave_a_socket());
  EXPECT_EQ(t::count_open_fds(), fds + static_cast<int>(targets.size()))
      << "exactly the kept sockets are open";
  std::size_t echoed = 0;
  for (std::size_t i = 0; i < targets.size(); ++i) {
    ASSERT_EQ(sink.outcomes()[i], 0) << "target " << i;
    const int s = sink.sockets()[i].get();
    ASSERT_GE(s, 0) << "target " << i;
    EXPECT_TRUE(::fcntl(s, F_GETFL) & O_NONBLOCK) << "target " << i;
    EXPECT_TRUE(::fcntl(s, F_GETFD) & FD_CLOEXEC) << "target " << i;
    sockaddr_storage peer{};
    socklen_t len = sizeof peer;
    ASSERT_EQ(::getpeername(s, reinterpret_cast<sockaddr*>(&peer), &len), 0);
    EXPECT_EQ(*dial::address::from_native(reinterpret_cast<sockaddr*>(&peer), len), targets[i]);
    if (echo_round_trip(s, "connection " + std::to_string(i) + ";")) ++echoed;
  }
  EXPECT_EQ(echoed, targets.size());
  sink.sockets().clear();
  EXPECT_EQ(t::count_open_fds(), fds);
  EXPECT_EQ(echo.stop(), 0);
}

// A sink that takes nothing: every kept socket is closed after on_result; refused connects hand
// over nothing.
TEST_P(EngineKeep, SocketsNotTakenAreClosedAndFailuresHandOverNothing) {
  auto l = t::tcp_listener(AF_INET, 4096);
  auto closed = t::closed_tcp_port(AF_INET);
  std::vector<dial::address> targets;
  for (int i = 0; i < 500; ++i) targets.push_back(to_address(i % 2 == 0 ? l.where : closed.where));
  auto e = make_keeping(GetParam(), 256, 2);
  const int fds = t::count_open_fds();
  ignoring_sink ignore;
  ASSERT_EQ(e.run(targets, ignore), targets.size());
  EXPECT_EQ(ignore.ok(), 250u);
  EXPECT_EQ(t::count_open_fds(), fds) << "an untaken socket was left open";
  taking_sink take(targets.size());
  ASSERT_EQ(e.run(targets, take), targets.size());
  EXPECT_FALSE(take.failure_gave_a_socket());
  for (std::size_t i = 0; i < targets.size(); ++i) {
    EXPECT_EQ(take.outcomes()[i],
              i % 2 == 0 ? 0 : static_cast<int>(engine_connect_error::connection_refused));
    EXPECT_EQ(static_cast<bool>(take.sockets()[i]), i % 2 == 0) << "target " << i;
  }
}

// Connects that time out (a full accept queue drops their SYNs) hand over nothing and leave no
// descriptor behind.
TEST_P(EngineKeep, TimeoutsHandOverNothing) {
  auto full = t::full_tcp_listener(AF_INET);
  std::vector<dial::address> targets(40, to_address(full.l.where));
  auto e = make_keeping(GetParam(), 16, 2, std::chrono::milliseconds(200));
  const int fds = t::count_open_fds();
  taking_sink sink(targets.size());
  ASSERT_EQ(e.run(targets, sink), targets.size());
  for (std::size_t i = 0; i < targets.size(); ++i) {
    EXPECT_EQ(sink.outcomes()[i], static_cast<int>(engine_connect_error::timeout));
    EXPECT_FALSE(sink.sockets()[i]);
  }
  EXPECT_EQ(t::count_open_fds(), fds);
}

// Unix stream sockets are kept too (non-blocking, connected to the listener's path).
TEST_P(EngineKeep, KeepsUnixSockets) {
  const std::string path = t::temp_dir() + "/keep.sock";
  auto l = t::unix_listener(path, 64);
  std::vector<dial::address> targets(32, to_address(l.where));
  auto e = make_keeping(GetParam(), 8, 1);
  taking_sink sink(targets.size());
  ASSERT_EQ(e.run(targets, sink), targets.size());
  for (std::size_t i = 0; i < targets.size(); ++i) {
    ASSERT_EQ(sink.outcomes()[i], 0) << "target " << i;
    const int s = sink.sockets()[i].get();
    ASSERT_GE(s, 0);
    EXPECT_TRUE(::fcntl(s, F_GETFL) & O_NONBLOCK);
    const int c = ::accept4(l.sock.get(), nullptr, nullptr, SOCK_CLOEXEC);
    ASSERT_GE(c, 0);
    ASSERT_EQ(::send(s, "k", 1, MSG_NOSIGNAL), 1);
    char b = 0;
    EXPECT_EQ(::recv(c, &b, 1, 0), 1);
    EXPECT_EQ(b, 'k');
    ::close(c);
  }
}

// Without keep_connections nothing is handed over.
TEST_P(EngineKeep, WithoutTheOptionNothingIsHandedOver) {
  auto l = t::tcp_listener(AF_INET, 256);
  std::vector<dial::address> targets(50, to_address(l.where));
  engine_options o;
  o.backend = GetParam();
  o.concurrency = 16;
  auto e = engine::create(o);
  ASSERT_TRUE(e);
  const int fds = t::count_open_fds();
  taking_sink sink(targets.size());
  ASSERT_EQ(e->run(targets, sink), targets.size());
  for (std::size_t i = 0; i < targets.size(); ++i) {
    EXPECT_EQ(sink.outcomes()[i], 0);
    EXPECT_FALSE(sink.sockets()[i]) << "target " << i;
  }
  EXPECT_EQ(t::count_open_fds(), fds);
}

INSTANTIATE_TEST_SUITE_P(Backends, EngineKeep, t::both_backends(), t::backend_name);

}  // namespace
