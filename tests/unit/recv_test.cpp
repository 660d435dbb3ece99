// tests/unit/recv_test.cpp: dial::recv and dial::recvfrom, every line of their table (real
// kernel, injection, death tests), orderly shutdown, and EINTR.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <thread>

#include "dial/dial.hpp"
#include "sibling_support.hpp"
#include "support.hpp"

namespace {

using dial::recv_error;
using namespace std::chrono_literals;
namespace t = dial::test;
namespace sib = dial::test::sib;
using ::testing::KilledBySignal;

bool wait_for(int s, short events, int timeout_ms = 5000) {
  pollfd p{s, events, 0};
  return ::poll(&p, 1, timeout_ms) == 1;
}

TEST(Recv, ReadsWhatWasSentThenZeroAtOrderlyShutdown) {
  auto p = sib::connected_tcp();
  ASSERT_EQ(::send(p.server.get(), "hello", 5, 0), 5);
  std::array<std::byte, 16> buf{};
  auto n = dial::recv(p.client.get(), buf);
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 5u);
  ASSERT_EQ(::shutdown(p.server.get(), SHUT_WR), 0);
  n = dial::recv(p.client.get(), buf);
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 0u);  // the peer shut down its side
}

TEST(Recv, RecvfromGivesTheDatagramsSource) {
  auto rx = t::make_socket(AF_INET, SOCK_DGRAM);
  auto a = t::ip("127.0.0.1", 0);
  ASSERT_EQ(::bind(rx.get(), a.sa(), a.len), 0);
  a.len = sizeof a.ss;
  ASSERT_EQ(::getsockname(rx.get(), a.sa(), &a.len), 0);
  auto tx = t::make_socket(AF_INET, SOCK_DGRAM);
  ASSERT_EQ(::sendto(tx.get(), "x", 1, 0, a.sa(), a.len), 1);
  std::array<std::byte, 16> buf{};
  t::addr from;
  from.len = sizeof from.ss;
  auto n = dial::recvfrom(rx.get(), buf, from.sa(), &from.len);
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 1u);
  t::addr src;
  src.len = sizeof src.ss;
  ASSERT_EQ(::getsockname(tx.get(), src.sa(), &src.len), 0);
  EXPECT_EQ(from.port(), src.port());
}

TEST(Recv, WouldBlockWithNothingToReadOnANonBlockingSocket) {
  auto p = sib::connected_tcp();
  ASSERT_EQ(::fcntl(p.client.get(), F_SETFL, O_NONBLOCK), 0);
  std::array<std::byte, 16> buf{};
  auto n = dial::recv(p.client.get(), buf);
  ASSERT_FALSE(n);
  EXPECT_EQ(n.error(), recv_error::would_block);
  EXPECT_EQ(dial::last_native_error(), EAGAIN);
}

TEST(Recv, WouldBlockWhenSoRcvtimeoExpires) {
  auto p = sib::connected_tcp();
  const timeval tv{0, 20000};
  ASSERT_EQ(::setsockopt(p.client.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), 0);
  std::array<std::byte, 16> buf{};
  auto n = dial::recv(p.client.get(), buf);
  ASSERT_FALSE(n);
  EXPECT_EQ(n.error(), recv_error::would_block);
}

TEST(Recv, ConnectionRefusedOnAConnectedUdpSocketAfterPortUnreachable) {
  auto closed = t::make_socket(AF_INET, SOCK_DGRAM);
  auto to = t::ip("127.0.0.1", 0);
  ASSERT_EQ(::bind(closed.get(), to.sa(), to.len), 0);
  to.len = sizeof to.ss;
  ASSERT_EQ(::getsockname(closed.get(), to.sa(), &to.len), 0);
  closed = t::fd();  // nobody listens there any more
  auto s = t::make_socket(AF_INET, SOCK_DGRAM);
  ASSERT_EQ(::connect(s.get(), to.sa(), to.len), 0);
  ASSERT_EQ(::send(s.get(), "x", 1, 0), 1);  // draws ICMP port unreachable
  ASSERT_TRUE(wait_for(s.get(), POLLERR));
  std::array<std::byte, 16> buf{};
  auto n = dial::recv(s.get(), buf);
  ASSERT_FALSE(n);
  EXPECT_EQ(n.error(), recv_error::connection_refused);
  EXPECT_EQ(dial::last_native_error(), ECONNREFUSED);
}

TEST(Recv, ConnectionResetByPeerAfterTheySentAReset) {
  auto p = sib::connected_tcp();
  const linger reset{1, 0};
  ASSERT_EQ(::setsockopt(p.server.get(), SOL_SOCKET, SO_LINGER, &reset, sizeof reset), 0);
  p.server = t::fd();
  ASSERT_TRUE(wait_for(p.client.get(), POLLHUP));
  std::array<std::byte, 16> buf{};
  auto n = dial::recv(p.client.get(), buf);
  ASSERT_FALSE(n);
  EXPECT_EQ(n.error(), recv_error::connection_reset_by_peer);
  EXPECT_EQ(dial::last_native_error(), ECONNRESET);
}

TEST(Recv, SocketNotConnectedForAnUnconnectedSocketAndForAListener) {
  auto s = t::make_socket(AF_INET, SOCK_STREAM);
  auto l = t::tcp_listener(AF_INET);
  for (int fd : {s.get(), l.sock.get()}) {
    std::array<std::byte, 16> buf{};
    auto n = dial::recv(fd, buf);
    ASSERT_FALSE(n);
    EXPECT_EQ(n.error(), recv_error::socket_not_connected);
    EXPECT_EQ(dial::last_native_error(), ENOTCONN);
  }
}

TEST(Recv, InterruptedBlockingRecvIsRetriedAndReadsTheData) {
  const int rc = t::run_in_child(
      [] {
        sib::interruptions counted;
        auto p = sib::connected_tcp();
        std::thread sender([&] {
          std::this_thread::sleep_for(200ms);
          (void)::send(p.server.get(), "late", 4, 0);
        });
        std::array<std::byte, 16> buf{};
        std::expected<std::size_t, recv_error> n;
        {
          sib::signal_storm storm(::pthread_self(), 2ms);
          n = dial::recv(p.client.get(), buf);
        }
        sender.join();
        if (counted.count() < 10) return 150;  // the storm must have hit the blocked recv
        if (n && *n != 4) return 151;
        return sib::code_of(n);
      },
      10s);
  EXPECT_EQ(rc, 0);
}

// ---- every line of the table, injected ----------------------------------------------------

class RecvTable : public ::testing::TestWithParam<sib::line<recv_error>> {};

TEST_P(RecvTable, MapsTheInjectedCodeOfRecvAndRecvfromToItsName) {
  // glibc's recv is the recvfrom system call on x86-64, so one filter serves both.
  auto p = sib::connected_tcp();
  std::array<std::byte, 16> buf{};
  const int via_recv = sib::injected(SYS_recvfrom, GetParam().code, p.client.get(),
                                     [&] { return dial::recv(p.client.get(), buf); });
  EXPECT_EQ(via_recv, sib::code(GetParam().want)) << "recv";
  const int via_recvfrom = sib::injected(SYS_recvfrom, GetParam().code, p.client.get(), [&] {
    t::addr from;
    from.len = sizeof from.ss;
    return dial::recvfrom(p.client.get(), buf, from.sa(), &from.len);
  });
  EXPECT_EQ(via_recvfrom, sib::code(GetParam().want)) << "recvfrom";
}

INSTANTIATE_TEST_SUITE_P(Table, RecvTable,
                         ::testing::Values(DIAL_LINE(recv_error, EAGAIN, would_block),
                                           DIAL_LINE(recv_error, ECONNREFUSED, connection_refused),
                                           DIAL_LINE(recv_error, ECONNRESET,
                                                     connection_reset_by_peer),
                                           DIAL_LINE(recv_error, ETIMEDOUT, connection_timed_out),
                                           DIAL_LINE(recv_error, ENETUNREACH, network_unreachable),
                                           DIAL_LINE(recv_error, EHOSTUNREACH, network_unreachable),
                                           DIAL_LINE(recv_error, ENOTCONN, socket_not_connected),
                                           DIAL_LINE(recv_error, ENOMEM, system_resources),
                                           DIAL_LINE(recv_error, ENOBUFS, system_resources)),
                         sib::line_name<recv_error>);

INSTANTIATE_TEST_SUITE_P(OutsideTheTable, RecvTable,
                         ::testing::Values(DIAL_LINE(recv_error, EIO, unexpected),
                                           DIAL_LINE(recv_error, EPIPE, unexpected),
                                           DIAL_LINE(recv_error, EHOSTDOWN, unexpected)),
                         sib::line_name<recv_error>);

class RecvTrapTable : public ::testing::TestWithParam<sib::line<recv_error>> {};

TEST_P(RecvTrapTable, InjectedProgrammerErrorTraps) {
  auto p = sib::connected_tcp();
  std::array<std::byte, 16> buf{};
  const int rc = sib::injected(SYS_recvfrom, GetParam().code, p.client.get(),
                               [&] { return dial::recv(p.client.get(), buf); });
  EXPECT_EQ(rc, sib::trapped);
}

INSTANTIATE_TEST_SUITE_P(Traps, RecvTrapTable,
                         ::testing::Values(DIAL_LINE(recv_error, EBADF, unexpected),
                                           DIAL_LINE(recv_error, ENOTSOCK, unexpected),
                                           DIAL_LINE(recv_error, EFAULT, unexpected),
                                           DIAL_LINE(recv_error, EINVAL, unexpected),
                                           DIAL_LINE(recv_error, EOPNOTSUPP, unexpected)),
                         sib::line_name<recv_error>);

TEST(RecvErrorFromNative, IsThePureTable) {
  EXPECT_EQ(dial::recv_error_from_native(ECONNREFUSED), recv_error::connection_refused);
  EXPECT_EQ(dial::last_native_error(), ECONNREFUSED);
}

// ---- traps against the real kernel ----------------------------------------------------------

class RecvTrapDeathTest : public ::testing::Test {
 protected:
  void SetUp() override { GTEST_FLAG_SET(death_test_style, "threadsafe"); }
};

TEST_F(RecvTrapDeathTest, OutOfBandWithoutUrgentDataTraps) {
  auto p = sib::connected_tcp();
  std::array<std::byte, 16> buf{};
  EXPECT_EXIT((void)dial::recv(p.client.get(), buf, MSG_OOB), KilledBySignal(SIGABRT),
              "programmer error trapped in recv: EINVAL .*urgent");
}

TEST_F(RecvTrapDeathTest, OutOfBandOnADatagramSocketTraps) {
  auto s = t::make_socket(AF_UNIX, SOCK_DGRAM);
  std::array<std::byte, 16> buf{};
  EXPECT_EXIT((void)dial::recv(s.get(), buf, MSG_OOB), KilledBySignal(SIGABRT), "recv: EOPNOTSUPP");
}

TEST_F(RecvTrapDeathTest, BadDescriptorTraps) {
  const int bad = t::make_socket(AF_INET, SOCK_STREAM).get();  // closed at once
  std::array<std::byte, 16> buf{};
  EXPECT_EXIT((void)dial::recv(bad, buf), KilledBySignal(SIGABRT), "recv: EBADF");
}

TEST_F(RecvTrapDeathTest, NotASocketTraps) {
  int p[2];
  ASSERT_EQ(::pipe2(p, O_CLOEXEC), 0);
  t::fd r(p[0]), w(p[1]);
  std::array<std::byte, 16> buf{};
  EXPECT_EXIT((void)dial::recv(r.get(), buf), KilledBySignal(SIGABRT), "recv: ENOTSOCK");
}

TEST_F(RecvTrapDeathTest, BufferOutsideTheAddressSpaceTraps) {
  auto p = sib::connected_tcp();
  ASSERT_EQ(::send(p.server.get(), "x", 1, 0), 1);  // so recv does not block
  const std::span<std::byte> wild(reinterpret_cast<std::byte*>(std::uintptr_t{16}), 8);
  EXPECT_EXIT((void)dial::recv(p.client.get(), wild), KilledBySignal(SIGABRT), "recv: EFAULT");
}

}  // namespace
