// tests/unit/connect_test.cpp: every connect outcome loopback can produce, against the real kernel.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "dial/dial.hpp"
#include "support.hpp"

namespace {

using dial::connect_error;
namespace t = dial::test;

// A scratch directory for Unix socket paths, removed after each test.
class ConnectTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = t::temp_dir();
    fds_before_ = t::count_open_fds();
  }
  void TearDown() override {
    std::filesystem::remove_all(dir_);
    EXPECT_EQ(t::count_open_fds(), fds_before_) << "a descriptor leaked";
  }
  std::string path(const char* leaf) const { return dir_ + "/" + leaf; }

  std::string dir_;
  int fds_before_ = 0;
};

// Polls a non-blocking socket until it is writable or reports an error; bounded.
bool wait_writable(int s, int ms = 5000) {
  pollfd p{s, POLLOUT, 0};
  return ::poll(&p, 1, ms) == 1;
}

TEST_F(ConnectTest, SucceedsToATcpListenerV4AndV6) {
  for (int family : {AF_INET, AF_INET6}) {
    auto l = t::tcp_listener(family);
    auto s = dial::socket(family, SOCK_STREAM, 0);
    ASSERT_TRUE(s);
    EXPECT_TRUE(dial::connect(*s, l.where.sa(), l.where.len));
    dial::close(*s);
  }
}

TEST_F(ConnectTest, ConnectionRefusedOnAClosedTcpPortV4AndV6) {
  for (int family : {AF_INET, AF_INET6}) {
    auto closed = t::closed_tcp_port(family);
    auto s = t::make_socket(family, SOCK_STREAM);
    auto r = dial::connect(s.get(), closed.where.sa(), closed.where.len);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), connect_error::connection_refused);
    EXPECT_EQ(dial::last_native_error(), ECONNREFUSED);
  }
}

TEST_F(ConnectTest, ConnectionRefusedOnAStaleUnixSocketFile) {
  { auto l = t::unix_listener(path("stale")); }  // closed: the file stays, nobody listens
  ASSERT_TRUE(std::filesystem::exists(path("stale")));
  auto s = t::make_socket(AF_UNIX, SOCK_STREAM);
  auto a = t::unix_path(path("stale"));
  auto r = dial::connect(s.get(), a.sa(), a.len);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), connect_error::connection_refused);
}

TEST_F(ConnectTest, FileNotFoundForAMissingUnixPath) {
  auto s = t::make_socket(AF_UNIX, SOCK_STREAM);
  auto a = t::unix_path(path("missing.sock"));
  auto r = dial::connect(s.get(), a.sa(), a.len);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), connect_error::file_not_found);
  EXPECT_EQ(dial::last_native_error(), ENOENT);
}

TEST_F(ConnectTest, SucceedsToAUnixListener) {
  auto l = t::unix_listener(path("live"));
  auto s = t::make_socket(AF_UNIX, SOCK_STREAM);
  EXPECT_TRUE(dial::connect(s.get(), l.where.sa(), l.where.len));
}

TEST_F(ConnectTest, WouldBlockForANonBlockingTcpConnect) {
  // A full accept queue keeps the attempt in progress, so EINPROGRESS is certain, not racy.
  auto full = t::full_tcp_listener(AF_INET);
  auto s = t::make_socket(AF_INET, SOCK_STREAM, SOCK_NONBLOCK);
  auto r = dial::connect(s.get(), full.l.where.sa(), full.l.where.len);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), connect_error::would_block);
  EXPECT_EQ(dial::last_native_error(), EINPROGRESS);
}

TEST_F(ConnectTest, NonBlockingConnectCompletesThroughGetsockoptError) {
  auto l = t::tcp_listener(AF_INET6);
  auto s = t::make_socket(AF_INET6, SOCK_STREAM, SOCK_NONBLOCK);
  auto r = dial::connect(s.get(), l.where.sa(), l.where.len);
  if (!r) {
    EXPECT_EQ(r.error(), connect_error::would_block);
  }
  ASSERT_TRUE(wait_writable(s.get()));
  EXPECT_TRUE(dial::getsockopt_error(s.get()));
}

TEST_F(ConnectTest, GetsockoptErrorReportsARefusedNonBlockingConnect) {
  // The attempt is held pending by a full queue; closing the listener makes the retransmitted
  // SYN (about 1 s later) meet a closed port, and the refusal arrives through SO_ERROR.
  auto full = t::full_tcp_listener(AF_INET);
  auto s = t::make_socket(AF_INET, SOCK_STREAM, SOCK_NONBLOCK);
  auto r = dial::connect(s.get(), full.l.where.sa(), full.l.where.len);
  ASSERT_FALSE(r);
  ASSERT_EQ(r.error(), connect_error::would_block);
  full = {};
  ASSERT_TRUE(wait_writable(s.get(), 10000));
  auto done = dial::getsockopt_error(s.get());
  ASSERT_FALSE(done);
  EXPECT_EQ(done.error(), connect_error::connection_refused);
  EXPECT_EQ(dial::last_native_error(), ECONNREFUSED);
}

TEST_F(ConnectTest, WouldBlockForAFullUnixBacklog) {
  auto full = t::full_unix_listener(path("full"));
  // The backlog admits one more queued connection on some kernels; fill until EAGAIN (bounded).
  std::vector<t::fd> extra;
  std::expected<void, connect_error> r;
  for (int i = 0; i < 8; ++i) {
    extra.push_back(t::make_socket(AF_UNIX, SOCK_STREAM, SOCK_NONBLOCK));
    r = dial::connect(extra.back().get(), full.l.where.sa(), full.l.where.len);
    if (!r) break;
  }
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), connect_error::would_block);
  EXPECT_EQ(dial::last_native_error(), EAGAIN);
}

TEST_F(ConnectTest, ConnectionPendingForASecondNonBlockingConnect) {
  auto full = t::full_tcp_listener(AF_INET);
  auto s = t::make_socket(AF_INET, SOCK_STREAM, SOCK_NONBLOCK);
  auto first = dial::connect(s.get(), full.l.where.sa(), full.l.where.len);
  ASSERT_FALSE(first);
  ASSERT_EQ(first.error(), connect_error::would_block);
  auto second = dial::connect(s.get(), full.l.where.sa(), full.l.where.len);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error(), connect_error::connection_pending);
  EXPECT_EQ(dial::last_native_error(), EALREADY);
}

TEST_F(ConnectTest, ConnectionResetByPeerWhenThePeerResetsBeforeConnectReturns) {
  // The attempt is established, then reset by the peer, before the caller's next connect call
  // collects the outcome: the kernel reports the reset to that connect. A full accept queue makes
  // the first call certainly pending (on bare loopback it may complete at once).
  auto full = t::full_tcp_listener(AF_INET);
  auto s = t::make_socket(AF_INET, SOCK_STREAM, SOCK_NONBLOCK);
  auto first = dial::connect(s.get(), full.l.where.sa(), full.l.where.len);
  ASSERT_FALSE(first);
  ASSERT_EQ(first.error(), connect_error::would_block);
  // Free the queue: the filler is accepted, and our SYN's retransmission (about 1 s) gets in.
  t::fd filler(::accept4(full.l.sock.get(), nullptr, nullptr, SOCK_CLOEXEC));
  ASSERT_GE(filler.get(), 0);
  pollfd lp{full.l.sock.get(), POLLIN, 0};
  ASSERT_EQ(::poll(&lp, 1, 10000), 1) << "our SYN was never retransmitted";
  t::fd server(::accept4(full.l.sock.get(), nullptr, nullptr, SOCK_CLOEXEC));
  ASSERT_GE(server.get(), 0);
  linger hard{1, 0};  // close with RST
  ASSERT_EQ(::setsockopt(server.get(), SOL_SOCKET, SO_LINGER, &hard, sizeof hard), 0);
  server = t::fd();
  pollfd p{s.get(), POLLIN, 0};
  ASSERT_EQ(::poll(&p, 1, 5000), 1);
  ASSERT_TRUE(p.revents & (POLLHUP | POLLERR));
  auto again = dial::connect(s.get(), full.l.where.sa(), full.l.where.len);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error(), connect_error::connection_reset_by_peer);
  EXPECT_EQ(dial::last_native_error(), ECONNRESET);
}

TEST_F(ConnectTest, AddressFamilyNotSupportedForAMismatchedFamily) {
  auto s = t::make_socket(AF_INET, SOCK_STREAM);
  sockaddr_storage ss{};
  ss.ss_family = AF_UNIX;  // an AF_INET socket given a Unix address of IPv4 size
  auto r = dial::connect(s.get(), reinterpret_cast<sockaddr*>(&ss), sizeof(sockaddr_in));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), connect_error::address_family_not_supported);
  EXPECT_EQ(dial::last_native_error(), EAFNOSUPPORT);
}

TEST_F(ConnectTest, AddressNotAvailableWhenTheFourTupleIsTaken) {
  // Two sockets bound to one local address and port (SO_REUSEADDR) cannot both connect to the
  // same destination: the second 4-tuple would be identical.
  auto l = t::tcp_listener(AF_INET);
  auto local = t::ip("127.0.0.1", 0);
  auto a = t::make_socket(AF_INET, SOCK_STREAM);
  auto b = t::make_socket(AF_INET, SOCK_STREAM);
  const int one = 1;
  for (int s : {a.get(), b.get()})
    ASSERT_EQ(::setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one), 0);
  ASSERT_EQ(::bind(a.get(), local.sa(), local.len), 0);
  t::addr bound;
  bound.len = sizeof bound.ss;
  ASSERT_EQ(::getsockname(a.get(), bound.sa(), &bound.len), 0);
  ASSERT_EQ(::bind(b.get(), bound.sa(), bound.len), 0);
  ASSERT_TRUE(dial::connect(a.get(), l.where.sa(), l.where.len));
  auto r = dial::connect(b.get(), l.where.sa(), l.where.len);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), connect_error::address_not_available);
  EXPECT_EQ(dial::last_native_error(), EADDRNOTAVAIL);
}

TEST_F(ConnectTest, UnexpectedKeepsTheRawCodeForAShortAddressLength) {
  auto l = t::tcp_listener(AF_INET);
  auto s = t::make_socket(AF_INET, SOCK_STREAM);
  auto r = dial::connect(s.get(), l.where.sa(), 4);  // shorter than sockaddr_in
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), connect_error::unexpected);
  EXPECT_EQ(dial::last_native_error(), EINVAL);
}

TEST_F(ConnectTest, UnexpectedKeepsTheRawCodeForAFileInTheUnixPath) {
  {
    std::FILE* f = std::fopen(path("file").c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fclose(f);
  }
  auto s = t::make_socket(AF_UNIX, SOCK_STREAM);
  auto a = t::unix_path(path("file") + "/sock");
  auto r = dial::connect(s.get(), a.sa(), a.len);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), connect_error::unexpected);
  EXPECT_EQ(dial::last_native_error(), ENOTDIR);
}

TEST_F(ConnectTest, UnexpectedKeepsTheRawCodeForASymlinkLoop) {
  ASSERT_EQ(::symlink(path("loop").c_str(), path("loop").c_str()), 0);
  auto s = t::make_socket(AF_UNIX, SOCK_STREAM);
  auto a = t::unix_path(path("loop"));
  auto r = dial::connect(s.get(), a.sa(), a.len);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), connect_error::unexpected);
  EXPECT_EQ(dial::last_native_error(), ELOOP);
}

TEST_F(ConnectTest, AccessDeniedForAUnixSocketWithoutWritePermission) {
  auto l = t::unix_listener(path("locked"));
  ASSERT_EQ(::chmod(path("locked").c_str(), 0555), 0);
  const auto where = l.where;
  // Root bypasses file permissions: drop to nobody in a child when root.
  int rc = t::run_in_child([&] {
    if (t::is_root() && (::setgid(65534) != 0 || ::setuid(65534) != 0)) return 100;
    auto s = dial::socket(AF_UNIX, SOCK_STREAM, 0);
    if (!s) return 101;
    auto r = dial::connect(*s, where.sa(), where.len);
    if (!r && dial::last_native_error() != EACCES) return 102;
    return t::exit_code(r);
  });
  EXPECT_EQ(rc, static_cast<int>(connect_error::access_denied));
}

TEST_F(ConnectTest, FailedConnectsLeakNoDescriptor) {
  auto closed = t::closed_tcp_port(AF_INET);
  auto missing = t::unix_path(path("nothing"));
  const int before = t::count_open_fds();
  for (int i = 0; i < 50; ++i) {
    auto s = dial::socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_TRUE(s);
    EXPECT_FALSE(dial::connect(*s, closed.where.sa(), closed.where.len));
    dial::close(*s);
    auto u = dial::socket(AF_UNIX, SOCK_STREAM, 0);
    ASSERT_TRUE(u);
    EXPECT_FALSE(dial::connect(*u, missing.sa(), missing.len));
    dial::close(*u);
  }
  EXPECT_EQ(t::count_open_fds(), before);
}

TEST(Connect, LastNativeErrorIsPerThread) {
  auto closed = t::closed_tcp_port(AF_INET);
  auto s = t::make_socket(AF_INET, SOCK_STREAM);
  ASSERT_FALSE(dial::connect(s.get(), closed.where.sa(), closed.where.len));
  int other = -1;
  std::thread([&] { other = dial::last_native_error(); }).join();
  EXPECT_EQ(dial::last_native_error(), ECONNREFUSED);
  EXPECT_EQ(other, 0);
}

}  // namespace
