// tests/portable/proxy_test.cpp: connect_to_host through fake SOCKS5 and HTTP CONNECT proxies
// (threads of the test, written with dial's own calls), one source for Linux and Windows (under
// wine): the handshake's non-blocking waits, MSG_PEEK and the deadline on both systems.
#include <gtest/gtest.h>

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <thread>

#include "dial/dial.hpp"
#include "portable_support.hpp"

namespace {

namespace p = dial::portable;
using dial::connect_to_host_error;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

// Reads exactly n bytes (appended to `into`); false on end-of-stream or an error.
bool read_exact(dial::socket_t s, std::size_t n, std::string& into) {
  char buf[256];
  while (n > 0) {
    auto r = dial::recv(s, std::as_writable_bytes(std::span(buf, std::min(n, sizeof buf))));
    if (!r || *r == 0) return false;
    into.append(buf, *r);
    n -= *r;
  }
  return true;
}

bool send_text(dial::socket_t s, const std::string& text) {
  auto r = dial::send(s, std::as_bytes(std::span(text.data(), text.size())));
  return r && *r == text.size();
}

// One connection served by `script` on a thread; joined (and its socket closed) on destruction.
class fake_proxy {
 public:
  explicit fake_proxy(std::function<void(dial::socket_t)> script)
      : l_(p::tcp_listener(p::af_inet)), thread_([this, script = std::move(script)] {
          auto c = dial::accept(l_.sock.get());
          if (!c) return;
          const dial::owned_socket conn(*c);
          script(conn.get());
        }) {}
  ~fake_proxy() { join(); }
  void join() {
    if (thread_.joinable()) thread_.join();
  }
  fake_proxy(const fake_proxy&) = delete;
  fake_proxy& operator=(const fake_proxy&) = delete;
  [[nodiscard]] std::uint16_t port() const { return p::port_of(l_.where); }

 private:
  p::listener l_;
  std::thread thread_;
};

void until_closed(dial::socket_t s) {
  std::string ignored;
  while (read_exact(s, 1, ignored)) {
  }
}

std::expected<dial::connection, dial::connect_to_host_failure> via(
    dial::proxy_kind k, std::uint16_t port, std::chrono::milliseconds limit) {
  dial::connect_to_host_options o;
  o.proxy = dial::proxy{k, "127.0.0.1", port, std::nullopt};
  o.deadline = steady::now() + limit;
  return dial::connect_to_host("192.0.2.1", 80, o);
}

TEST(PortableProxy, Socks5TunnelKeepsTheBytesAfterTheReply) {
  std::string got;
  fake_proxy fake([&got](dial::socket_t s) {
    if (read_exact(s, 3, got) && send_text(s, std::string("\x05\x00", 2)) && read_exact(s, 10, got))
      send_text(s, std::string("\x05\x00\x00\x01\x00\x00\x00\x00\x00\x00", 10) + "hi");
    until_closed(s);
  });
  auto r = via(dial::proxy_kind::socks5, fake.port(), 5s);
  ASSERT_TRUE(r) << dial::name(r.error().error);
  std::string tunnel;
  ASSERT_TRUE(read_exact(r->socket.get(), 2, tunnel));
  EXPECT_EQ(tunnel, "hi");
  r->socket.reset();
  fake.join();
  EXPECT_EQ(got, std::string("\x05\x01\x00\x05\x01\x00\x01\xc0\x00\x02\x01\x00\x50", 13));
}

TEST(PortableProxy, HttpTunnelKeepsTheBytesAfterTheHead) {
  fake_proxy fake([](dial::socket_t s) {
    std::string req;
    while (req.find("\r\n\r\n") == std::string::npos && read_exact(s, 1, req)) {
    }
    send_text(s, "HTTP/1.1 200 Connection established\r\n\r\nhello");
    until_closed(s);
  });
  auto r = via(dial::proxy_kind::http, fake.port(), 5s);
  ASSERT_TRUE(r) << dial::name(r.error().error);
  std::string tunnel;
  ASSERT_TRUE(read_exact(r->socket.get(), 5, tunnel));
  EXPECT_EQ(tunnel, "hello");
  EXPECT_EQ(r->report.proxy->reply, 200);
}

TEST(PortableProxy, SilentProxyIsTimeoutAtTheDeadline) {
  fake_proxy fake([](dial::socket_t s) { until_closed(s); });
  const auto start = steady::now();
  auto r = via(dial::proxy_kind::socks5, fake.port(), 300ms);
  const auto took = steady::now() - start;
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().error, connect_to_host_error::timeout);
  EXPECT_GE(took, 300ms);
  EXPECT_LT(took, 300ms + 5s) << "hang detection only";
}

TEST(PortableProxy, RefusalIsItsName) {
  fake_proxy fake([](dial::socket_t s) {
    std::string got;
    if (read_exact(s, 3, got) && send_text(s, std::string("\x05\x00", 2)) && read_exact(s, 10, got))
      send_text(s, std::string("\x05\x05\x00\x01\x00\x00\x00\x00\x00\x00", 10));
  });
  auto r = via(dial::proxy_kind::socks5, fake.port(), 5s);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().error, connect_to_host_error::connection_refused);
  EXPECT_EQ(r.error().report.proxy->reply, 5);
}

}  // namespace
