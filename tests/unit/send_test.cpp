// tests/unit/send_test.cpp: dial::send and dial::sendto, every line of their table (real kernel,
// injection, death tests), never SIGPIPE, and EINTR.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "dial/dial.hpp"
#include "sibling_support.hpp"
#include "support.hpp"

namespace {

using dial::send_error;
using namespace std::chrono_literals;
namespace t = dial::test;
namespace sib = dial::test::sib;
using ::testing::KilledBySignal;

// Waits (bounded) until `s` reports `events`; false on timeout.
bool wait_for(int s, short events, int timeout_ms = 5000) {
  pollfd p{s, events, 0};
  return ::poll(&p, 1, timeout_ms) == 1;
}

// A UDP port nobody listens on (bound once, then closed).
t::addr closed_udp_port() {
  auto s = t::make_socket(AF_INET, SOCK_DGRAM);
  auto a = t::ip("127.0.0.1", 0);
  if (::bind(s.get(), a.sa(), a.len) != 0) ADD_FAILURE() << "bind";
  a.len = sizeof a.ss;
  ::getsockname(s.get(), a.sa(), &a.len);
  return a;
}

// A child's status for sendto on a new socket of `family`/`type`, with the raw code checked.
int sendto_status(int family, int type, const t::addr& to, int native) {
  auto s = t::make_socket(family, type);
  auto r = dial::sendto(s.get(), sib::bytes("x"), to.sa(), to.len);
  if (!r && dial::last_native_error() != native) return sib::lost_native_code;
  return sib::code_of(r);
}

TEST(Send, SendsOnAConnectedSocketAndSendtoSendsADatagram) {
  auto p = sib::connected_tcp();
  auto n = dial::send(p.client.get(), sib::bytes("hello"));
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 5u);
  char buf[8];
  EXPECT_EQ(::recv(p.server.get(), buf, sizeof buf, 0), 5);

  auto rx = t::make_socket(AF_INET, SOCK_DGRAM);
  auto a = t::ip("127.0.0.1", 0);
  ASSERT_EQ(::bind(rx.get(), a.sa(), a.len), 0);
  a.len = sizeof a.ss;
  ASSERT_EQ(::getsockname(rx.get(), a.sa(), &a.len), 0);
  auto tx = t::make_socket(AF_INET, SOCK_DGRAM);
  n = dial::sendto(tx.get(), sib::bytes("dgram"), a.sa(), a.len);
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 5u);
  EXPECT_EQ(::recv(rx.get(), buf, sizeof buf, 0), 5);
}

TEST(Send, BrokenPipeAfterThePeerClosedAndNoSigpipe) {
  const int rc = t::run_in_child([] {
    std::signal(SIGPIPE, SIG_DFL);  // a raised SIGPIPE would end this child with 128+13
    auto p = sib::connected_tcp();
    p.server = t::fd();  // the peer closes: our first send draws its RST
    std::expected<std::size_t, send_error> r;
    for (int i = 0; i < 100; ++i) {  // bounded: the second send fails on loopback
      r = dial::send(p.client.get(), sib::bytes("x"));
      if (!r) break;
      std::this_thread::sleep_for(5ms);
    }
    if (!r && dial::last_native_error() != EPIPE) return static_cast<int>(sib::lost_native_code);
    return sib::code_of(r);
  });
  EXPECT_EQ(rc, sib::code(send_error::broken_pipe));
}

TEST(Send, BrokenPipeAfterShuttingDownTheSendingSide) {
  const int rc = t::run_in_child([] {
    std::signal(SIGPIPE, SIG_DFL);
    auto p = sib::connected_tcp();
    if (!dial::shutdown(p.client.get(), dial::shutdown_how::send))
      return static_cast<int>(sib::setup_failed);
    return sib::code_of(dial::send(p.client.get(), sib::bytes("x")));
  });
  EXPECT_EQ(rc, sib::code(send_error::broken_pipe));
}

TEST(Send, ConnectionResetByPeerAfterTheySentAReset) {
  auto p = sib::connected_tcp();
  const linger reset{1, 0};  // close sends RST instead of FIN
  ASSERT_EQ(::setsockopt(p.server.get(), SOL_SOCKET, SO_LINGER, &reset, sizeof reset), 0);
  p.server = t::fd();
  ASSERT_TRUE(wait_for(p.client.get(), POLLHUP));
  auto r = dial::send(p.client.get(), sib::bytes("x"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), send_error::connection_reset_by_peer);
  EXPECT_EQ(dial::last_native_error(), ECONNRESET);
}

TEST(Send, MessageTooBigForADatagramAboveTheUdpLimit) {
  auto s = t::make_socket(AF_INET, SOCK_DGRAM);
  const auto to = t::ip("127.0.0.1", 9);
  const std::vector<std::byte> big(70000);
  auto r = dial::sendto(s.get(), big, to.sa(), to.len);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), send_error::message_too_big);
  EXPECT_EQ(dial::last_native_error(), EMSGSIZE);
}

TEST(Send, WouldBlockWhenANonBlockingSocketsBufferIsFull) {
  auto p = sib::connected_tcp();
  const int small = 4096;
  ::setsockopt(p.client.get(), SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
  ::setsockopt(p.server.get(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  ASSERT_EQ(::fcntl(p.client.get(), F_SETFL, O_NONBLOCK), 0);
  const std::vector<std::byte> chunk(65536);
  std::expected<std::size_t, send_error> r;
  for (int i = 0; i < 1000 && r; ++i) r = dial::send(p.client.get(), chunk);  // bounded
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), send_error::would_block);
  EXPECT_EQ(dial::last_native_error(), EAGAIN);
}

TEST(Send, ConnectionRefusedOnAConnectedUdpSocketAfterPortUnreachable) {
  auto s = t::make_socket(AF_INET, SOCK_DGRAM);
  const auto to = closed_udp_port();
  ASSERT_EQ(::connect(s.get(), to.sa(), to.len), 0);
  ASSERT_TRUE(dial::send(s.get(), sib::bytes("x")));  // draws ICMP port unreachable
  ASSERT_TRUE(wait_for(s.get(), POLLERR));
  auto r = dial::send(s.get(), sib::bytes("x"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), send_error::connection_refused);
  EXPECT_EQ(dial::last_native_error(), ECONNREFUSED);
}

TEST(Send, AccessDeniedForAUnixPathWithoutWritePermission) {
  if (!t::is_root())
    GTEST_SKIP() << "needs another user than the socket file's owner; " << t::needs_root;
  t::scratch_dir dir;
  auto rx = t::unix_listener(dir / "d", 0, SOCK_DGRAM);
  ASSERT_EQ(::chmod((dir / "d").c_str(), 0600), 0);  // root's; nobody may not write to it
  const int rc = t::run_in_child([&] {
    if (!sib::become_nobody()) return static_cast<int>(sib::setup_failed);
    return sendto_status(AF_UNIX, SOCK_DGRAM, rx.where, EACCES);
  });
  EXPECT_EQ(rc, sib::code(send_error::access_denied));
}

TEST(Send, AccessDeniedForABroadcastWithoutSoBroadcast) {
  if (!t::is_root()) GTEST_SKIP() << t::needs_root;
  const int rc = t::run_in_child([] {
    // A veth pair in a private namespace gives a broadcast route; the send is refused before
    // any packet leaves.
    if (!t::enter_new_netns() ||
        t::sh("ip link add d0 type veth peer name d0peer && ip addr add 198.51.100.1/24 dev d0 "
              "&& ip link set d0 up && ip link set d0peer up") != 0)
      return static_cast<int>(sib::setup_failed);
    return sendto_status(AF_INET, SOCK_DGRAM, t::ip("198.51.100.255", 9), EACCES);
  });
  EXPECT_EQ(rc, sib::code(send_error::access_denied));
}

TEST(Send, UnixDestinationPathErrorsAreNamed) {
  t::scratch_dir dir;
  ASSERT_EQ(::symlink("loop", (dir / "loop").c_str()), 0);
  const int file = ::open((dir / "file").c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
  ASSERT_GE(file, 0);
  ::close(file);
  const struct {
    std::string path;
    send_error want;
    int native;
  } cases[] = {
      {dir / "loop/s", send_error::sym_link_loop, ELOOP},
      {dir / "missing", send_error::file_not_found, ENOENT},
      {dir / "file/s", send_error::not_dir, ENOTDIR},
  };
  for (const auto& c : cases) {
    auto s = t::make_socket(AF_UNIX, SOCK_DGRAM);
    const auto to = t::unix_path(c.path);
    auto r = dial::sendto(s.get(), sib::bytes("x"), to.sa(), to.len);
    ASSERT_FALSE(r) << c.path;
    EXPECT_EQ(r.error(), c.want) << c.path;
    EXPECT_EQ(dial::last_native_error(), c.native) << c.path;
  }
}

TEST(Send, AddressFamilyNotSupportedForAnIpv6DestinationOnAnIpv4Socket) {
  auto s = t::make_socket(AF_INET, SOCK_DGRAM);
  const auto to = t::ip("::1", 9);
  auto r = dial::sendto(s.get(), sib::bytes("x"), to.sa(), to.len);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), send_error::address_family_not_supported);
}

TEST(Send, SocketNotConnectedForUnconnectedUnixSockets) {
  // Zig's send calls this unreachable; Linux returns it for Unix sockets (TCP says EPIPE).
  for (int type : {SOCK_STREAM, SOCK_DGRAM}) {
    auto s = t::make_socket(AF_UNIX, type);
    auto r = dial::send(s.get(), sib::bytes("x"));
    ASSERT_FALSE(r) << type;
    EXPECT_EQ(r.error(), send_error::socket_not_connected) << type;
    EXPECT_EQ(dial::last_native_error(), ENOTCONN);
  }
}

TEST(Send, InvalidAddressForDestinationPortZero) {
  auto s = t::make_socket(AF_INET, SOCK_DGRAM);
  const auto to = t::ip("127.0.0.1", 0);
  auto r = dial::sendto(s.get(), sib::bytes("x"), to.sa(), to.len);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), send_error::invalid_address);
  EXPECT_EQ(dial::last_native_error(), EINVAL);
}

TEST(Send, InvalidAddressFromALoopbackBoundSocketToAnotherNetwork) {
  if (!t::is_root()) GTEST_SKIP() << t::needs_root;
  const int rc = t::run_in_child([] {
    if (!t::enter_new_netns() ||
        t::sh("ip link add d0 type veth peer name d0peer && ip addr add 198.51.100.1/24 dev d0 "
              "&& ip link set d0 up && ip link set d0peer up") != 0)
      return static_cast<int>(sib::setup_failed);
    auto s = t::make_socket(AF_INET, SOCK_DGRAM);
    const auto lo = t::ip("127.0.0.1", 0);
    if (::bind(s.get(), lo.sa(), lo.len) != 0) return static_cast<int>(sib::setup_failed);
    const auto to = t::ip("198.51.100.2", 9);
    auto r = dial::sendto(s.get(), sib::bytes("x"), to.sa(), to.len);
    if (!r && dial::last_native_error() != EINVAL) return static_cast<int>(sib::lost_native_code);
    return sib::code_of(r);
  });
  EXPECT_EQ(rc, sib::code(send_error::invalid_address));
}

TEST(Send, NetworkUnreachableWithoutARouteAndForAnUnreachableRoute) {
  if (!t::is_root()) GTEST_SKIP() << t::needs_root;
  // No packet leaves: both fail in the route lookup of a private namespace.
  const int none = t::run_in_child([] {
    if (!t::enter_new_netns()) return static_cast<int>(sib::setup_failed);
    return sendto_status(AF_INET, SOCK_DGRAM, t::ip("192.0.2.1", 9), ENETUNREACH);
  });
  EXPECT_EQ(none, sib::code(send_error::network_unreachable));
  const int unreachable = t::run_in_child([] {
    if (!t::enter_new_netns() || t::sh("ip route add unreachable 192.0.2.0/24") != 0)
      return static_cast<int>(sib::setup_failed);
    return sendto_status(AF_INET, SOCK_DGRAM, t::ip("192.0.2.1", 9), EHOSTUNREACH);
  });
  EXPECT_EQ(unreachable, sib::code(send_error::network_unreachable));
}

TEST(Send, InterruptedBlockingSendIsRetriedAndCompletes) {
  const int rc = t::run_in_child(
      [] {
        sib::interruptions counted;
        auto p = sib::connected_tcp();
        const int small = 4096;
        ::setsockopt(p.client.get(), SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
        ::setsockopt(p.server.get(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
        // Fill the path without blocking, then block on one more byte.
        const std::vector<char> chunk(65536);
        std::size_t queued = 0;
        for (int i = 0; i < 1000; ++i) {  // bounded
          const auto n = ::send(p.client.get(), chunk.data(), chunk.size(), MSG_DONTWAIT);
          if (n <= 0) break;
          queued += static_cast<std::size_t>(n);
        }
        std::thread drainer([&] {
          std::this_thread::sleep_for(200ms);
          std::vector<char> buf(65536);
          std::size_t got = 0;
          const auto deadline = std::chrono::steady_clock::now() + 5s;
          while (got < queued + 1 && std::chrono::steady_clock::now() < deadline) {
            if (!wait_for(p.server.get(), POLLIN, 100)) continue;
            const auto n = ::recv(p.server.get(), buf.data(), buf.size(), 0);
            if (n <= 0) break;
            got += static_cast<std::size_t>(n);
          }
        });
        std::expected<std::size_t, send_error> r;
        {
          sib::signal_storm storm(::pthread_self(), 2ms);
          r = dial::send(p.client.get(), sib::bytes("!"));
        }
        drainer.join();
        if (counted.count() < 10) return 150;  // the storm must have hit the blocked send
        if (r && *r != 1) return 151;
        return sib::code_of(r);
      },
      10s);
  EXPECT_EQ(rc, 0);
}

TEST(Send, ErrorCodeInteroperatesWithStdErrc) {
  const std::error_code ec = dial::make_error_code(send_error::broken_pipe);
  EXPECT_EQ(ec, std::errc::broken_pipe);
  EXPECT_EQ(dial::name(send_error::broken_pipe), "BrokenPipe");
}

// ---- every line of the table, injected ----------------------------------------------------

class SendTable : public ::testing::TestWithParam<sib::line<send_error>> {};

TEST_P(SendTable, MapsTheInjectedCodeOfSendAndSendtoToItsName) {
  // glibc's send is the sendto system call on x86-64, so one filter serves both.
  auto p = sib::connected_tcp();
  const auto to = t::ip("127.0.0.1", 9);
  const int via_send = sib::injected(SYS_sendto, GetParam().code, p.client.get(),
                                     [&] { return dial::send(p.client.get(), sib::bytes("x")); });
  EXPECT_EQ(via_send, sib::code(GetParam().want)) << "send";
  const int via_sendto = sib::injected(SYS_sendto, GetParam().code, p.client.get(), [&] {
    return dial::sendto(p.client.get(), sib::bytes("x"), to.sa(), to.len);
  });
  EXPECT_EQ(via_sendto, sib::code(GetParam().want)) << "sendto";
}

INSTANTIATE_TEST_SUITE_P(
    Table, SendTable,
    ::testing::Values(
        DIAL_LINE(send_error, EACCES, access_denied), DIAL_LINE(send_error, EAGAIN, would_block),
        DIAL_LINE(send_error, EALREADY, fast_open_already_in_progress),
        DIAL_LINE(send_error, ECONNRESET, connection_reset_by_peer),
        DIAL_LINE(send_error, ETIMEDOUT, connection_timed_out),
        DIAL_LINE(send_error, ECONNREFUSED, connection_refused),
        DIAL_LINE(send_error, EMSGSIZE, message_too_big),
        DIAL_LINE(send_error, ENOBUFS, system_resources),
        DIAL_LINE(send_error, ENOMEM, system_resources), DIAL_LINE(send_error, EPIPE, broken_pipe),
        DIAL_LINE(send_error, ENETUNREACH, network_unreachable),
        DIAL_LINE(send_error, EHOSTUNREACH, network_unreachable),
        DIAL_LINE(send_error, ENETDOWN, network_subsystem_failed),
        DIAL_LINE(send_error, EAFNOSUPPORT, address_family_not_supported),
        DIAL_LINE(send_error, EINVAL, invalid_address), DIAL_LINE(send_error, ELOOP, sym_link_loop),
        DIAL_LINE(send_error, ENAMETOOLONG, path_too_long),
        DIAL_LINE(send_error, ENOENT, file_not_found), DIAL_LINE(send_error, ENOTDIR, not_dir),
        DIAL_LINE(send_error, ENOTCONN, socket_not_connected),
        DIAL_LINE(send_error, EADDRNOTAVAIL, address_not_available)),
    sib::line_name<send_error>);

INSTANTIATE_TEST_SUITE_P(OutsideTheTable, SendTable,
                         ::testing::Values(DIAL_LINE(send_error, EIO, unexpected),
                                           DIAL_LINE(send_error, EHOSTDOWN, unexpected),
                                           DIAL_LINE(send_error, EPROTO, unexpected)),
                         sib::line_name<send_error>);

class SendTrapTable : public ::testing::TestWithParam<sib::line<send_error>> {};

TEST_P(SendTrapTable, InjectedProgrammerErrorTraps) {
  auto p = sib::connected_tcp();
  const int rc = sib::injected(SYS_sendto, GetParam().code, p.client.get(),
                               [&] { return dial::send(p.client.get(), sib::bytes("x")); });
  EXPECT_EQ(rc, sib::trapped);
}

INSTANTIATE_TEST_SUITE_P(Traps, SendTrapTable,
                         ::testing::Values(DIAL_LINE(send_error, EBADF, unexpected),
                                           DIAL_LINE(send_error, ENOTSOCK, unexpected),
                                           DIAL_LINE(send_error, EFAULT, unexpected),
                                           DIAL_LINE(send_error, EDESTADDRREQ, unexpected),
                                           DIAL_LINE(send_error, EISCONN, unexpected),
                                           DIAL_LINE(send_error, EOPNOTSUPP, unexpected)),
                         sib::line_name<send_error>);

TEST(SendErrorFromNative, IsThePureTable) {
  EXPECT_EQ(dial::send_error_from_native(EPIPE), send_error::broken_pipe);
  EXPECT_EQ(dial::last_native_error(), EPIPE);
  EXPECT_EQ(dial::send_error_from_native(EHOSTUNREACH), send_error::network_unreachable);
}

// ---- traps against the real kernel ----------------------------------------------------------

class SendTrapDeathTest : public ::testing::Test {
 protected:
  void SetUp() override { GTEST_FLAG_SET(death_test_style, "threadsafe"); }
};

TEST_F(SendTrapDeathTest, NoDestinationForAnUnconnectedDatagramSocketTraps) {
  auto s = t::make_socket(AF_INET, SOCK_DGRAM);
  EXPECT_EXIT((void)dial::send(s.get(), sib::bytes("x")), KilledBySignal(SIGABRT),
              "programmer error trapped in send: EDESTADDRREQ");
}

TEST_F(SendTrapDeathTest, AnAddressForAConnectedUnixStreamSocketTraps) {
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  t::fd a(sv[0]), b(sv[1]);
  const auto to = t::unix_path("/nonexistent");
  EXPECT_EXIT((void)dial::sendto(a.get(), sib::bytes("x"), to.sa(), to.len),
              KilledBySignal(SIGABRT), "send: EISCONN");
}

TEST_F(SendTrapDeathTest, AnAddressForAnUnconnectedUnixStreamSocketTraps) {
  auto s = t::make_socket(AF_UNIX, SOCK_STREAM);
  const auto to = t::unix_path("/nonexistent");
  EXPECT_EXIT((void)dial::sendto(s.get(), sib::bytes("x"), to.sa(), to.len),
              KilledBySignal(SIGABRT), "send: EOPNOTSUPP");
}

TEST_F(SendTrapDeathTest, BadDescriptorTraps) {
  const int bad = t::make_socket(AF_INET, SOCK_STREAM).get();  // closed at once
  EXPECT_EXIT((void)dial::send(bad, sib::bytes("x")), KilledBySignal(SIGABRT), "send: EBADF");
}

TEST_F(SendTrapDeathTest, NotASocketTraps) {
  int p[2];
  ASSERT_EQ(::pipe2(p, O_CLOEXEC), 0);
  t::fd r(p[0]), w(p[1]);
  EXPECT_EXIT((void)dial::send(w.get(), sib::bytes("x")), KilledBySignal(SIGABRT),
              "send: ENOTSOCK");
}

TEST_F(SendTrapDeathTest, DataOutsideTheAddressSpaceTraps) {
  auto p = sib::connected_tcp();
  const std::span<const std::byte> wild(reinterpret_cast<const std::byte*>(std::uintptr_t{16}), 8);
  EXPECT_EXIT((void)dial::send(p.client.get(), wild), KilledBySignal(SIGABRT), "send: EFAULT");
}

}  // namespace
