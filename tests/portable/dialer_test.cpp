// tests/portable/dialer_test.cpp: the deadline connect for real on loopback, one source for Linux
// (poll and an eventfd) and Windows (WSAPoll and a loopback wake-up socket): success, refusal,
// Timeout against a full backlog, Canceled; the socket is blocking afterwards on every path.
#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <stop_token>
#include <thread>

#include "dial/dialer.hpp"
#include "dial/error.hpp"
#include "dial/sys.hpp"
#include "portable_support.hpp"

namespace {

namespace p = dial::portable;
using dial::connect_until_error;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

class PortableDialer : public ::testing::TestWithParam<int> {};

std::string family_name(const ::testing::TestParamInfo<int>& i) {
  return i.param == p::af_inet ? "IPv4" : "IPv6";
}

// After Timeout or Canceled the kernel's attempt goes on: let it through (accept the connection
// that fills the backlog; the attempt's next SYN, about 1 s later, is taken) and wait until it has
// connected, so that is_blocking can tell on Windows too (it needs a connected socket there).
void let_it_connect(p::full_listener& full, dial::socket_t s) {
  auto queued = dial::accept(full.l.sock.get());
  ASSERT_TRUE(queued) << dial::name(queued.error());
  p::owned_socket q(*queued);
  ASSERT_TRUE(p::wait_connected(s, 10s));
}

TEST_P(PortableDialer, ConnectsToAListenerAndLeavesTheSocketBlocking) {
  auto l = p::tcp_listener(GetParam());
  auto s = p::tcp_socket(GetParam());
  auto r = dial::connect_for(s.get(), l.where.sa(), l.where.len, 5s);
  ASSERT_TRUE(r) << dial::name(r.error());
  auto a = dial::accept(l.sock.get());
  ASSERT_TRUE(a);
  p::owned_socket peer(*a);
  EXPECT_TRUE(p::is_blocking(s.get()));
  // Blocking again: recv waits for data sent later instead of saying WouldBlock.
  std::thread later([&] {
    std::this_thread::sleep_for(100ms);
    const std::byte one{1};
    (void)dial::send(peer.get(), std::span(&one, 1));
  });
  std::array<std::byte, 4> buf{};
  auto got = dial::recv(s.get(), buf);
  later.join();
  ASSERT_TRUE(got) << dial::name(got.error());
  EXPECT_EQ(*got, 1u);
  p::set_nonblocking(s.get());  // is_blocking tells the other mode too
  EXPECT_FALSE(p::is_blocking(s.get()));
}

TEST_P(PortableDialer, ARefusedAttemptIsConnectionRefused) {
  auto closed = p::closed_port(GetParam());
  auto s = p::tcp_socket(GetParam());
  auto r = dial::connect_for(s.get(), closed.where.sa(), closed.where.len, 5s);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), connect_until_error::connection_refused) << dial::name(r.error());
}

TEST_P(PortableDialer, AnAttemptThatStaysInProgressEndsInTimeoutAtTheDeadline) {
  auto full = p::full_tcp_listener(GetParam());
  auto s = p::tcp_socket(GetParam());
  const auto start = steady::now();
  auto r = dial::connect_for(s.get(), full.l.where.sa(), full.l.where.len, 200ms);
  const auto took = steady::now() - start;
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), connect_until_error::timeout) << dial::name(r.error());
  EXPECT_GE(took, 190ms);  // not before the deadline (a behaviour window, not a speed claim)
  EXPECT_LT(took, 10s);
}

TEST_P(PortableDialer, TimeoutLeavesTheSocketBlocking) {
  auto full = p::full_tcp_listener(GetParam());
  auto s = p::tcp_socket(GetParam());
  auto r = dial::connect_for(s.get(), full.l.where.sa(), full.l.where.len, 100ms);
  ASSERT_FALSE(r);
  ASSERT_EQ(r.error(), connect_until_error::timeout) << dial::name(r.error());
  let_it_connect(full, s.get());
  EXPECT_TRUE(p::is_blocking(s.get()));
}

TEST_P(PortableDialer, AStopDuringTheAttemptIsCanceled) {
  auto full = p::full_tcp_listener(GetParam());
  auto s = p::tcp_socket(GetParam());
  std::stop_source stop;
  std::thread stopper([&] {
    std::this_thread::sleep_for(50ms);
    stop.request_stop();
  });
  const auto start = steady::now();
  auto r = dial::connect_for(s.get(), full.l.where.sa(), full.l.where.len, 30s, stop.get_token());
  const auto took = steady::now() - start;
  stopper.join();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), connect_until_error::canceled) << dial::name(r.error());
  EXPECT_LT(took, 10s);
  let_it_connect(full, s.get());
  EXPECT_TRUE(p::is_blocking(s.get()));
}

TEST(PortableDialerStop, AStopRequestedBeforehandIsCanceledWithoutAnySystemCall) {
  // The handle is not a socket: any system call on it would trap.
  auto l = p::tcp_listener(p::af_inet);
  p::not_a_socket h;
  std::stop_source stop;
  stop.request_stop();
  auto r = dial::connect_for(h.get(), l.where.sa(), l.where.len, 5s, stop.get_token());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), connect_until_error::canceled) << dial::name(r.error());
}

INSTANTIATE_TEST_SUITE_P(Loopback, PortableDialer, ::testing::Values(p::af_inet, p::af_inet6),
                         family_name);

}  // namespace
