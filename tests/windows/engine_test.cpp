// tests/windows/engine_test.cpp: dial::engine on Windows (IOCP + ConnectEx) against real loopback
// sockets, under wine. The 2 000-connect mix runs only in a private network namespace (ctest's
// windows.engine), the rest anywhere.
#include <gtest/gtest.h>
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <winsock2.h>
#include <ws2tcpip.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "dial/engine.hpp"
#include "portable_support.hpp"

namespace {

namespace p = dial::portable;
using dial::engine;
using dial::engine_backend;
using dial::engine_connect_error;
using dial::engine_create_error;
using dial::engine_options;
using dial::engine_result;
using namespace std::chrono_literals;

dial::address to_address(const p::endpoint& e) {
  auto a = p::from_endpoint(e);
  if (!a) throw std::runtime_error("from_endpoint");
  return *a;
}

/// What one target got: the name (0 = success), the code, and how many results.
struct seen {
  int id = -1;  // -1: no result
  int native = 0;
  int count = 0;
};

constexpr int id(engine_connect_error e) { return static_cast<int>(e); }

/// Collects results by index; optionally keeps the handed-over sockets.
class collecting_sink final : public dial::engine_sink {
 public:
  explicit collecting_sink(std::size_t n, bool take = false) : by_index_(n), take_(take) {}
  void on_result(const engine_result& r) override {
    seen& s = by_index_.at(r.index);
    s.id = r.outcome ? 0 : id(r.outcome.error());
    s.native = r.native_code;
    ++s.count;
    ++total_;
    if (take_) {
      auto sock = r.take_socket();
      if (sock) kept_.push_back(std::move(sock));
      if (r.take_socket()) ++second_takes_;  // handed over once
    }
  }
  const std::vector<seen>& results() const { return by_index_; }
  std::size_t total() const { return total_; }
  std::vector<dial::owned_socket>& kept() { return kept_; }
  int second_takes() const { return second_takes_; }

 private:
  std::vector<seen> by_index_;
  bool take_;
  std::size_t total_ = 0;
  std::vector<dial::owned_socket> kept_;
  int second_takes_ = 0;
};

engine make(std::size_t concurrency, unsigned threads, std::chrono::milliseconds timeout,
            bool keep = false) {
  engine_options o;
  o.concurrency = concurrency;
  o.threads = threads;
  o.timeout = timeout;
  o.keep_connections = keep;
  auto e = engine::create(o);
  if (!e) throw std::runtime_error("engine::create: " + std::string(dial::name(e.error())));
  return std::move(*e);
}

/// The sockets the process holds, counted by asking every handle value below 0x8000 for its
/// SO_TYPE (which only a socket has). A leaked socket shows here. GetProcessHandleCount would
/// count every handle, but wine's answers 0 whatever is open; and the handles that are not
/// sockets grow by a few over the first runs that start threads, then stay (counted with
/// GetHandleInformation over the same range: 40, 42, 45, 45, 45 over five 2 000-connect runs).
int socket_count() {
  int n = 0;
  for (std::uintptr_t v = 4; v < 0x8000; v += 4) {
    int type = 0;
    int len = sizeof type;
    if (::getsockopt(static_cast<SOCKET>(v), SOL_SOCKET, SO_TYPE, reinterpret_cast<char*>(&type),
                     &len) == 0)
      ++n;
  }
  return n;
}

TEST(WindowsEngine, SocketCountSeesEverySocket) {
  // The leak checks below rely on this: every open socket is counted.
  const int before = socket_count();
  {
    std::vector<dial::owned_socket> some;
    for (int i = 0; i < 10; ++i) some.push_back(p::tcp_socket(p::af_inet));
    EXPECT_EQ(socket_count(), before + 10);
  }
  EXPECT_EQ(socket_count(), before);
}

/// Every handle of the process (sockets, ports, threads, events), counted by asking about each
/// handle value below 0x8000 (GetHandleInformation fails on a value that is no open handle).
int handle_count() {
  int n = 0;
  for (std::uintptr_t v = 4; v < 0x8000; v += 4) {
    DWORD flags = 0;
    if (::GetHandleInformation(reinterpret_cast<HANDLE>(v), &flags)) ++n;
  }
  return n;
}

TEST(WindowsEngine, EachThreadHasOneCompletionPortClosedWithTheEngine) {
  // create() starts no thread: one port per thread is all it keeps (its ConnectEx probe sockets
  // are closed), and destroying the engine closes them. The first engine of the process may
  // start Winsock, whose handles stay (under wine, one more handle stays after the first engine
  // besides): counted from a second engine on.
  make(1, 1, 1000ms);
  const int before = handle_count();
  const int sockets = socket_count();
  {
    const auto e = make(64, 4, 1000ms);
    ASSERT_EQ(e.threads(), 4u);
    EXPECT_EQ(handle_count(), before + 4);
    EXPECT_EQ(socket_count(), sockets);
  }
  EXPECT_EQ(handle_count(), before);
}

TEST(WindowsEngine, BadOptionsAreInvalidOption) {
  engine_options zero;
  zero.concurrency = 0;
  engine_options negative;
  negative.timeout = -1ms;
  engine_options outside;
  outside.backend = static_cast<engine_backend>(7);
  engine_options bad_rate;
  bad_rate.rate = -5;
  for (const auto& o : {zero, negative, outside, bad_rate}) {
    const auto e = engine::create(o);
    ASSERT_FALSE(e);
    EXPECT_EQ(e.error(), engine_create_error::invalid_option);
  }
}

TEST(WindowsEngine, LinuxBackendsAreUnavailableAndAutomaticIsIocp) {
  for (const auto b : {engine_backend::io_uring, engine_backend::epoll}) {
    engine_options o;
    o.backend = b;
    const auto e = engine::create(o);
    ASSERT_FALSE(e);
    EXPECT_EQ(e.error(), engine_create_error::backend_unavailable) << dial::name(b);
  }
  const auto e = engine::create({});
  ASSERT_TRUE(e);
  EXPECT_EQ(e->backend(), engine_backend::automatic);
  EXPECT_EQ(e->concurrency(), 4096u);
  EXPECT_GE(e->threads(), 1u);
}

TEST(WindowsEngine, ThreadsAndConcurrencyAreAsAsked) {
  const auto e = make(3, 8, 1000ms);  // never more threads than connects in flight
  EXPECT_EQ(e.threads(), 3u);
  EXPECT_EQ(e.concurrency(), 3u);
  const auto big = make(1'000'000, 2, 1000ms);  // one local port each: at most 65 535
  EXPECT_EQ(big.concurrency(), 65535u);
  EXPECT_EQ(big.threads(), 2u);
}

TEST(WindowsEngine, OpenAndRefusedTargets) {
  auto open = p::tcp_listener(p::af_inet, 64);
  auto closed = p::closed_port(p::af_inet);
  std::vector<dial::address> targets;
  for (int i = 0; i < 20; ++i)
    targets.push_back(to_address(i % 2 == 0 ? open.where : closed.where));
  collecting_sink sink(targets.size());
  auto e = make(8, 2, 2000ms);
  EXPECT_EQ(e.run(targets, sink), targets.size());
  for (std::size_t i = 0; i < targets.size(); ++i) {
    const seen& s = sink.results()[i];
    EXPECT_EQ(s.count, 1) << i;
    if (i % 2 == 0) {
      EXPECT_EQ(s.id, 0) << i;
      EXPECT_EQ(s.native, 0) << i;
    } else {
      EXPECT_EQ(s.id, id(engine_connect_error::connection_refused)) << i;
      EXPECT_EQ(s.native, WSAECONNREFUSED) << i;
    }
  }
}

// engine_options::rate: 60 refused connects at 200 per second cannot take less than about
// (60 - 3) / 200 s (an upper bound on speed, which a slow machine cannot break), and every target
// still gets its result.
TEST(WindowsEngine, RateSpacesTheStarts) {
  auto closed = p::closed_port(p::af_inet);
  std::vector<dial::address> targets(60, to_address(closed.where));
  engine_options o;
  o.concurrency = 16;
  o.threads = 2;
  o.rate = 200;
  auto e = engine::create(o);
  ASSERT_TRUE(e);
  collecting_sink sink(targets.size());
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(e->run(targets, sink), targets.size());
  const auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_GE(took, std::chrono::milliseconds(57 * 1000 / 200)) << "faster than the rate";
  for (const seen& s : sink.results())
    EXPECT_EQ(s.id, id(engine_connect_error::connection_refused));
}

TEST(WindowsEngine, Ipv6OpenAndRefusedTargets) {
  // IPv6's ConnectEx and its wildcard bind (in6addr_any).
  auto open = p::tcp_listener(p::af_inet6, 16);
  auto closed = p::closed_port(p::af_inet6);
  const std::vector<dial::address> targets{to_address(open.where), to_address(closed.where)};
  collecting_sink sink(targets.size());
  auto e = make(4, 1, 2000ms);
  EXPECT_EQ(e.run(targets, sink), targets.size());
  EXPECT_EQ(sink.results()[0].id, 0);
  EXPECT_EQ(sink.results()[1].id, id(engine_connect_error::connection_refused));
  EXPECT_EQ(sink.results()[1].native, WSAECONNREFUSED);
}

TEST(WindowsEngine, UnixTargetsAreAddressFamilyNotSupported) {
  auto u = dial::address::unix_path("C:\\dial-engine-test.sock");
  ASSERT_TRUE(u);
  const std::vector<dial::address> targets{*u};
  collecting_sink sink(1);
  auto e = make(4, 1, 1000ms);
  EXPECT_EQ(e.run(targets, sink), 1u);
  EXPECT_EQ(sink.results()[0].id, id(engine_connect_error::address_family_not_supported));
  EXPECT_EQ(sink.results()[0].native, WSAEAFNOSUPPORT);
}

TEST(WindowsEngine, FullBacklogIsTimeout) {
  auto full = p::full_tcp_listener(p::af_inet);
  const std::vector<dial::address> targets(4, to_address(full.l.where));
  collecting_sink sink(targets.size());
  auto e = make(4, 1, 200ms);
  EXPECT_EQ(e.run(targets, sink), targets.size());
  for (const seen& s : sink.results()) {
    EXPECT_EQ(s.id, id(engine_connect_error::timeout));
    EXPECT_EQ(s.native, 0);
  }
}

/// Stops the run at its first successful result.
class stopping_sink final : public dial::engine_sink {
 public:
  stopping_sink(std::size_t n, std::stop_source stop) : by_index_(n), stop_(std::move(stop)) {}
  void on_result(const engine_result& r) override {
    seen& s = by_index_.at(r.index);
    s.id = r.outcome ? 0 : id(r.outcome.error());
    ++s.count;
    if (r.outcome) stop_.request_stop();
  }
  const std::vector<seen>& results() const { return by_index_; }

 private:
  std::vector<seen> by_index_;
  std::stop_source stop_;
};

TEST(WindowsEngine, StopCancelsStartedConnectsAndStartsNoMore) {
  // Target 0 is open, the rest wait on a full backlog with a 10 s deadline: the open one's result
  // stops the run, so every other started connect ends Canceled and most targets never start.
  auto open = p::tcp_listener(p::af_inet, 16);
  auto full = p::full_tcp_listener(p::af_inet);
  std::vector<dial::address> targets{to_address(open.where)};
  targets.resize(301, to_address(full.l.where));
  auto e = make(64, 1, 10s);
  const int sockets = socket_count();
  std::stop_source stop;
  stopping_sink sink(targets.size(), stop);
  const std::size_t delivered = e.run(targets, sink, stop.get_token());
  std::size_t with_result = 0;
  for (std::size_t i = 0; i < targets.size(); ++i) {
    const seen& s = sink.results()[i];
    EXPECT_LE(s.count, 1) << i;
    if (s.count == 0) continue;
    ++with_result;
    EXPECT_EQ(s.id, i == 0 ? 0 : id(engine_connect_error::canceled)) << i;
  }
  EXPECT_EQ(delivered, with_result);
  EXPECT_EQ(sink.results()[0].count, 1);
  EXPECT_GE(delivered, 64u);  // all 64 slots were started before the stop was seen
  EXPECT_LT(delivered, targets.size());
  EXPECT_EQ(socket_count(), sockets);  // every cancelled socket closed after its completion
}

TEST(WindowsEngine, StopRequestedBeforeRunStartsNothing) {
  auto open = p::tcp_listener(p::af_inet, 16);
  const std::vector<dial::address> targets(8, to_address(open.where));
  std::stop_source stop;
  stop.request_stop();
  collecting_sink sink(targets.size());
  auto e = make(8, 2, 1000ms);
  EXPECT_EQ(e.run(targets, sink, stop.get_token()), 0u);
  EXPECT_EQ(sink.total(), 0u);
}

/// Accepts connections on `l` and echoes what each sends until it closes, one thread.
class echo_server {
 public:
  echo_server(p::listener l, int connections)
      : l_(std::move(l)), thread_([this, connections] { serve(connections); }) {}
  ~echo_server() { thread_.join(); }
  echo_server(const echo_server&) = delete;
  echo_server& operator=(const echo_server&) = delete;

 private:
  void serve(int connections) {
    std::vector<dial::owned_socket> accepted;
    for (int k = 0; k < connections; ++k) {
      const SOCKET c = ::accept(l_.sock.get(), nullptr, nullptr);
      if (c == INVALID_SOCKET) return;
      accepted.emplace_back(c);
    }
    for (auto& c : accepted) {  // one request each, then the peer closes
      char buf[64];
      const int n = ::recv(c.get(), buf, sizeof buf, 0);
      if (n > 0) ::send(c.get(), buf, n, 0);
    }
  }
  p::listener l_;
  std::jthread thread_;
};

TEST(WindowsEngine, KeepConnectionsHandsOverWorkingNonBlockingSockets) {
  constexpr int n = 8;
  auto l = p::tcp_listener(p::af_inet, 16);
  const auto where = to_address(l.where);
  auto closed = p::closed_port(p::af_inet);
  std::vector<dial::address> targets(n, where);
  targets.push_back(to_address(closed.where));  // a failure hands nothing over
  echo_server echo(std::move(l), n);
  collecting_sink sink(targets.size(), true);  // destroyed first: the echo server sees EOF
  auto e = make(16, 2, 2000ms, true);
  EXPECT_EQ(e.run(targets, sink), targets.size());
  ASSERT_EQ(sink.kept().size(), static_cast<std::size_t>(n));
  EXPECT_EQ(sink.second_takes(), 0);
  EXPECT_EQ(sink.results()[n].id, id(engine_connect_error::connection_refused));
  for (auto& s : sink.kept()) {
    char c = 0;  // non-blocking: nothing to read yet is WSAEWOULDBLOCK at once
    EXPECT_EQ(::recv(s.get(), &c, 1, 0), SOCKET_ERROR);
    EXPECT_EQ(::WSAGetLastError(), WSAEWOULDBLOCK);
  }
  // All requests first: the server answers its connections in accept order, not ours.
  for (std::size_t k = 0; k < sink.kept().size(); ++k) {
    const std::string msg = "ping " + std::to_string(k);
    ASSERT_EQ(::send(sink.kept()[k].get(), msg.data(), static_cast<int>(msg.size()), 0),
              static_cast<int>(msg.size()));
  }
  for (std::size_t k = 0; k < sink.kept().size(); ++k) {
    const SOCKET s = sink.kept()[k].get();
    WSAPOLLFD pfd{s, POLLRDNORM, 0};
    ASSERT_EQ(::WSAPoll(&pfd, 1, 5000), 1);
    char buf[64];
    const int got = ::recv(s, buf, sizeof buf, 0);
    EXPECT_EQ(std::string(buf, got > 0 ? static_cast<std::size_t>(got) : 0),
              "ping " + std::to_string(k));
  }
}

// engine_options::socket on Windows: each socket gets the options before its bind and
// ConnectEx (read back from the kept sockets), and SO_MARK, which Winsock lacks, or an impossible
// value is InvalidOption at create().
TEST(WindowsEngine, SocketOptionsAreOnEveryKeptSocket) {
  auto l = p::tcp_listener(p::af_inet, 16);
  const std::vector<dial::address> targets(8, to_address(l.where));
  engine_options o;
  o.concurrency = 8;
  o.threads = 1;
  o.timeout = 5000ms;
  o.keep_connections = true;
  o.socket.no_delay = true;  // (not keepalive: wine 8 has no TCP_KEEPIDLE, WSAENOPROTOOPT)
  o.socket.send_buffer = 32768;
  auto e = engine::create(o);
  ASSERT_TRUE(e) << dial::name(e.error());
  collecting_sink sink(targets.size(), true);
  EXPECT_EQ(e->run(targets, sink), targets.size());
  for (const auto& r : sink.results()) EXPECT_EQ(r.id, 0) << "native " << r.native;
  ASSERT_EQ(sink.kept().size(), targets.size());
  for (auto& s : sink.kept()) {
    const auto get = [&](int level, int name) {
      int v =
          0;  // zeroed: TCP_NODELAY is written as one byte (a BOOLEAN), under wine as on Windows
      int len = sizeof v;
      return ::getsockopt(s.get(), level, name, reinterpret_cast<char*>(&v), &len) == 0 ? v : -2;
    };
    EXPECT_EQ(get(IPPROTO_TCP, TCP_NODELAY), 1);
    EXPECT_EQ(get(SOL_SOCKET, SO_SNDBUF), 32768);
  }
  engine_options marked;
  marked.socket.mark = 1;
  engine_options negative;
  negative.socket.receive_buffer = -1;
  for (const auto& bad : {marked, negative}) {
    const auto made = engine::create(bad);
    ASSERT_FALSE(made);
    EXPECT_EQ(made.error(), engine_create_error::invalid_option);
  }
}

TEST(WindowsEngine, KeptSocketsNotTakenAreClosed) {
  auto l = p::tcp_listener(p::af_inet, 64);
  const std::vector<dial::address> targets(32, to_address(l.where));
  auto e = make(8, 2, 2000ms, true);
  const int sockets = socket_count();
  collecting_sink sink(targets.size());  // takes nothing
  EXPECT_EQ(e.run(targets, sink), targets.size());
  for (const seen& s : sink.results()) EXPECT_EQ(s.id, 0);
  EXPECT_EQ(socket_count(), sockets);
}

/// The private network namespace of ctest's windows.engine (tests/windows/private_network.sh).
bool in_private_network() {
  const char* v = std::getenv("DIAL_TEST_PRIVATE_NETWORK");
  return v != nullptr && std::string(v) == "1";
}

TEST(WindowsEngineNetns, TwoThousandConnectsToOpenRefusedAndFullBacklogTargets) {
  if (!in_private_network()) GTEST_SKIP() << "floods loopback: runs in windows.engine only";
  constexpr std::size_t total = 2000;
  std::vector<p::listener> open;
  std::vector<p::listener> closed;
  std::vector<p::full_listener> full;
  for (int i = 0; i < 8; ++i) {
    open.push_back(p::tcp_listener(p::af_inet, 1024));
    closed.push_back(p::closed_port(p::af_inet));
  }
  for (int i = 0; i < 4; ++i) full.push_back(p::full_tcp_listener(p::af_inet));
  // Interleaved: 7 of every 16 open, 7 refused, 2 on a full backlog.
  std::vector<dial::address> targets;
  std::vector<int> want;
  for (std::size_t i = 0; i < total; ++i) {
    const std::size_t k = i % 16;
    if (k < 7) {
      targets.push_back(to_address(open[i % open.size()].where));
      want.push_back(0);
    } else if (k < 14) {
      targets.push_back(to_address(closed[i % closed.size()].where));
      want.push_back(id(engine_connect_error::connection_refused));
    } else {
      targets.push_back(to_address(full[i % full.size()].l.where));
      want.push_back(id(engine_connect_error::timeout));
    }
  }
  auto e = make(256, 2, 300ms);
  const int sockets = socket_count();
  collecting_sink sink(total);
  EXPECT_EQ(e.run(targets, sink), total);
  EXPECT_EQ(sink.total(), total);
  for (std::size_t i = 0; i < total; ++i) {
    const seen& s = sink.results()[i];
    ASSERT_EQ(s.count, 1) << "target " << i;
    EXPECT_EQ(s.id, want[i]) << "target " << i;
    EXPECT_EQ(s.native,
              want[i] == id(engine_connect_error::connection_refused) ? WSAECONNREFUSED : 0)
        << "target " << i;
  }
  EXPECT_EQ(socket_count(), sockets);  // no socket left behind
}

}  // namespace
