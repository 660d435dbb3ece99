// tests/unit/owned_socket_test.cpp: dial::owned_socket (the owner), connect_to_address, listen_on.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <type_traits>
#include <utility>

#include "dial/dial.hpp"
#include "support.hpp"

namespace {

namespace t = dial::test;
using dial::address;
using dial::connect_to_address_error;
using dial::listen_on_error;
using dial::owned_socket;

address parse(const std::string& text) {
  auto a = address::parse(text);
  if (!a) throw std::runtime_error("bad test address " + text);
  return *a;
}

bool is_open(int fd) { return ::fcntl(fd, F_GETFD) != -1; }

// ---- the owner -------------------------------------------------------------------------------

static_assert(!std::is_copy_constructible_v<owned_socket>);
static_assert(!std::is_copy_assignable_v<owned_socket>);
static_assert(std::is_nothrow_move_constructible_v<owned_socket>);
static_assert(std::is_nothrow_move_assignable_v<owned_socket>);
static_assert(sizeof(owned_socket) == sizeof(dial::socket_t));

TEST(SocketOwner, ClosesOnDestruction) {
  int fd = -1;
  {
    auto raw = dial::socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_TRUE(raw);
    fd = *raw;
    owned_socket s(*raw);
    EXPECT_TRUE(s);
    EXPECT_EQ(s.get(), fd);
    EXPECT_TRUE(is_open(fd));
  }
  EXPECT_FALSE(is_open(fd));
}

TEST(SocketOwner, MoveTransfersAndAssignmentClosesTheOld) {
  auto a = dial::socket(AF_INET, SOCK_STREAM, 0);
  auto b = dial::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_TRUE(a && b);
  owned_socket x(*a);
  owned_socket y(std::move(x));
  EXPECT_FALSE(x);  // NOLINT(bugprone-use-after-move): the moved-from state is specified
  EXPECT_EQ(y.get(), *a);
  owned_socket z(*b);
  z = std::move(y);  // closes *b, takes *a
  EXPECT_FALSE(is_open(*b));
  EXPECT_EQ(z.get(), *a);
  EXPECT_TRUE(is_open(*a));
  z = std::move(z);  // self-move keeps it
  EXPECT_TRUE(is_open(*a));
}

TEST(SocketOwner, ReleaseGivesUpAndResetCloses) {
  auto a = dial::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_TRUE(a);
  owned_socket s(*a);
  const int fd = s.release();
  EXPECT_FALSE(s);
  EXPECT_EQ(s.get(), dial::invalid_socket);
  EXPECT_TRUE(is_open(fd));
  s.reset(fd);
  EXPECT_TRUE(s);
  s.reset();
  EXPECT_FALSE(is_open(fd));
  EXPECT_FALSE(s);
  s.reset();  // resetting an empty owner is a no-op, not a double close
}

// ---- connect_to_address ---------------------------------------------------------------------

TEST(ConnectToAddress, ConnectsOverIpv4Ipv6UnixAndAbstract) {
  const t::scratch_dir dir;
  auto v4 = t::tcp_listener(AF_INET);
  auto v6 = t::tcp_listener(AF_INET6);
  auto ux = t::unix_listener(dir / "s.sock");
  const std::string abstract_name = "dial-test-owner-" + std::to_string(::getpid());
  auto ab = t::unix_listener("@" + abstract_name);
  for (const auto& text :
       {"127.0.0.1:" + std::to_string(v4.where.port()), "[::1]:" + std::to_string(v6.where.port()),
        "unix:" + dir / "s.sock", "unix:@" + abstract_name}) {
    auto s = dial::connect_to_address(parse(text));
    ASSERT_TRUE(s) << text << ": " << dial::name(s.error());
    auto peer = dial::peer_address(s->get());
    ASSERT_TRUE(peer) << text;
    EXPECT_EQ(*peer, parse(text)) << text;
  }
}

TEST(ConnectToAddress, ErrorsAreNamedAndKeepTheNativeCode) {
  const t::scratch_dir dir;
  auto closed = t::closed_tcp_port(AF_INET);
  auto r = dial::connect_to_address(address::loopback_ipv4(closed.where.port()));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), connect_to_address_error::connection_refused);
  EXPECT_EQ(dial::last_native_error(), ECONNREFUSED);
  std::error_code ec = r.error();
  EXPECT_EQ(ec, std::errc::connection_refused);

  auto missing = dial::connect_to_address(parse("unix:" + dir / "missing.sock"));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error(), connect_to_address_error::file_not_found);
  EXPECT_EQ(dial::last_native_error(), ENOENT);
}

TEST(ConnectToAddress, SourceAddressIsBoundWithAPortChosenAtConnect) {
  auto l = t::tcp_listener(AF_INET);
  dial::connect_options o;
  o.source = parse("127.0.0.2:0");
  auto s = dial::connect_to_address(address::loopback_ipv4(l.where.port()), o);
  ASSERT_TRUE(s) << dial::name(s.error());
  auto local = dial::local_address(s->get());
  ASSERT_TRUE(local);
  EXPECT_EQ(local->ipv4_bytes(), (std::array<std::uint8_t, 4>{127, 0, 0, 2}));
  EXPECT_NE(local->port(), 0);
#ifdef IP_BIND_ADDRESS_NO_PORT
  int v = 0;
  socklen_t n = sizeof v;
  ASSERT_EQ(::getsockopt(s->get(), IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &v, &n), 0);
  EXPECT_EQ(v, 1);
#endif
}

TEST(ConnectToAddress, SourceThatIsNotLocalIsAddressNotAvailableAndLeaksNothing) {
  auto l = t::tcp_listener(AF_INET);
  dial::connect_options o;
  o.source = parse("192.0.2.1:0");  // TEST-NET-1: never an address of this host
  const int before = t::count_open_fds();
  auto s = dial::connect_to_address(address::loopback_ipv4(l.where.port()), o);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error(), connect_to_address_error::address_not_available);
  EXPECT_EQ(dial::last_native_error(), EADDRNOTAVAIL);
  EXPECT_EQ(t::count_open_fds(), before);
}

TEST(ConnectToAddress, SourceOfTheWrongFamilyIsAddressFamilyNotSupported) {
  auto l = t::tcp_listener(AF_INET);
  dial::connect_options o;
  o.source = parse("[::1]:0");
  auto s = dial::connect_to_address(address::loopback_ipv4(l.where.port()), o);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error(), connect_to_address_error::address_family_not_supported);
}

TEST(ConnectToAddress, SourcePortInUseIsAddressInUse) {
  auto l = t::tcp_listener(AF_INET);
  auto taken = t::tcp_listener(AF_INET);  // holds 127.0.0.1:port, listening, without SO_REUSEADDR
  dial::connect_options o;
  o.source = address::loopback_ipv4(taken.where.port());
  auto s = dial::connect_to_address(address::loopback_ipv4(l.where.port()), o);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error(), connect_to_address_error::address_in_use);
}

TEST(ConnectToAddress, NonBlockingReturnsTheAttemptUnderWay) {
  auto l = t::tcp_listener(AF_INET);
  dial::connect_options o;
  o.non_blocking = true;
  auto s = dial::connect_to_address(address::loopback_ipv4(l.where.port()), o);
  ASSERT_TRUE(s) << dial::name(s.error());
  EXPECT_NE(::fcntl(s->get(), F_GETFL) & O_NONBLOCK, 0);
  pollfd p{s->get(), POLLOUT, 0};
  ASSERT_EQ(::poll(&p, 1, 5000), 1);
  EXPECT_TRUE(dial::getsockopt_error(s->get()));
}

TEST(ConnectToAddress, NonBlockingFullUnixBacklogIsWouldBlock) {
  const t::scratch_dir dir;
  auto full = t::full_unix_listener(dir / "full.sock");
  std::vector<t::fd> extra;  // fill whatever room the kernel leaves (bounded)
  for (int i = 0; i < 8; ++i) {
    extra.push_back(t::make_socket(AF_UNIX, SOCK_STREAM, SOCK_NONBLOCK));
    if (::connect(extra.back().get(), full.l.where.sa(), full.l.where.len) != 0) break;
  }
  dial::connect_options o;
  o.non_blocking = true;
  const int before = t::count_open_fds();
  auto s = dial::connect_to_address(parse("unix:" + dir / "full.sock"), o);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error(), connect_to_address_error::would_block);
  EXPECT_EQ(dial::last_native_error(), EAGAIN);
  EXPECT_EQ(t::count_open_fds(), before);
}

TEST(ConnectToAddress, DatagramSetsThePeer) {
  auto rx = t::make_socket(AF_INET, SOCK_DGRAM);
  auto where = t::ip("127.0.0.1", 0);
  ASSERT_EQ(::bind(rx.get(), where.sa(), where.len), 0);
  socklen_t n = sizeof where.ss;
  ASSERT_EQ(::getsockname(rx.get(), where.sa(), &n), 0);
  dial::connect_options o;
  o.type = dial::socket_type::datagram;
  auto s = dial::connect_to_address(address::loopback_ipv4(where.port()), o);
  ASSERT_TRUE(s);
  ASSERT_EQ(::send(s->get(), "x", 1, 0), 1);
  char c = 0;
  EXPECT_EQ(::recv(rx.get(), &c, 1, 0), 1);
  EXPECT_EQ(c, 'x');
}

TEST(ConnectToAddress, SocketFailureIsProcessFdQuotaExceededAndLeaksNothing) {
  auto l = t::tcp_listener(AF_INET);
  const auto to = address::loopback_ipv4(l.where.port());
  const int rc = t::run_in_child([&] {
    // A real EMFILE: the limit is set to what is open now and any free slot below it is filled.
    const rlimit lim{static_cast<rlim_t>(t::count_open_fds()), 20000};
    if (::setrlimit(RLIMIT_NOFILE, &lim) != 0) return 201;
    for (int i = 0; i < 64 && ::dup(0) >= 0; ++i) {  // fill any holes below the limit
    }
    auto s = dial::connect_to_address(to);
    if (s) return 202;
    if (dial::last_native_error() != EMFILE) return 203;
    return static_cast<int>(s.error());
  });
  EXPECT_EQ(rc, static_cast<int>(connect_to_address_error::process_fd_quota_exceeded));
}

TEST(ConnectToAddress, InjectedConnectFailuresCloseTheSocket) {
  // Each code at the connect boundary, injected in a child; the socket made for the attempt is
  // closed (the descriptor count is back to where it was) and the name is connect's.
  auto l = t::tcp_listener(AF_INET);
  const auto to = address::loopback_ipv4(l.where.port());
  const std::pair<int, connect_to_address_error> lines[] = {
      {EADDRINUSE, connect_to_address_error::address_in_use},
      {ETIMEDOUT, connect_to_address_error::connection_timed_out},
      {ENETUNREACH, connect_to_address_error::network_unreachable},
      {EPERM, connect_to_address_error::permission_denied},
      {ENOBUFS, connect_to_address_error::system_resources},
      {EHOSTDOWN, connect_to_address_error::unexpected},
  };
  for (const auto& [code, want] : lines) {
    const int rc = t::run_in_child([&, code = code] {
      // The next descriptor the process gets is the lowest free one: the socket's.
      const int next = ::dup(0);
      ::close(next);
      if (!t::inject_errno(SYS_connect, code, next)) return 201;
      const int before = t::count_open_fds();
      auto s = dial::connect_to_address(to);
      if (s) return 202;
      if (dial::last_native_error() != code) return 203;
      if (t::count_open_fds() != before) return 204;
      return static_cast<int>(s.error());
    });
    EXPECT_EQ(rc, static_cast<int>(want)) << "errno " << code;
  }
}

TEST(ConnectToAddress, ErrorPathsLeakNoDescriptor) {
  const t::scratch_dir dir;
  auto closed = t::closed_tcp_port(AF_INET6);
  const int before = t::count_open_fds();
  for (int i = 0; i < 20; ++i) {
    EXPECT_FALSE(dial::connect_to_address(address::loopback_ipv6(closed.where.port())));
    EXPECT_FALSE(dial::connect_to_address(parse("unix:" + dir / "nope.sock")));
    dial::connect_options o;
    o.source = parse("198.51.100.7:0");
    EXPECT_FALSE(dial::connect_to_address(parse("127.0.0.1:9"), o));
  }
  EXPECT_EQ(t::count_open_fds(), before);
}

// ---- listen_on ------------------------------------------------------------------------------

TEST(ListenOn, PortZeroPicksAPortThatAccepts) {
  for (const char* text : {"127.0.0.1:0", "[::1]:0"}) {
    auto l = dial::listen_on(parse(text));
    ASSERT_TRUE(l) << text << ": " << dial::name(l.error());
    auto at = dial::local_address(l->get());
    ASSERT_TRUE(at);
    EXPECT_NE(at->port(), 0);
    auto c = dial::connect_to_address(*at);
    ASSERT_TRUE(c) << dial::name(c.error());
    const int a = ::accept4(l->get(), nullptr, nullptr, SOCK_CLOEXEC);
    EXPECT_GE(a, 0);
    ::close(a);
  }
}

TEST(ListenOn, UnixPathAndAbstractName) {
  const t::scratch_dir dir;
  const std::string abstract_text = "unix:@dial-test-listen-" + std::to_string(::getpid());
  for (const auto& text : {"unix:" + dir / "l.sock", abstract_text}) {
    auto l = dial::listen_on(parse(text), 4);
    ASSERT_TRUE(l) << text;
    auto at = dial::local_address(l->get());
    ASSERT_TRUE(at);
    EXPECT_EQ(*at, parse(text));
    EXPECT_TRUE(dial::connect_to_address(*at)) << text;
  }
}

TEST(ListenOn, ErrorsAreNamedAndLeakNothing) {
  const t::scratch_dir dir;
  auto first = dial::listen_on(parse("127.0.0.1:0"));
  ASSERT_TRUE(first);
  const auto taken = *dial::local_address(first->get());
  const int before = t::count_open_fds();
  auto again = dial::listen_on(taken);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error(), listen_on_error::address_in_use);
  auto missing_dir = dial::listen_on(parse("unix:" + dir / "no/such/dir.sock"));
  ASSERT_FALSE(missing_dir);
  EXPECT_EQ(missing_dir.error(), listen_on_error::file_not_found);
  auto foreign = dial::listen_on(parse("192.0.2.1:0"));
  ASSERT_FALSE(foreign);
  EXPECT_EQ(foreign.error(), listen_on_error::address_not_available);
  auto exists = dial::listen_on(parse("unix:" + dir.path));  // a directory is there already
  ASSERT_FALSE(exists);
  EXPECT_EQ(exists.error(), listen_on_error::address_in_use);
  EXPECT_EQ(t::count_open_fds(), before);
}

TEST(LocalAndPeerAddress, UnconnectedSocketHasNoPeer) {
  auto s = dial::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_TRUE(s);
  owned_socket owner(*s);
  EXPECT_FALSE(dial::peer_address(owner.get()));
  auto local = dial::local_address(owner.get());
  ASSERT_TRUE(local);  // 0.0.0.0:0 before bind
  EXPECT_TRUE(local->is_unspecified());
}

}  // namespace
