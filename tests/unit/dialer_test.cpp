// tests/unit/dialer_test.cpp: connect_until: deadlines, cancellation, completion, socket state.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>

#include <chrono>
#include <stop_token>
#include <thread>

#include "dial/dial.hpp"
#include "support.hpp"

namespace {

using dial::connect_until_error;
using namespace std::chrono_literals;
namespace t = dial::test;
using clock_type = dial::deadline_clock;

static_assert(dial::is_subset_v<connect_until_error, dial::connect_error>,
              "connect's set widens into connect_until's");

bool is_nonblocking(int s) { return (::fcntl(s, F_GETFL) & O_NONBLOCK) != 0; }

TEST(ConnectUntil, SetIsConnectsFourteenPlusTimeoutCanceledAndPollsFdQuota) {
  EXPECT_EQ(std::size(dial::error_set_traits<connect_until_error>::members), 17u);
  static_assert(dial::is_subset_v<connect_until_error, dial::poll_error>);
  EXPECT_EQ(dial::name(connect_until_error::process_fd_quota_exceeded), "ProcessFdQuotaExceeded");
  EXPECT_EQ(dial::name(connect_until_error::timeout), "Timeout");
  EXPECT_EQ(dial::name(connect_until_error::canceled), "Canceled");
  EXPECT_TRUE(std::error_code(connect_until_error::timeout) == std::errc::timed_out);
  EXPECT_TRUE(std::error_code(connect_until_error::canceled) == std::errc::operation_canceled);
}

TEST(ConnectUntil, SucceedsAndRestoresBlockingMode) {
  auto l = t::tcp_listener(AF_INET);
  auto s = t::make_socket(AF_INET, SOCK_STREAM);
  ASSERT_FALSE(is_nonblocking(s.get()));
  EXPECT_TRUE(dial::connect_for(s.get(), l.where.sa(), l.where.len, 5s));
  EXPECT_FALSE(is_nonblocking(s.get()));
}

TEST(ConnectUntil, LeavesANonBlockingSocketNonBlocking) {
  auto l = t::tcp_listener(AF_INET6);
  auto s = t::make_socket(AF_INET6, SOCK_STREAM, SOCK_NONBLOCK);
  EXPECT_TRUE(dial::connect_for(s.get(), l.where.sa(), l.where.len, 5s));
  EXPECT_TRUE(is_nonblocking(s.get()));
}

TEST(ConnectUntil, RefusedIsConnectionRefused) {
  auto closed = t::closed_tcp_port(AF_INET);
  auto s = t::make_socket(AF_INET, SOCK_STREAM);
  auto r = dial::connect_for(s.get(), closed.where.sa(), closed.where.len, 5s);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), connect_until_error::connection_refused);
  EXPECT_EQ(dial::last_native_error(), ECONNREFUSED);
}

TEST(ConnectUntil, RefusalArrivingDuringTheWaitIsConnectionRefused) {
  // Pending on a full queue; the listener closes, and the retransmitted SYN is refused.
  auto full = t::full_tcp_listener(AF_INET);
  const auto where = full.l.where;
  auto s = t::make_socket(AF_INET, SOCK_STREAM);
  std::thread closer([&] {
    std::this_thread::sleep_for(200ms);
    full = {};
  });
  auto r = dial::connect_for(s.get(), where.sa(), where.len, 10s);
  closer.join();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), connect_until_error::connection_refused);
}

TEST(ConnectUntil, CompletionDuringTheWaitSucceeds) {
  auto full = t::full_tcp_listener(AF_INET);
  auto s = t::make_socket(AF_INET, SOCK_STREAM);
  std::thread freer([&] {
    std::this_thread::sleep_for(200ms);
    t::fd filler(::accept4(full.l.sock.get(), nullptr, nullptr, SOCK_CLOEXEC));
  });
  auto r = dial::connect_for(s.get(), full.l.where.sa(), full.l.where.len, 10s);
  freer.join();
  EXPECT_TRUE(r) << dial::name(r.error());
  t::addr peer;
  peer.len = sizeof peer.ss;
  EXPECT_EQ(::getpeername(s.get(), peer.sa(), &peer.len), 0);
}

TEST(ConnectUntil, TimeoutWhenTheAttemptOutlivesTheDeadline) {
  auto full = t::full_tcp_listener(AF_INET);
  auto s = t::make_socket(AF_INET, SOCK_STREAM);
  const auto start = clock_type::now();
  auto r = dial::connect_for(s.get(), full.l.where.sa(), full.l.where.len, 300ms);
  const auto took = clock_type::now() - start;
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), connect_until_error::timeout);
  EXPECT_EQ(dial::last_native_error(), 0);
  EXPECT_GE(took, 300ms);
  EXPECT_LT(took, 5s);  // generous: on time, not after the kernel's own SYN timeout
}

TEST(ConnectUntil, ADeadlineInThePastStillLetsAnImmediateOutcomeThrough) {
  auto closed = t::closed_tcp_port(AF_INET);
  auto s = t::make_socket(AF_INET, SOCK_STREAM);
  auto r =
      dial::connect_until(s.get(), closed.where.sa(), closed.where.len, clock_type::now() - 1s);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), connect_until_error::connection_refused);
  auto full = t::full_tcp_listener(AF_INET);
  auto s2 = t::make_socket(AF_INET, SOCK_STREAM);
  auto r2 =
      dial::connect_until(s2.get(), full.l.where.sa(), full.l.where.len, clock_type::now() - 1s);
  ASSERT_FALSE(r2);
  EXPECT_EQ(r2.error(), connect_until_error::timeout);
}

TEST(ConnectUntil, CanceledMidAttempt) {
  auto full = t::full_tcp_listener(AF_INET);
  auto s = t::make_socket(AF_INET, SOCK_STREAM);
  std::stop_source source;
  // The clock starts before the canceller's sleep does: the stop comes at least 150 ms later.
  const auto start = clock_type::now();
  std::thread canceller([&] {
    std::this_thread::sleep_for(150ms);
    source.request_stop();
  });
  auto r = dial::connect_for(s.get(), full.l.where.sa(), full.l.where.len, 30s, source.get_token());
  const auto took = clock_type::now() - start;
  canceller.join();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), connect_until_error::canceled);
  EXPECT_GE(took, 150ms);
  EXPECT_LT(took, 5s);  // woken by the stop, not by the deadline
}

TEST(ConnectUntil, AlreadyCanceledMakesNoSystemCall) {
  auto l = t::tcp_listener(AF_INET);
  std::stop_source source;
  source.request_stop();
  // A descriptor that is not a socket would trap if connect_until touched it.
  int p[2];
  ASSERT_EQ(::pipe(p), 0);
  t::fd r(p[0]), w(p[1]);
  auto res = dial::connect_for(r.get(), l.where.sa(), l.where.len, 1s, source.get_token());
  ASSERT_FALSE(res);
  EXPECT_EQ(res.error(), connect_until_error::canceled);
}

TEST(ConnectUntil, FullUnixBacklogIsRetriedUntilTheDeadline) {
  const t::scratch_dir dir;
  auto full = t::full_unix_listener(dir / "full");
  // Fill whatever room is left (bounded) so that a non-blocking connect gets EAGAIN.
  std::vector<t::fd> extra;
  for (int i = 0; i < 8; ++i) {
    extra.push_back(t::make_socket(AF_UNIX, SOCK_STREAM, SOCK_NONBLOCK));
    if (::connect(extra.back().get(), full.l.where.sa(), full.l.where.len) != 0) break;
  }
  auto s = t::make_socket(AF_UNIX, SOCK_STREAM);
  auto r = dial::connect_for(s.get(), full.l.where.sa(), full.l.where.len, 200ms);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), connect_until_error::timeout);
}

TEST(ConnectUntil, FullUnixBacklogGoesThroughWhenRoomIsMade) {
  const t::scratch_dir dir;
  auto full = t::full_unix_listener(dir / "room");
  std::vector<t::fd> extra;
  for (int i = 0; i < 8; ++i) {
    extra.push_back(t::make_socket(AF_UNIX, SOCK_STREAM, SOCK_NONBLOCK));
    if (::connect(extra.back().get(), full.l.where.sa(), full.l.where.len) != 0) break;
  }
  std::thread acceptor([&] {
    std::this_thread::sleep_for(100ms);
    // Drain the queue, dial's connect included, without ever blocking: the listener is a
    // blocking socket, so wait for each pending connection with a bounded poll first.
    for (int i = 0; i < 16; ++i) {
      pollfd p{full.l.sock.get(), POLLIN, 0};
      if (::poll(&p, 1, 500) != 1) break;
      int c = ::accept4(full.l.sock.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
      if (c < 0) break;
      ::close(c);
    }
  });
  auto s = t::make_socket(AF_UNIX, SOCK_STREAM);
  auto r = dial::connect_for(s.get(), full.l.where.sa(), full.l.where.len, 10s);
  acceptor.join();
  EXPECT_TRUE(r) << dial::name(r.error());
}

TEST(ConnectUntil, ErrorsLeakNoDescriptor) {
  auto full = t::full_tcp_listener(AF_INET);
  auto closed = t::closed_tcp_port(AF_INET);
  const int before = t::count_open_fds();
  std::stop_source source;
  for (int i = 0; i < 5; ++i) {
    auto s = dial::socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_TRUE(s);
    EXPECT_FALSE(
        dial::connect_for(*s, full.l.where.sa(), full.l.where.len, 20ms, source.get_token()));
    EXPECT_FALSE(dial::connect_for(*s, closed.where.sa(), closed.where.len, 1s));
    dial::close(*s);
  }
  EXPECT_EQ(t::count_open_fds(), before);
}

}  // namespace
