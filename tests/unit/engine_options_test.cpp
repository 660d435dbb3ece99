// tests/unit/engine_options_test.cpp: engine_options::socket on both back-ends: the options are
// on every socket the engine connects (read back from kept sockets with getsockopt), and a
// refusal ends each connect with setsockopt's name while the run still ends.
#include <gtest/gtest.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "backend_test.hpp"
#include "dial/engine.hpp"
#include "support.hpp"

namespace {

namespace t = dial::test;
using dial::engine;
using dial::engine_backend;
using dial::engine_connect_error;
using dial::engine_create_error;
using dial::engine_options;
using dial::engine_result;

using t::to_address;

std::string bound_device(int fd) {
  char dev[IFNAMSIZ] = {};
  socklen_t len = sizeof dev;
  if (::getsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, dev, &len) != 0) return "error";
  return std::string(dev, ::strnlen(dev, sizeof dev));
}

/// Every result by index: the outcome's id (0: success), its native code, the kept socket.
class results_sink final : public dial::engine_sink {
 public:
  explicit results_sink(std::size_t n) : ids_(n, -1), natives_(n, 0), sockets_(n) {}
  void on_result(const engine_result& r) override {
    ids_.at(r.index) = r.outcome ? 0 : static_cast<int>(r.outcome.error());
    natives_[r.index] = r.native_code;
    sockets_[r.index] = r.take_socket();
  }
  const std::vector<int>& ids() const { return ids_; }
  const std::vector<int>& natives() const { return natives_; }
  std::vector<dial::owned_socket>& sockets() { return sockets_; }

 private:
  std::vector<int> ids_;
  std::vector<int> natives_;
  std::vector<dial::owned_socket> sockets_;
};

constexpr int id(engine_connect_error e) { return static_cast<int>(e); }

std::expected<engine, engine_create_error> make(engine_backend b, const dial::socket_options& s,
                                                bool keep) {
  engine_options o;
  o.backend = b;
  o.concurrency = 64;
  o.threads = 2;
  o.timeout = std::chrono::seconds(5);
  o.keep_connections = keep;
  o.socket = s;
  return engine::create(o);
}

/// `n` loopback targets: every `every`-th one (from the first) a refused port, the rest open.
struct mixed_targets {
  t::listener open = t::tcp_listener(AF_INET, 512);
  t::listener closed = t::closed_tcp_port(AF_INET);
  std::vector<dial::address> targets;
  mixed_targets(int n, int every) {
    for (int i = 0; i < n; ++i)
      targets.push_back(to_address(i % every == 0 ? closed.where : open.where));
  }
};

class EngineOptions : public t::backend_test {};

dial::socket_options every_option() {
  dial::socket_options s;
  s.interface_name = "lo";
  s.mark = 0x2a;
  s.user_timeout = std::chrono::milliseconds(1500);
  s.keepalive = dial::keepalive_options{std::chrono::seconds(30), std::chrono::seconds(5), 3};
  s.no_delay = true;
  s.send_buffer = 65536;
  s.receive_buffer = 32768;
  return s;
}

// The options are on every socket: kept sockets read back what was asked for. SO_MARK and
// SO_BINDTODEVICE need CAP_NET_ADMIN / CAP_NET_RAW.
TEST_P(EngineOptions, SetsEveryOptionOnEverySocket) {
  if (!t::is_root()) GTEST_SKIP() << t::needs_root;
  const t::listener l = t::tcp_listener(AF_INET, 512);
  const std::vector<dial::address> targets(200, to_address(l.where));
  auto e = make(GetParam(), every_option(), true);
  ASSERT_TRUE(e) << dial::name(e.error());
  results_sink sink(targets.size());
  EXPECT_EQ(e->run(targets, sink), targets.size());
  for (std::size_t i = 0; i < targets.size(); ++i) {
    ASSERT_EQ(sink.ids()[i], 0) << "target " << i << ": native " << sink.natives()[i];
    const int fd = sink.sockets()[i].get();
    ASSERT_GE(fd, 0);
    EXPECT_EQ(bound_device(fd), "lo");
    EXPECT_EQ(t::int_option(fd, SOL_SOCKET, SO_MARK), 0x2a);
    EXPECT_EQ(t::int_option(fd, IPPROTO_TCP, TCP_USER_TIMEOUT), 1500);
    EXPECT_EQ(t::int_option(fd, SOL_SOCKET, SO_KEEPALIVE), 1);
    EXPECT_EQ(t::int_option(fd, IPPROTO_TCP, TCP_KEEPIDLE), 30);
    EXPECT_EQ(t::int_option(fd, IPPROTO_TCP, TCP_KEEPINTVL), 5);
    EXPECT_EQ(t::int_option(fd, IPPROTO_TCP, TCP_KEEPCNT), 3);
    EXPECT_EQ(t::int_option(fd, IPPROTO_TCP, TCP_NODELAY), 1);
    EXPECT_EQ(t::int_option(fd, SOL_SOCKET, SO_SNDBUF), 2 * 65536);  // the kernel doubles it
    EXPECT_EQ(t::int_option(fd, SOL_SOCKET, SO_RCVBUF), 2 * 32768);
    if (::testing::Test::HasFailure()) break;  // one socket's report is enough
  }
}

// The same options without keep_connections (io_uring closes each socket in its chain): every
// connect still succeeds, and refused ports are still refused.
TEST_P(EngineOptions, ConnectsAndRefusesWithOptionsSet) {
  const mixed_targets m(300, 3);
  const auto& targets = m.targets;
  dial::socket_options s;
  s.no_delay = true;
  s.keepalive = dial::keepalive_options{};
  s.send_buffer = 16384;
  auto e = make(GetParam(), s, false);
  ASSERT_TRUE(e) << dial::name(e.error());
  results_sink sink(targets.size());
  EXPECT_EQ(e->run(targets, sink), targets.size());
  for (std::size_t i = 0; i < targets.size(); ++i)
    ASSERT_EQ(sink.ids()[i], i % 3 == 0 ? id(engine_connect_error::connection_refused) : 0)
        << "target " << i << ": native " << sink.natives()[i];
}

// An interface that does not exist: every connect ends UnknownInterface (ENODEV) and the run
// returns with one result each, open and refused targets alike.
TEST_P(EngineOptions, UnknownInterfaceEndsEveryConnectWithItsName) {
  const mixed_targets m(500, 2);
  const auto& targets = m.targets;
  dial::socket_options s;
  s.no_delay = true;  // a step that succeeds before the one that fails
  s.interface_name = "nosuch0";
  for (const bool keep : {false, true}) {
    auto e = make(GetParam(), s, keep);
    ASSERT_TRUE(e) << dial::name(e.error());
    results_sink sink(targets.size());
    EXPECT_EQ(e->run(targets, sink), targets.size());
    for (std::size_t i = 0; i < targets.size(); ++i) {
      ASSERT_EQ(sink.ids()[i], id(engine_connect_error::unknown_interface)) << "target " << i;
      ASSERT_EQ(sink.natives()[i], ENODEV);
      ASSERT_FALSE(sink.sockets()[i]);
    }
  }
}

// SO_MARK without CAP_NET_ADMIN: PermissionDenied (EPERM) for every connect, in a child that
// dropped root.
TEST_P(EngineOptions, MarkWithoutPrivilegeIsPermissionDenied) {
  if (!t::is_root()) GTEST_SKIP() << t::needs_root << " (to drop it)";
  const t::listener l = t::tcp_listener(AF_INET, 512);
  const dial::address to = to_address(l.where);
  const engine_backend b = GetParam();
  EXPECT_EQ(t::run_in_child([&] {
              if (!t::become_nobody()) return 90;
              dial::socket_options s;
              s.mark = 7;
              auto e = make(b, s, false);
              if (!e) return 91;
              const std::vector<dial::address> targets(50, to);
              results_sink sink(targets.size());
              if (e->run(targets, sink) != targets.size()) return 92;
              for (std::size_t i = 0; i < targets.size(); ++i)
                if (sink.ids()[i] != id(engine_connect_error::permission_denied) ||
                    sink.natives()[i] != EPERM)
                  return 93;
              return 0;
            }),
            0);
}

// A value no kernel accepts is refused at create(), before any socket exists.
TEST_P(EngineOptions, RefusesImpossibleValuesAtCreate) {
  dial::socket_options negative_buffer;
  negative_buffer.send_buffer = -1;
  dial::socket_options negative_timeout;
  negative_timeout.user_timeout = std::chrono::milliseconds(-5);
  dial::socket_options long_name;
  long_name.interface_name = std::string(IFNAMSIZ, 'x');
  for (const auto& s : {negative_buffer, negative_timeout, long_name}) {
    auto e = make(GetParam(), s, false);
    ASSERT_FALSE(e);
    EXPECT_EQ(e.error(), engine_create_error::invalid_option);
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, EngineOptions, t::both_backends(), t::backend_name);

}  // namespace
