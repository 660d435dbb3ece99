// tests/unit/transport_test.cpp: Multipath TCP and TCP Fast Open (socket_options::multipath and
// fast_open) on the real kernel, each in a private network namespace whose sysctls the test sets,
// with listeners that check what they received.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <span>
#include <sstream>
#include <string>
#include <vector>

#include "backend_test.hpp"
#include "dial/dial.hpp"
#include "support.hpp"

namespace {

namespace t = dial::test;
using dial::fast_open_state;
using dial::transport;

constexpr int ipproto_mptcp = 262;  // IPPROTO_MPTCP
constexpr int tcp_is_mptcp = 43;    // TCP_IS_MPTCP (Linux 5.16), not in Debian 12's headers

// In a child: a failed check prints itself and becomes the exit status.
#define DIAL_CHECK(cond, status)                                                    \
  do {                                                                              \
    if (!(cond)) {                                                                  \
      std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      return status;                                                                \
    }                                                                               \
  } while (0)

// A listener on 127.0.0.1 (ephemeral port) made with `protocol` (0: TCP, or IPPROTO_MPTCP),
// with a Fast Open queue when `fast_open`.
struct test_listener {
  t::fd sock;
  dial::address where;
};

test_listener listen_with(int protocol, bool fast_open = false, std::uint16_t port = 0) {
  test_listener l{t::fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, protocol)), {}};
  if (fast_open) {
    const int queue = 16;
    if (::setsockopt(l.sock.get(), IPPROTO_TCP, TCP_FASTOPEN, &queue, sizeof queue) != 0) return {};
  }
  const auto a = t::ip("127.0.0.1", port);
  if (::bind(l.sock.get(), a.sa(), a.len) != 0 || ::listen(l.sock.get(), 16) != 0) return {};
  l.where = *dial::local_address(l.sock.get());
  return l;
}

bool sysctl(const std::string& name, const std::string& value) {
  return t::write_sysctl("/proc/sys/net/" + name, value);
}

dial::socket_options multipath() {
  dial::socket_options o;
  o.multipath = true;
  return o;
}

dial::connect_options multipath_options() {
  dial::connect_options o;
  o.socket.multipath = true;
  return o;
}

std::string read_some(int s) {
  char buf[64];
  const auto n = ::recv(s, buf, sizeof buf, 0);
  return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
}

bool send_text(int s, const std::string& text) {
  return ::send(s, text.data(), text.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(text.size());
}

// The server side's TCP_INFO options of an accepted socket.
unsigned server_options(int s) {
  tcp_info info{};
  socklen_t len = sizeof info;
  if (::getsockopt(s, IPPROTO_TCP, TCP_INFO, &info, &len) != 0) return 0;
  return info.tcpi_options;
}

// ---- Multipath TCP ---------------------------------------------------------------------------

TEST(Multipath, ToAnMptcpListenerIsMptcpOnBothSides) {
  if (!t::is_root()) GTEST_SKIP() << t::needs_root;
  const int rc = t::run_in_child([] {
    DIAL_CHECK(t::enter_new_netns() && sysctl("mptcp/enabled", "1"), 90);
    auto l = listen_with(ipproto_mptcp);
    DIAL_CHECK(l.sock.get() >= 0 && l.where.port() != 0, 91);
    auto s = dial::connect_to_address(l.where, multipath_options());
    DIAL_CHECK(s, 1);
    DIAL_CHECK(t::int_option(s->get(), SOL_SOCKET, SO_PROTOCOL) == ipproto_mptcp, 2);
    DIAL_CHECK(dial::transport_protocol(s->get()) == transport::mptcp, 3);
    const t::fd a(::accept4(l.sock.get(), nullptr, nullptr, SOCK_CLOEXEC));
    // The listener's side: the accepted socket is an MPTCP one, and says so.
    DIAL_CHECK(t::int_option(a.get(), SOL_SOCKET, SO_PROTOCOL) == ipproto_mptcp, 4);
    DIAL_CHECK(t::int_option(a.get(), IPPROTO_TCP, tcp_is_mptcp) == 1, 5);
    DIAL_CHECK(send_text(s->get(), "mp") && read_some(a.get()) == "mp", 6);
    return 0;
  });
  EXPECT_EQ(rc, 0);
}

TEST(Multipath, APeerWithoutMptcpGetsTcpAndTheReportSaysTcp) {
  if (!t::is_root()) GTEST_SKIP() << t::needs_root;
  const int rc = t::run_in_child([] {
    DIAL_CHECK(t::enter_new_netns() && sysctl("mptcp/enabled", "1"), 90);
    auto l = listen_with(0);
    DIAL_CHECK(l.sock.get() >= 0, 91);
    auto s = dial::connect_to_address(l.where, multipath_options());
    DIAL_CHECK(s, 1);
    // An MPTCP socket whose peer did not answer with MP_CAPABLE: fallen back to TCP.
    DIAL_CHECK(t::int_option(s->get(), SOL_SOCKET, SO_PROTOCOL) == ipproto_mptcp, 2);
    DIAL_CHECK(dial::transport_protocol(s->get()) == transport::tcp, 3);
    const t::fd a(::accept4(l.sock.get(), nullptr, nullptr, SOCK_CLOEXEC));
    DIAL_CHECK(t::int_option(a.get(), SOL_SOCKET, SO_PROTOCOL) == IPPROTO_TCP, 4);
    DIAL_CHECK(send_text(s->get(), "tcp") && read_some(a.get()) == "tcp", 5);
    return 0;
  });
  EXPECT_EQ(rc, 0);
}

TEST(Multipath, DisabledInTheNamespaceFallsBackToATcpSocket) {
  if (!t::is_root()) GTEST_SKIP() << t::needs_root;
  const int rc = t::run_in_child([] {
    DIAL_CHECK(t::enter_new_netns() && sysctl("mptcp/enabled", "0"), 90);
    // The refusal itself, through socket's table: ENOPROTOOPT is ProtocolNotSupported.
    auto raw = dial::socket(AF_INET, SOCK_STREAM, ipproto_mptcp);
    DIAL_CHECK(!raw && raw.error() == dial::socket_error::protocol_not_supported, 1);
    DIAL_CHECK(dial::last_native_error() == ENOPROTOOPT, 2);
    for (const int family : {AF_INET, AF_INET6}) {
      auto fd = dial::open_socket(family, SOCK_STREAM, multipath());
      DIAL_CHECK(fd, 3);
      const t::fd owned(*fd);
      DIAL_CHECK(t::int_option(owned.get(), SOL_SOCKET, SO_PROTOCOL) == IPPROTO_TCP, 4);
    }
    DIAL_CHECK(listen_with(ipproto_mptcp).sock.get() < 0, 10);  // no MPTCP listener either
    auto l = listen_with(0);
    DIAL_CHECK(l.sock.get() >= 0, 91);
    auto s = dial::connect_to_address(l.where, multipath_options());
    DIAL_CHECK(s, 5);
    DIAL_CHECK(t::int_option(s->get(), SOL_SOCKET, SO_PROTOCOL) == IPPROTO_TCP, 6);
    DIAL_CHECK(dial::transport_protocol(s->get()) == transport::tcp, 7);
    const t::fd a(::accept4(l.sock.get(), nullptr, nullptr, SOCK_CLOEXEC));
    DIAL_CHECK(t::int_option(a.get(), SOL_SOCKET, SO_PROTOCOL) == IPPROTO_TCP, 8);
    DIAL_CHECK(t::int_option(a.get(), IPPROTO_TCP, tcp_is_mptcp) == 0, 9);
    return 0;
  });
  EXPECT_EQ(rc, 0);
}

TEST(Multipath, NotAskedForIsTcpEvenToAnMptcpListener) {
  if (!t::is_root()) GTEST_SKIP() << t::needs_root;
  const int rc = t::run_in_child([] {
    DIAL_CHECK(t::enter_new_netns() && sysctl("mptcp/enabled", "1"), 90);
    auto l = listen_with(ipproto_mptcp);
    DIAL_CHECK(l.sock.get() >= 0, 91);
    auto s = dial::connect_to_address(l.where);
    DIAL_CHECK(s, 1);
    DIAL_CHECK(dial::transport_protocol(s->get()) == transport::tcp, 2);
    const t::fd a(::accept4(l.sock.get(), nullptr, nullptr, SOCK_CLOEXEC));
    DIAL_CHECK(t::int_option(a.get(), IPPROTO_TCP, tcp_is_mptcp) == 0, 3);
    return 0;
  });
  EXPECT_EQ(rc, 0);
}

TEST(Multipath, ThroughConnectToHostTheConnectionSaysWhichProtocol) {
  if (!t::is_root()) GTEST_SKIP() << t::needs_root;
  const int rc = t::run_in_child([] {
    DIAL_CHECK(t::enter_new_netns() && sysctl("mptcp/enabled", "1"), 90);
    auto mp = listen_with(ipproto_mptcp);
    auto tcp = listen_with(0);
    DIAL_CHECK(mp.sock.get() >= 0 && tcp.sock.get() >= 0, 91);
    dial::connect_to_host_options o;
    o.socket.multipath = true;
    o.deadline = dial::deadline_clock::now() + std::chrono::seconds(10);  // the non-blocking path
    auto c = dial::connect_to_host("127.0.0.1", mp.where.port(), o);
    DIAL_CHECK(c && c->protocol == transport::mptcp, 1);
    const t::fd a(::accept4(mp.sock.get(), nullptr, nullptr, SOCK_CLOEXEC));
    DIAL_CHECK(t::int_option(a.get(), IPPROTO_TCP, tcp_is_mptcp) == 1, 2);
    auto d = dial::connect_to_host("127.0.0.1", tcp.where.port(), o);
    DIAL_CHECK(d && d->protocol == transport::tcp, 3);
    o.deadline = dial::deadline_clock::time_point::max();  // the blocking path
    auto e = dial::connect_to_host("127.0.0.1", mp.where.port(), o);
    DIAL_CHECK(e && e->protocol == transport::mptcp, 4);
    o.socket.multipath = false;
    auto f = dial::connect_to_host("127.0.0.1", mp.where.port(), o);
    DIAL_CHECK(f && f->protocol == transport::tcp, 5);
    return 0;
  });
  EXPECT_EQ(rc, 0);
}

TEST(Multipath, OnlyIpStreamSocketsAreAskedForIt) {
  // Datagram and Unix sockets are made as they would be without it.
  auto udp = dial::open_socket(AF_INET, SOCK_DGRAM, multipath());
  ASSERT_TRUE(udp) << dial::name(udp.error());
  const t::fd u(*udp);
  EXPECT_EQ(t::int_option(u.get(), SOL_SOCKET, SO_PROTOCOL), IPPROTO_UDP);
  auto unix_stream = dial::open_socket(AF_UNIX, SOCK_STREAM, multipath());
  ASSERT_TRUE(unix_stream) << dial::name(unix_stream.error());
  const t::fd x(*unix_stream);
  EXPECT_EQ(t::int_option(x.get(), SOL_SOCKET, SO_PROTOCOL), 0);
  EXPECT_EQ(dial::transport_protocol(x.get()), transport::tcp);  // it cannot say: TCP
  EXPECT_EQ(dial::name(transport::mptcp), "MPTCP");
  EXPECT_EQ(dial::name(transport::tcp), "TCP");
}

// ---- the engine with socket.multipath --------------------------------------------------------

// In a fresh namespace with net.mptcp.enabled=`enabled`: 200 kept connects through the engine
// on `backend` to an MPTCP listener, each connect one socket of `protocol` that transport_protocol
// reports as `spoken`, and 40 connects to a closed port all refused. Returns the failed check.
int engine_multipath_run(dial::engine_backend backend, bool enabled, int protocol,
                         transport spoken) {
  DIAL_CHECK(t::enter_new_netns() && sysctl("mptcp/enabled", enabled ? "1" : "0"), 90);
  // The listener is MPTCP when the namespace allows it; a TCP one otherwise.
  const t::fd ls(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, enabled ? ipproto_mptcp : 0));
  const auto a = t::ip("127.0.0.1", 0);
  DIAL_CHECK(ls.get() >= 0 && ::bind(ls.get(), a.sa(), a.len) == 0 && ::listen(ls.get(), 512) == 0,
             91);
  const dial::address where = *dial::local_address(ls.get());
  const t::listener closed = t::closed_tcp_port(AF_INET);
  dial::engine_options o;
  o.backend = backend;
  o.concurrency = 64;
  o.threads = 2;
  o.timeout = std::chrono::seconds(5);
  o.keep_connections = true;
  o.socket.multipath = true;
  auto e = dial::engine::create(o);
  DIAL_CHECK(e, 92);
  DIAL_CHECK(e->backend() == backend, 93);
  std::vector<dial::address> targets(200, where);
  for (int i = 0; i < 40; ++i) targets.push_back(t::to_address(closed.where));
  t::keeping_sink sink(targets.size());
  DIAL_CHECK(e->run(targets, sink) == targets.size(), 1);
  for (std::size_t i = 0; i < targets.size(); ++i) {
    if (i >= 200) {
      DIAL_CHECK(sink.ids[i] == static_cast<int>(dial::engine_connect_error::connection_refused),
                 2);
      continue;
    }
    DIAL_CHECK(sink.ids[i] == 0, 3);
    const int fd = sink.sockets[i].get();
    DIAL_CHECK(fd >= 0, 4);
    DIAL_CHECK(t::int_option(fd, SOL_SOCKET, SO_PROTOCOL) == protocol, 5);
    DIAL_CHECK(dial::transport_protocol(fd) == spoken, 6);
  }
  // The listener's side of the first connection agrees, and the connection carries data.
  const t::fd acc(::accept4(ls.get(), nullptr, nullptr, SOCK_CLOEXEC));
  DIAL_CHECK(acc.get() >= 0, 7);
  DIAL_CHECK(t::int_option(acc.get(), IPPROTO_TCP, tcp_is_mptcp) == (enabled ? 1 : 0), 8);
  bool sent = false;
  for (auto& k : sink.sockets)  // the accepted one is one of them: send on each, read once
    if (k.get() >= 0) sent = send_text(k.get(), "e") || sent;
  DIAL_CHECK(sent && read_some(acc.get()) == "e", 9);
  return 0;
}

class EngineMultipath : public t::root_backend_test {};

// Every kept socket is an MPTCP one, and speaks MPTCP with an MPTCP listener.
TEST_P(EngineMultipath, EverySocketIsMptcp) {
  const auto b = GetParam();
  EXPECT_EQ(t::run_in_child(
                [b] { return engine_multipath_run(b, true, ipproto_mptcp, transport::mptcp); }),
            0);
}

// net.mptcp.enabled=0: create() still succeeds and every socket is a TCP one.
TEST_P(EngineMultipath, DisabledInTheNamespaceGivesTcpSockets) {
  const auto b = GetParam();
  EXPECT_EQ(
      t::run_in_child([b] { return engine_multipath_run(b, false, IPPROTO_TCP, transport::tcp); }),
      0);
}

INSTANTIATE_TEST_SUITE_P(Backends, EngineMultipath, t::both_backends(), t::backend_name);

// ---- TCP Fast Open ---------------------------------------------------------------------------

dial::connect_options fast_open_options(bool non_blocking) {
  dial::connect_options o;
  o.socket.fast_open = true;
  o.non_blocking = non_blocking;
  return o;
}

// Waits (bounded) for a non-blocking connect under way to finish.
bool finish(int s) {
  pollfd p{s, POLLOUT, 0};
  return ::poll(&p, 1, 5000) == 1 && t::int_option(s, SOL_SOCKET, SO_ERROR) == 0;
}

// One client turn: connects with fast_open, writes `text`, the server accepts and reads it,
// answers "ok" (so the client has seen the SYN-ACK). `deferred` says whether connect returned
// without a handshake; `syn_data` whether the server's socket got its data in the SYN.
struct turn {
  int status = 0;  // 0: every step worked
  bool deferred = false;
  bool syn_data = false;
  fast_open_state after{};
};

turn one_turn(const test_listener& l, bool non_blocking, const std::string& text) {
  turn r;
  auto s = dial::connect_to_address(l.where, fast_open_options(non_blocking));
  if (!s) return {10};
  r.deferred = dial::fast_open_status(s->get()) == fast_open_state::deferred;
  // Deferred: no handshake yet, so no peer either (getpeername is ENOTCONN in SYN_SENT).
  if (r.deferred && dial::peer_address(s->get())) return {11};
  if (non_blocking && !r.deferred && !finish(s->get())) return {12};
  if (!send_text(s->get(), text)) return {13};
  const t::fd a(::accept4(l.sock.get(), nullptr, nullptr, SOCK_CLOEXEC));
  if (a.get() < 0 || read_some(a.get()) != text) return {14};
  r.syn_data = (server_options(a.get()) & TCPI_OPT_SYN_DATA) != 0;
  if (!send_text(a.get(), "ok")) return {15};
  pollfd p{s->get(), POLLIN, 0};
  if (::poll(&p, 1, 5000) != 1 || read_some(s->get()) != "ok") return {16};
  r.after = dial::fast_open_status(s->get());
  return r;
}

// "TcpExt: ... TCPFastOpenPassive ..." of the current namespace's /proc/net/netstat.
long netstat_counter(const std::string& name) {
  std::ifstream f("/proc/net/netstat");
  std::string keys, values;
  while (std::getline(f, keys) && std::getline(f, values)) {
    if (!keys.starts_with("TcpExt:")) continue;
    std::istringstream k(keys), v(values);
    std::string key, value;
    while (k >> key && v >> value)
      if (key == name) return std::stol(value);
  }
  return -1;
}

TEST(FastOpen, TheSecondConnectCarriesItsFirstWriteInTheSyn) {
  if (!t::is_root()) GTEST_SKIP() << t::needs_root;
  for (const bool non_blocking : {false, true}) {
    SCOPED_TRACE(non_blocking ? "non-blocking" : "blocking");
    const int rc = t::run_in_child([non_blocking] {
      // Per namespace: client (1) and server (2) Fast Open on; no cookie cached yet.
      DIAL_CHECK(t::enter_new_netns() && sysctl("ipv4/tcp_fastopen", "3"), 90);
      auto l = listen_with(0, true);
      DIAL_CHECK(l.sock.get() >= 0, 91);
      // First: no cookie, a plain handshake that asks for one; the data comes after it.
      const turn first = one_turn(l, non_blocking, "first");
      DIAL_CHECK(first.status == 0, first.status);
      DIAL_CHECK(!first.deferred && !first.syn_data, 1);
      DIAL_CHECK(first.after == fast_open_state::not_used, 2);
      DIAL_CHECK(netstat_counter("TCPFastOpenPassive") == 0, 3);
      // Second: the cookie is cached; connect returns at once and the write is the SYN's data.
      const turn second = one_turn(l, non_blocking, "second");
      DIAL_CHECK(second.status == 0, 20 + second.status);
      DIAL_CHECK(second.deferred, 4);
      DIAL_CHECK(second.syn_data, 5);  // the server's TCP_INFO: its SYN carried the data
      DIAL_CHECK(second.after == fast_open_state::data_accepted, 6);
      DIAL_CHECK(netstat_counter("TCPFastOpenPassive") == 1, 7);
      DIAL_CHECK(netstat_counter("TCPFastOpenActive") == 1, 8);
      return 0;
    });
    EXPECT_EQ(rc, 0);
  }
}

TEST(FastOpen, APeerWithoutFastOpenStillConnectsAndGetsTheData) {
  if (!t::is_root()) GTEST_SKIP() << t::needs_root;
  const int rc = t::run_in_child([] {
    DIAL_CHECK(t::enter_new_netns() && sysctl("ipv4/tcp_fastopen", "3"), 90);
    // A listener without TCP_FASTOPEN gives no cookie: every connect is a plain one.
    auto plain = listen_with(0, false);
    DIAL_CHECK(plain.sock.get() >= 0, 91);
    for (int i = 0; i < 2; ++i) {
      const turn r = one_turn(plain, false, "plain");
      DIAL_CHECK(r.status == 0, r.status);
      DIAL_CHECK(!r.deferred && !r.syn_data && r.after == fast_open_state::not_used, 1);
    }
    // A cookie for 127.0.0.1 from a Fast Open listener, then a peer on another port without
    // Fast Open: the SYN carries the data, the peer ignores it, the data is sent again after
    // the handshake and arrives all the same.
    auto tfo = listen_with(0, true);
    DIAL_CHECK(tfo.sock.get() >= 0, 92);
    DIAL_CHECK(one_turn(tfo, false, "cookie").status == 0, 2);
    const turn r = one_turn(plain, false, "ignored");
    DIAL_CHECK(r.status == 0, 30 + r.status);
    DIAL_CHECK(r.deferred && !r.syn_data && r.after == fast_open_state::not_used, 3);
    return 0;
  });
  EXPECT_EQ(rc, 0);
}

TEST(FastOpen, WithACookieAndNobodyListeningTheFirstWriteIsRefused) {
  if (!t::is_root()) GTEST_SKIP() << t::needs_root;
  const int rc = t::run_in_child([] {
    DIAL_CHECK(t::enter_new_netns() && sysctl("ipv4/tcp_fastopen", "3"), 90);
    std::uint16_t port = 0;
    {
      auto l = listen_with(0, true);
      DIAL_CHECK(l.sock.get() >= 0, 91);
      port = l.where.port();
      DIAL_CHECK(one_turn(l, false, "cookie").status == 0, 1);
    }  // closed: nobody listens on the port now
    // connect succeeds without a packet sent; the refusal comes with the first write.
    const auto to = *dial::address::parse("127.0.0.1:" + std::to_string(port));
    auto s = dial::connect_to_address(to, fast_open_options(false));
    DIAL_CHECK(s, 2);
    DIAL_CHECK(dial::fast_open_status(s->get()) == fast_open_state::deferred, 3);
    const std::string text = "lost";
    auto w = dial::send(s->get(), std::as_bytes(std::span(text)));
    DIAL_CHECK(!w && w.error() == dial::send_error::connection_refused, 4);
    return 0;
  });
  EXPECT_EQ(rc, 0);
}

TEST(FastOpen, IsAHintWhereItCannotApply) {
  if (!t::is_root()) GTEST_SKIP() << t::needs_root;
  const int rc = t::run_in_child([] {
    // The client bit off: TCP_FASTOPEN_CONNECT is EOPNOTSUPP, the connect a plain one.
    DIAL_CHECK(t::enter_new_netns() && sysctl("ipv4/tcp_fastopen", "2"), 90);
    auto l = listen_with(0, true);
    DIAL_CHECK(l.sock.get() >= 0, 91);
    for (int i = 0; i < 2; ++i) {
      const turn r = one_turn(l, false, "hint");
      DIAL_CHECK(r.status == 0, r.status);
      DIAL_CHECK(!r.deferred && r.after == fast_open_state::not_used, 1);
    }
    // A Unix socket (EOPNOTSUPP) and a datagram socket (ENOPROTOOPT) connect without it.
    const t::scratch_dir dir;
    auto u = t::unix_listener(dir / "s");
    dial::connect_options o = fast_open_options(false);
    DIAL_CHECK(dial::connect_to_address(*dial::address::parse("unix:" + dir / "s"), o), 2);
    o.type = dial::socket_type::datagram;
    DIAL_CHECK(dial::connect_to_address(*dial::address::parse("127.0.0.1:9"), o), 3);
    return 0;
  });
  EXPECT_EQ(rc, 0);
}

TEST(FastOpen, ThroughConnectToHostADeferredAttemptWinsAtOnce) {
  if (!t::is_root()) GTEST_SKIP() << t::needs_root;
  const int rc = t::run_in_child([] {
    DIAL_CHECK(t::enter_new_netns() && sysctl("ipv4/tcp_fastopen", "3"), 90);
    auto l = listen_with(0, true);
    DIAL_CHECK(l.sock.get() >= 0, 91);
    DIAL_CHECK(one_turn(l, false, "cookie").status == 0, 1);
    for (const bool with_deadline : {false, true}) {
      dial::connect_to_host_options o;
      o.socket.fast_open = true;
      if (with_deadline) o.deadline = dial::deadline_clock::now() + std::chrono::seconds(10);
      auto c = dial::connect_to_host("127.0.0.1", l.where.port(), o);
      DIAL_CHECK(c, 2);
      DIAL_CHECK(c->report.attempts.size() == 1, 3);
      DIAL_CHECK(dial::fast_open_status(c->socket.get()) == fast_open_state::deferred, 4);
      DIAL_CHECK(send_text(c->socket.get(), "race"), 5);
      const t::fd a(::accept4(l.sock.get(), nullptr, nullptr, SOCK_CLOEXEC));
      DIAL_CHECK(read_some(a.get()) == "race", 6);
      DIAL_CHECK((server_options(a.get()) & TCPI_OPT_SYN_DATA) != 0, 7);
    }
    return 0;
  });
  EXPECT_EQ(rc, 0);
}

// ---- connect_to_host's source ----------------------------------------------------------------

TEST(ConnectToHostSource, EveryAttemptIsBoundToIt) {
  auto l = t::tcp_listener(AF_INET);
  dial::connect_to_host_options o;
  o.source = *dial::address::parse("127.0.0.2:0");
  auto c = dial::connect_to_host("127.0.0.1", l.where.port(), o);
  ASSERT_TRUE(c) << dial::name(c.error().error);
  const auto local = dial::local_address(c->socket.get());
  ASSERT_TRUE(local);
  EXPECT_EQ(local->to_string().substr(0, 10), "127.0.0.2:");
  const t::fd a(::accept4(l.sock.get(), nullptr, nullptr, SOCK_CLOEXEC));
  const auto peer = dial::peer_address(a.get());  // what the listener sees
  ASSERT_TRUE(peer);
  EXPECT_EQ(peer->to_string(), local->to_string());
}

TEST(ConnectToHostSource, WithAPortTheListenerSeesThatPort) {
  auto l = t::tcp_listener(AF_INET);
  auto spare = t::tcp_listener(AF_INET);  // a free port: close it, then bind to it as source
  const std::uint16_t port = spare.where.port();
  spare.sock = t::fd();
  dial::connect_to_host_options o;
  o.source = *dial::address::parse("127.0.0.3:" + std::to_string(port));
  o.deadline = dial::deadline_clock::now() + std::chrono::seconds(10);
  auto c = dial::connect_to_host("127.0.0.1", l.where.port(), o);
  ASSERT_TRUE(c) << dial::name(c.error().error);
  const t::fd a(::accept4(l.sock.get(), nullptr, nullptr, SOCK_CLOEXEC));
  const auto peer = dial::peer_address(a.get());
  ASSERT_TRUE(peer);
  EXPECT_EQ(peer->to_string(), "127.0.0.3:" + std::to_string(port));
}

TEST(ConnectToHostSource, OnlyAddressesOfItsFamilyAreTried) {
  auto v4 = t::tcp_listener(AF_INET);
  // A name with an IPv6 and an IPv4 address (a hosts file): an IPv4 source tries only the IPv4.
  const t::scratch_dir dir;
  const std::string hosts = dir / "hosts";
  std::ofstream(hosts) << "::1 both.test\n127.0.0.1 both.test\n";
  dial::connect_to_host_options o;
  o.resolve.servers = {*dial::address::parse("127.0.0.1:1")};  // a query would fail the test
  o.resolve.hosts_file = hosts;
  o.source = *dial::address::parse("127.0.0.1:0");
  auto c = dial::connect_to_host("both.test", v4.where.port(), o);
  ASSERT_TRUE(c) << dial::name(c.error().error);
  ASSERT_EQ(c->report.attempts.size(), 1u);
  EXPECT_EQ(c->report.attempts[0].to.kind(), dial::address_kind::ipv4);
  // An IPv6 source with an IPv4-only host: no address is of its family.
  o.source = *dial::address::parse("[::1]:0");
  auto f = dial::connect_to_host("127.0.0.1", v4.where.port(), o);
  ASSERT_FALSE(f);
  EXPECT_EQ(f.error().error, dial::connect_to_host_error::address_family_not_supported);
  EXPECT_TRUE(f.error().report.attempts.empty());
  // A Unix source: no IP address is of its family.
  o.source = *dial::address::parse("unix:@dial-source");
  auto u = dial::connect_to_host("127.0.0.1", v4.where.port(), o);
  ASSERT_FALSE(u);
  EXPECT_EQ(u.error().error, dial::connect_to_host_error::address_family_not_supported);
}

TEST(ConnectToHostSource, ASourceThatIsNotLocalFailsTheAttemptWithBindsName) {
  auto l = t::tcp_listener(AF_INET);
  dial::connect_to_host_options o;
  o.source = *dial::address::parse("192.0.2.1:0");  // TEST-NET-1: not an address of this host
  auto f = dial::connect_to_host("127.0.0.1", l.where.port(), o);
  ASSERT_FALSE(f);
  EXPECT_EQ(f.error().error, dial::connect_to_host_error::address_not_available);
  ASSERT_EQ(f.error().report.attempts.size(), 1u);
  EXPECT_EQ(f.error().report.attempts[0].native, EADDRNOTAVAIL);
}

}  // namespace
