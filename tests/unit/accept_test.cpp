// tests/unit/accept_test.cpp: dial::accept, every line of its table (real kernel, injection,
// death tests), close-on-exec, the non-blocking flag, EINTR, and no descriptor leaks.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <thread>

#include "dial/dial.hpp"
#include "sibling_support.hpp"
#include "support.hpp"

namespace {

using dial::accept_error;
using namespace std::chrono_literals;
namespace t = dial::test;
namespace sib = dial::test::sib;
using ::testing::KilledBySignal;

std::uint16_t local_port(int s) {
  t::addr a;
  a.len = sizeof a.ss;
  if (::getsockname(s, a.sa(), &a.len) != 0) return 0;
  return a.port();
}

TEST(Accept, ReturnsACloseOnExecSocketAndThePeerAddress) {
  for (int family : {AF_INET, AF_INET6}) {
    auto l = t::tcp_listener(family);
    auto c = t::make_socket(family, SOCK_STREAM);
    ASSERT_EQ(::connect(c.get(), l.where.sa(), l.where.len), 0);
    t::addr peer;
    peer.len = sizeof peer.ss;
    auto s = dial::accept(l.sock.get(), peer.sa(), &peer.len);
    ASSERT_TRUE(s);
    t::fd owned(*s);
    EXPECT_TRUE(::fcntl(*s, F_GETFD) & FD_CLOEXEC);
    EXPECT_FALSE(::fcntl(*s, F_GETFL) & O_NONBLOCK);
    EXPECT_EQ(peer.family(), family);
    EXPECT_EQ(peer.port(), local_port(c.get()));
  }
}

TEST(Accept, NonBlockingFlagMakesTheNewSocketNonBlocking) {
  auto l = t::tcp_listener(AF_INET);
  auto c = t::make_socket(AF_INET, SOCK_STREAM);
  ASSERT_EQ(::connect(c.get(), l.where.sa(), l.where.len), 0);
  auto s = dial::accept(l.sock.get(), nullptr, nullptr, {.non_blocking = true});
  ASSERT_TRUE(s);
  t::fd owned(*s);
  EXPECT_TRUE(::fcntl(*s, F_GETFD) & FD_CLOEXEC);
  EXPECT_TRUE(::fcntl(*s, F_GETFL) & O_NONBLOCK);
}

TEST(Accept, WouldBlockOnANonBlockingListenerWithNothingPending) {
  auto l = t::tcp_listener(AF_INET);
  ASSERT_EQ(::fcntl(l.sock.get(), F_SETFL, O_NONBLOCK), 0);
  auto s = dial::accept(l.sock.get());
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error(), accept_error::would_block);
  EXPECT_EQ(dial::last_native_error(), EAGAIN);
}

TEST(Accept, SocketNotListeningForABoundSocketThatDoesNotListen) {
  auto closed = t::closed_tcp_port(AF_INET);  // bound, never listening
  auto s = dial::accept(closed.sock.get());
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error(), accept_error::socket_not_listening);
  EXPECT_EQ(dial::last_native_error(), EINVAL);
}

TEST(Accept, ShutdownOfTheListenerEndsABlockedAcceptWithSocketNotListening) {
  // The usual way to stop an accept loop: Zig's accept names this EINVAL SocketNotListening too.
  const int rc = t::run_in_child(
      [] {
        auto l = t::tcp_listener(AF_INET);
        std::thread stopper([&] {
          std::this_thread::sleep_for(100ms);
          (void)dial::shutdown(l.sock.get(), dial::shutdown_how::receive);
        });
        auto s = dial::accept(l.sock.get());  // blocks until the shutdown
        stopper.join();
        return sib::code_of(s);
      },
      10s);
  EXPECT_EQ(rc, sib::code(accept_error::socket_not_listening));
}

TEST(Accept, ProcessFdQuotaExceededAtTheDescriptorLimitAndTheConnectionStaysQueued) {
  const int rc = t::run_in_child([] {
    auto l = t::tcp_listener(AF_INET);
    auto c = t::make_socket(AF_INET, SOCK_STREAM);
    if (::connect(c.get(), l.where.sa(), l.where.len) != 0)
      return static_cast<int>(sib::setup_failed);
    rlimit old{};
    ::getrlimit(RLIMIT_NOFILE, &old);
    rlimit lim = old;
    lim.rlim_cur = static_cast<rlim_t>(sib::lowest_free_fd());  // no new descriptor fits
    if (::setrlimit(RLIMIT_NOFILE, &lim) != 0) return static_cast<int>(sib::setup_failed);
    auto s = dial::accept(l.sock.get());
    if (s) return 0;
    if (dial::last_native_error() != EMFILE) return static_cast<int>(sib::lost_native_code);
    // The connection was not lost: with room again, accept takes it.
    ::setrlimit(RLIMIT_NOFILE, &old);
    ::fcntl(l.sock.get(), F_SETFL, O_NONBLOCK);
    auto again = dial::accept(l.sock.get());
    if (!again) return 150;
    ::close(*again);
    return sib::code_of(s);
  });
  EXPECT_EQ(rc, sib::code(accept_error::process_fd_quota_exceeded));
}

TEST(Accept, InterruptedBlockingAcceptIsRetriedAndTakesTheConnection) {
  const int rc = t::run_in_child(
      [] {
        sib::interruptions counted;
        auto l = t::tcp_listener(AF_INET);
        std::thread client([&] {
          std::this_thread::sleep_for(200ms);
          auto c = t::make_socket(AF_INET, SOCK_STREAM);
          (void)::connect(c.get(), l.where.sa(), l.where.len);
          std::this_thread::sleep_for(100ms);
        });
        std::expected<dial::socket_t, accept_error> s;
        {
          sib::signal_storm storm(::pthread_self(), 2ms);
          s = dial::accept(l.sock.get());
        }
        client.join();
        if (counted.count() < 10) return 150;  // the storm must have hit the blocked accept
        if (s) ::close(*s);
        return sib::code_of(s);
      },
      10s);
  EXPECT_EQ(rc, 0);
}

TEST(Accept, FailedAcceptsLeakNoDescriptor) {
  const int before = t::count_open_fds();
  {
    auto l = t::tcp_listener(AF_INET);
    ASSERT_EQ(::fcntl(l.sock.get(), F_SETFL, O_NONBLOCK), 0);
    for (int i = 0; i < 10; ++i) EXPECT_FALSE(dial::accept(l.sock.get()));
  }
  EXPECT_EQ(t::count_open_fds(), before);
}

// ---- every line of the table, injected ----------------------------------------------------

class AcceptTable : public ::testing::TestWithParam<sib::line<accept_error>> {};

TEST_P(AcceptTable, MapsTheInjectedCodeToItsName) {
  auto l = t::tcp_listener(AF_INET);
  const int rc = sib::injected(SYS_accept4, GetParam().code, l.sock.get(),
                               [&] { return dial::accept(l.sock.get()); });
  EXPECT_EQ(rc, sib::code(GetParam().want));
}

INSTANTIATE_TEST_SUITE_P(
    Table, AcceptTable,
    ::testing::Values(DIAL_LINE(accept_error, EAGAIN, would_block),
                      DIAL_LINE(accept_error, ECONNABORTED, connection_aborted),
                      DIAL_LINE(accept_error, EINVAL, socket_not_listening),
                      DIAL_LINE(accept_error, EMFILE, process_fd_quota_exceeded),
                      DIAL_LINE(accept_error, ENFILE, system_fd_quota_exceeded),
                      DIAL_LINE(accept_error, ENOBUFS, system_resources),
                      DIAL_LINE(accept_error, ENOMEM, system_resources),
                      DIAL_LINE(accept_error, EPROTO, protocol_failure),
                      DIAL_LINE(accept_error, EPERM, permission_denied),
                      DIAL_LINE(accept_error, ENETDOWN, connection_aborted),
                      DIAL_LINE(accept_error, ENOPROTOOPT, connection_aborted),
                      DIAL_LINE(accept_error, EHOSTDOWN, connection_aborted),
                      DIAL_LINE(accept_error, ENONET, connection_aborted),
                      DIAL_LINE(accept_error, EHOSTUNREACH, connection_aborted),
                      DIAL_LINE(accept_error, ENETUNREACH, connection_aborted)),
    sib::line_name<accept_error>);

INSTANTIATE_TEST_SUITE_P(OutsideTheTable, AcceptTable,
                         ::testing::Values(DIAL_LINE(accept_error, EIO, unexpected),
                                           DIAL_LINE(accept_error, ECONNRESET, unexpected),
                                           DIAL_LINE(accept_error, ETIMEDOUT, unexpected)),
                         sib::line_name<accept_error>);

class AcceptTrapTable : public ::testing::TestWithParam<sib::line<accept_error>> {};

TEST_P(AcceptTrapTable, InjectedProgrammerErrorTraps) {
  auto l = t::tcp_listener(AF_INET);
  const int rc = sib::injected(SYS_accept4, GetParam().code, l.sock.get(),
                               [&] { return dial::accept(l.sock.get()); });
  EXPECT_EQ(rc, sib::trapped);
}

INSTANTIATE_TEST_SUITE_P(Traps, AcceptTrapTable,
                         ::testing::Values(DIAL_LINE(accept_error, EBADF, unexpected),
                                           DIAL_LINE(accept_error, ENOTSOCK, unexpected),
                                           DIAL_LINE(accept_error, EFAULT, unexpected),
                                           DIAL_LINE(accept_error, EOPNOTSUPP, unexpected)),
                         sib::line_name<accept_error>);

TEST(AcceptErrorFromNative, IsThePureTable) {
  EXPECT_EQ(dial::accept_error_from_native(ECONNABORTED), accept_error::connection_aborted);
  EXPECT_EQ(dial::last_native_error(), ECONNABORTED);
  EXPECT_EQ(dial::accept_error_from_native(EPERM), accept_error::permission_denied);
}

// ---- traps against the real kernel ----------------------------------------------------------

class AcceptTrapDeathTest : public ::testing::Test {
 protected:
  void SetUp() override { GTEST_FLAG_SET(death_test_style, "threadsafe"); }
};

TEST_F(AcceptTrapDeathTest, BadDescriptorTraps) {
  const int bad = t::make_socket(AF_INET, SOCK_STREAM).get();  // closed at once
  EXPECT_EXIT((void)dial::accept(bad), KilledBySignal(SIGABRT),
              "programmer error trapped in accept: EBADF");
}

TEST_F(AcceptTrapDeathTest, NotASocketTraps) {
  int p[2];
  ASSERT_EQ(::pipe2(p, O_CLOEXEC), 0);
  t::fd r(p[0]), w(p[1]);
  EXPECT_EXIT((void)dial::accept(r.get()), KilledBySignal(SIGABRT), "accept: ENOTSOCK");
}

TEST_F(AcceptTrapDeathTest, DatagramSocketTraps) {
  auto s = t::make_socket(AF_INET, SOCK_DGRAM);
  EXPECT_EXIT((void)dial::accept(s.get()), KilledBySignal(SIGABRT),
              "accept: EOPNOTSUPP .*does not accept connections");
}

TEST_F(AcceptTrapDeathTest, AddressOutsideTheAddressSpaceTraps) {
  // A wild `addr` with a valid `len` (ASan's accept4 interceptor reads `*len` itself).
  auto l = t::tcp_listener(AF_INET);
  auto c = t::make_socket(AF_INET, SOCK_STREAM);
  ASSERT_EQ(::connect(c.get(), l.where.sa(), l.where.len), 0);  // so accept does not block
  auto* wild = reinterpret_cast<sockaddr*>(std::uintptr_t{16});
  dial::socklen_t len = sizeof(sockaddr_in);
  EXPECT_EXIT((void)dial::accept(l.sock.get(), wild, &len), KilledBySignal(SIGABRT),
              "accept: EFAULT");
}

}  // namespace
