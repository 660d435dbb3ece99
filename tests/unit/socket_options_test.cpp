// tests/unit/socket_options_test.cpp: dial::socket_options on the real kernel: each option set
// is read back from the connected socket, and each refusal is its name with the kernel's code.
#include <gtest/gtest.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cerrno>
#include <string>

#include "dial/dial.hpp"
#include "support.hpp"

namespace {

namespace t = dial::test;
using dial::connect_to_address_error;
using dial::setsockopt_error;
using dial::socket_options;

using t::to_address;

std::expected<dial::owned_socket, connect_to_address_error> connect_with(const t::listener& l,
                                                                         const socket_options& o) {
  dial::connect_options c;
  c.socket = o;
  return dial::connect_to_address(to_address(l.where), c);
}

TEST(SocketOptions, NoneSetChangesNothing) {
  auto l = t::tcp_listener(AF_INET);
  auto s = connect_with(l, {});
  ASSERT_TRUE(s) << dial::name(s.error());
  EXPECT_EQ(t::int_option(s->get(), IPPROTO_TCP, TCP_NODELAY), 0);
  EXPECT_EQ(t::int_option(s->get(), SOL_SOCKET, SO_KEEPALIVE), 0);
}

TEST(SocketOptions, TcpOptionsAreReadBackFromTheConnectedSocket) {
  for (const int family : {AF_INET, AF_INET6}) {
    auto l = t::tcp_listener(family);
    socket_options o;
    o.no_delay = true;
    o.user_timeout = std::chrono::milliseconds(4321);
    o.keepalive = dial::keepalive_options{std::chrono::seconds(30), std::chrono::seconds(7), 4};
    o.send_buffer = 65536;
    o.receive_buffer = 131072;
    auto s = connect_with(l, o);
    ASSERT_TRUE(s) << dial::name(s.error());
    const int fd = s->get();
    EXPECT_EQ(t::int_option(fd, IPPROTO_TCP, TCP_NODELAY), 1);
    EXPECT_EQ(t::int_option(fd, IPPROTO_TCP, TCP_USER_TIMEOUT), 4321);
    EXPECT_EQ(t::int_option(fd, SOL_SOCKET, SO_KEEPALIVE), 1);
    EXPECT_EQ(t::int_option(fd, IPPROTO_TCP, TCP_KEEPIDLE), 30);
    EXPECT_EQ(t::int_option(fd, IPPROTO_TCP, TCP_KEEPINTVL), 7);
    EXPECT_EQ(t::int_option(fd, IPPROTO_TCP, TCP_KEEPCNT), 4);
    // Linux doubles the value for its bookkeeping (socket(7)), within net.core.*mem_max.
    EXPECT_GE(t::int_option(fd, SOL_SOCKET, SO_SNDBUF), 65536);
    EXPECT_GE(t::int_option(fd, SOL_SOCKET, SO_RCVBUF), 131072);
  }
}

struct refusal {
  const char* what;
  socket_options options;
  connect_to_address_error want;
  int native;
};

TEST(SocketOptions, EachRefusalIsANameWithTheKernelsCode) {
  auto l = t::tcp_listener(AF_INET);
  std::vector<refusal> cases;
  {
    socket_options o;
    o.interface_name = "nosuchif0";
    cases.push_back({"unknown interface", o, connect_to_address_error::unknown_interface, ENODEV});
  }
  {
    socket_options o;
    o.interface_name = std::string(IFNAMSIZ, 'x');  // no interface name is that long
    cases.push_back({"overlong interface", o, connect_to_address_error::unknown_interface, ENODEV});
  }
  {
    socket_options o;
    o.keepalive = dial::keepalive_options{std::chrono::seconds(0), std::chrono::seconds(1), 1};
    cases.push_back({"keepalive idle 0", o, connect_to_address_error::invalid_option, EINVAL});
  }
  {
    socket_options o;
    o.keepalive = dial::keepalive_options{std::chrono::seconds(1), std::chrono::seconds(1), 500};
    cases.push_back({"keepalive count 500", o, connect_to_address_error::invalid_option, EINVAL});
  }
  {
    socket_options o;
    o.user_timeout = std::chrono::milliseconds(-1);
    cases.push_back({"negative user timeout", o, connect_to_address_error::invalid_option, EINVAL});
  }
  {
    socket_options o;
    o.send_buffer = 0;
    cases.push_back({"send buffer 0", o, connect_to_address_error::invalid_option, EINVAL});
  }
  const int fds = t::count_open_fds();
  for (const auto& c : cases) {
    auto s = connect_with(l, c.options);
    ASSERT_FALSE(s) << c.what;
    EXPECT_EQ(s.error(), c.want) << c.what << ": " << dial::name(s.error());
    EXPECT_EQ(dial::last_native_error(), c.native) << c.what;
  }
  EXPECT_EQ(t::count_open_fds(), fds) << "a refused option leaked its socket";
}

TEST(SocketOptions, TcpOptionsOnAUnixSocketAreOperationNotSupported) {
  const std::string path = t::temp_dir() + "/opts.sock";
  auto l = t::unix_listener(path);
  socket_options o;
  o.no_delay = true;
  dial::connect_options c;
  c.socket = o;
  auto s = dial::connect_to_address(to_address(l.where), c);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error(), connect_to_address_error::operation_not_supported);
  EXPECT_EQ(dial::last_native_error(), EOPNOTSUPP);
}

TEST(SocketOptions, InterfaceAndMarkAsRootAndAsNobody) {
  if (!t::is_root()) GTEST_SKIP() << t::needs_root;
  auto l = t::tcp_listener(AF_INET);
  socket_options o;
  o.interface_name = "lo";
  o.mark = 0x2a;
  auto s = connect_with(l, o);
  ASSERT_TRUE(s) << dial::name(s.error());
  char dev[IFNAMSIZ] = {};
  socklen_t len = sizeof dev;
  ASSERT_EQ(::getsockopt(s->get(), SOL_SOCKET, SO_BINDTODEVICE, dev, &len), 0);
  EXPECT_STREQ(dev, "lo");
  EXPECT_EQ(t::int_option(s->get(), SOL_SOCKET, SO_MARK), 0x2a);
  // Without CAP_NET_ADMIN, SO_MARK is refused: PermissionDenied with EPERM.
  const t::addr where = l.where;
  EXPECT_EQ(t::run_in_child([where] {
              if (!t::become_nobody()) return 90;
              socket_options m;
              m.mark = 7;
              dial::connect_options c;
              c.socket = m;
              auto r =
                  dial::connect_to_address(*dial::address::from_native(where.sa(), where.len), c);
              if (r) return 91;
              if (r.error() != connect_to_address_error::permission_denied) return 92;
              return dial::last_native_error() == EPERM ? 0 : 93;
            }),
            0);
}

// connect_to_host applies the options to every attempt: a refusal fails that attempt with its
// name, and the report keeps the kernel's code.
TEST(SocketOptions, ConnectToHostAppliesThemToEveryAttempt) {
  auto l = t::tcp_listener(AF_INET);
  dial::connect_to_host_options o;
  o.socket.no_delay = true;
  auto c = dial::connect_to_host("127.0.0.1", l.where.port(), o);
  ASSERT_TRUE(c) << dial::name(c.error().error);
  EXPECT_EQ(t::int_option(c->socket.get(), IPPROTO_TCP, TCP_NODELAY), 1);
  o.socket.interface_name = "nosuchif0";
  auto bad = dial::connect_to_host("127.0.0.1", l.where.port(), o);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().error, dial::connect_to_host_error::unknown_interface);
  ASSERT_EQ(bad.error().report.attempts.size(), 1u);
  EXPECT_EQ(bad.error().report.attempts[0].native, ENODEV);
}

}  // namespace
