// tests/windows/sibling_injection_test.cpp: every line of the sibling calls' WSA tables end to end:
// a test build (DIAL_TEST_HOOKS) fails the Winsock call with the chosen code before it reaches
// Winsock, and the dial call must return the line's name with the code kept (or trap). The table
// alone (`*_error_from_native`) is checked against the same line.
#include <gtest/gtest.h>
#include <winsock2.h>

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dial/error.hpp"
#include "dial/sys.hpp"
#include "portable_support.hpp"
#include "windows/test_hooks.hpp"

namespace {

namespace hooks = dial::detail::test_hooks;
namespace p = dial::portable;
using dial::error_id;

std::string_view injected_call;
int injected_code = 0;

int fail_chosen(std::string_view call) { return call == injected_call ? injected_code : 0; }

// The Winsock call `call` fails with `code` for the guard's lifetime.
struct inject {
  inject(std::string_view call, int code) {
    injected_call = call;
    injected_code = code;
    hooks::fail = fail_chosen;
  }
  inject(const inject&) = delete;
  inject& operator=(const inject&) = delete;
  ~inject() { hooks::fail = nullptr; }
};

enum class set {
  bind,
  listen,
  accept,
  getsockname,
  getpeername,
  shutdown,
  setsockopt,
  getsockopt,
  send,
  recv,
  poll
};

const char* set_name(set s) {
  constexpr std::array names{"bind",        "listen",   "accept",     "getsockname",
                             "getpeername", "shutdown", "setsockopt", "getsockopt",
                             "send",        "recv",     "poll"};
  return names[static_cast<std::size_t>(s)];
}

template <class T, class E>
std::optional<error_id> outcome(const std::expected<T, E>& r) {
  if (r) return std::nullopt;
  return dial::id(r.error());
}

// Runs the dial call(s) of `s` with Winsock's call failing with `code`: one outcome per call
// (send and sendto share send's table, recv and recvfrom recv's).
std::vector<std::optional<error_id>> run(set s, int code, dial::socket_t sock) {
  const auto to = p::loopback(p::af_inet, 9);
  auto name = p::buffer();
  std::array<std::byte, 8> buf{};
  int value = 1;
  dial::socklen_t len = sizeof value;
  std::array<dial::poll_fd, 1> fds{{{sock, dial::poll_in, 0}}};
  switch (s) {
    case set::bind: {
      const inject g("bind", code);
      return {outcome(dial::bind(sock, to.sa(), to.len))};
    }
    case set::listen: {
      const inject g("listen", code);
      return {outcome(dial::listen(sock, 1))};
    }
    case set::accept: {
      const inject g("accept", code);
      return {outcome(dial::accept(sock))};
    }
    case set::getsockname: {
      const inject g("getsockname", code);
      return {outcome(dial::getsockname(sock, name.sa(), &name.len))};
    }
    case set::getpeername: {
      const inject g("getpeername", code);
      return {outcome(dial::getpeername(sock, name.sa(), &name.len))};
    }
    case set::shutdown: {
      const inject g("shutdown", code);
      return {outcome(dial::shutdown(sock, dial::shutdown_how::both))};
    }
    case set::setsockopt: {
      const inject g("setsockopt", code);
      return {outcome(dial::setsockopt(sock, p::sol_socket, p::so_reuseaddr, &value, len))};
    }
    case set::getsockopt: {
      const inject g("getsockopt", code);
      return {outcome(dial::getsockopt(sock, p::sol_socket, p::so_reuseaddr, &value, &len))};
    }
    case set::send: {
      std::vector<std::optional<error_id>> r;
      {
        const inject g("send", code);
        r.push_back(outcome(dial::send(sock, buf)));
      }
      const inject g("sendto", code);
      r.push_back(outcome(dial::sendto(sock, buf, to.sa(), to.len)));
      return r;
    }
    case set::recv: {
      std::vector<std::optional<error_id>> r;
      {
        const inject g("recv", code);
        r.push_back(outcome(dial::recv(sock, buf)));
      }
      const inject g("recvfrom", code);
      r.push_back(outcome(dial::recvfrom(sock, buf, name.sa(), &name.len)));
      return r;
    }
    case set::poll: {
      const inject g("poll", code);
      return {outcome(dial::poll(fds, 0))};
    }
  }
  return {};
}

// The table alone.
error_id table(set s, int code) {
  switch (s) {
    case set::bind: return dial::id(dial::bind_error_from_native(code));
    case set::listen: return dial::id(dial::listen_error_from_native(code));
    case set::accept: return dial::id(dial::accept_error_from_native(code));
    case set::getsockname: return dial::id(dial::getsockname_error_from_native(code));
    case set::getpeername: return dial::id(dial::getpeername_error_from_native(code));
    case set::shutdown: return dial::id(dial::shutdown_error_from_native(code));
    case set::setsockopt: return dial::id(dial::setsockopt_error_from_native(code));
    case set::getsockopt: return dial::id(dial::getsockopt_call_error_from_native(code));
    case set::send: return dial::id(dial::send_error_from_native(code));
    case set::recv: return dial::id(dial::recv_error_from_native(code));
    case set::poll: return dial::id(dial::poll_error_from_native(code));
  }
  return error_id::unexpected;
}

struct line {
  set call;
  int code;
  const char* code_name;
  error_id want;  // ignored for trap lines
};

void PrintTo(const line& l, std::ostream* os) { *os << set_name(l.call) << " " << l.code_name; }

std::string line_name(const ::testing::TestParamInfo<line>& i) {
  return std::string(set_name(i.param.call)) + "_" + i.param.code_name;
}

class WsaSiblingInjection : public ::testing::TestWithParam<line> {};

TEST_P(WsaSiblingInjection, TheCallReturnsTheNameAndKeepsTheCode) {
  const auto& l = GetParam();
  auto s = p::tcp_socket(p::af_inet);
  for (const auto& got : run(l.call, l.code, s.get())) {
    ASSERT_TRUE(got.has_value()) << l.code_name << ": the call succeeded";
    EXPECT_EQ(dial::name(*got), dial::name(l.want)) << l.code_name;
    EXPECT_EQ(dial::last_native_error(), l.code);
  }
  EXPECT_EQ(dial::name(table(l.call, l.code)), dial::name(l.want)) << l.code_name;
}

#define DIAL_LINE(call, code, want) \
  line { set::call, code, #code, error_id::want }
INSTANTIATE_TEST_SUITE_P(
    Table, WsaSiblingInjection,
    ::testing::Values(
        DIAL_LINE(bind, WSAEACCES, access_denied), DIAL_LINE(bind, WSAEADDRINUSE, address_in_use),
        DIAL_LINE(bind, WSAEADDRNOTAVAIL, address_not_available),
        DIAL_LINE(bind, WSAEAFNOSUPPORT, address_family_not_supported),
        DIAL_LINE(bind, WSAEINVAL, invalid_address),  // on an unbound socket
        DIAL_LINE(bind, WSAENOBUFS, system_resources), DIAL_LINE(bind, WSAENETDOWN, unexpected),
        DIAL_LINE(bind, WSAEINPROGRESS, unexpected),
        DIAL_LINE(listen, WSAEADDRINUSE, address_in_use),
        DIAL_LINE(listen, WSAEOPNOTSUPP, operation_not_supported),
        DIAL_LINE(listen, WSAENOBUFS, system_resources),
        DIAL_LINE(listen, WSAEMFILE, system_resources), DIAL_LINE(listen, WSAENETDOWN, unexpected),
        DIAL_LINE(listen, WSAEINPROGRESS, unexpected),
        DIAL_LINE(accept, WSAEWOULDBLOCK, would_block),
        DIAL_LINE(accept, WSAEINPROGRESS, would_block),
        DIAL_LINE(accept, WSAECONNRESET, connection_aborted),
        DIAL_LINE(accept, WSAECONNABORTED, connection_aborted),
        DIAL_LINE(accept, WSAEINVAL, socket_not_listening),
        DIAL_LINE(accept, WSAEMFILE, process_fd_quota_exceeded),
        DIAL_LINE(accept, WSAENOBUFS, system_resources), DIAL_LINE(accept, WSAEINTR, unexpected),
        DIAL_LINE(accept, WSAENETDOWN, unexpected),
        DIAL_LINE(getsockname, WSAENOBUFS, system_resources),
        DIAL_LINE(getsockname, WSAENETDOWN, unexpected),
        DIAL_LINE(getsockname, WSAEINPROGRESS, unexpected),
        DIAL_LINE(getpeername, WSAENOTCONN, socket_not_connected),
        DIAL_LINE(getpeername, WSAENOBUFS, system_resources),
        DIAL_LINE(getpeername, WSAENETDOWN, unexpected),
        DIAL_LINE(shutdown, WSAENOTCONN, socket_not_connected),
        DIAL_LINE(shutdown, WSAECONNABORTED, socket_not_connected),
        DIAL_LINE(shutdown, WSAECONNRESET, socket_not_connected),
        DIAL_LINE(shutdown, WSAENOBUFS, system_resources),
        DIAL_LINE(shutdown, WSAENETDOWN, unexpected),
        DIAL_LINE(setsockopt, WSAENOPROTOOPT, invalid_protocol_option),
        DIAL_LINE(setsockopt, WSAEINVAL, invalid_option),
        DIAL_LINE(setsockopt, WSAENOBUFS, system_resources),
        DIAL_LINE(setsockopt, WSAEOPNOTSUPP, operation_not_supported),
        DIAL_LINE(setsockopt, WSAEADDRINUSE, address_in_use),
        DIAL_LINE(setsockopt, WSAEADDRNOTAVAIL, address_not_available),
        DIAL_LINE(setsockopt, WSAENETRESET, unexpected),
        DIAL_LINE(setsockopt, WSAENOTCONN, unexpected),
        DIAL_LINE(setsockopt, WSAENETDOWN, unexpected),
        DIAL_LINE(getsockopt, WSAENOPROTOOPT, invalid_protocol_option),
        DIAL_LINE(getsockopt, WSAEINVAL, invalid_protocol_option),
        DIAL_LINE(getsockopt, WSAENOBUFS, system_resources),
        DIAL_LINE(getsockopt, WSAEOPNOTSUPP, operation_not_supported),
        DIAL_LINE(getsockopt, WSAENETDOWN, unexpected), DIAL_LINE(send, WSAEACCES, access_denied),
        DIAL_LINE(send, WSAEWOULDBLOCK, would_block), DIAL_LINE(send, WSAEINPROGRESS, would_block),
        DIAL_LINE(send, WSAECONNRESET, connection_reset_by_peer),  // a stream socket
        DIAL_LINE(send, WSAECONNABORTED, connection_reset_by_peer),
        DIAL_LINE(send, WSAECONNREFUSED, connection_refused),
        DIAL_LINE(send, WSAETIMEDOUT, connection_timed_out),
        DIAL_LINE(send, WSAENETRESET, connection_timed_out),  // a stream socket
        DIAL_LINE(send, WSAEMSGSIZE, message_too_big),
        DIAL_LINE(send, WSAENOBUFS, system_resources), DIAL_LINE(send, WSAESHUTDOWN, broken_pipe),
        DIAL_LINE(send, WSAENETUNREACH, network_unreachable),
        DIAL_LINE(send, WSAEHOSTUNREACH, network_unreachable),
        DIAL_LINE(send, WSAENETDOWN, network_subsystem_failed),
        DIAL_LINE(send, WSAEAFNOSUPPORT, address_family_not_supported),
        DIAL_LINE(send, WSAENOTCONN, socket_not_connected),
        DIAL_LINE(send, WSAEADDRNOTAVAIL, address_not_available),
        DIAL_LINE(send, WSAEINTR, unexpected), DIAL_LINE(recv, WSAEWOULDBLOCK, would_block),
        DIAL_LINE(recv, WSAEINPROGRESS, would_block),
        DIAL_LINE(recv, WSAECONNRESET, connection_reset_by_peer),  // a stream socket
        DIAL_LINE(recv, WSAECONNABORTED, connection_reset_by_peer),
        DIAL_LINE(recv, WSAECONNREFUSED, connection_refused),
        DIAL_LINE(recv, WSAETIMEDOUT, connection_timed_out),
        DIAL_LINE(recv, WSAENETRESET, connection_timed_out),  // a stream socket
        DIAL_LINE(recv, WSAENETUNREACH, network_unreachable),
        DIAL_LINE(recv, WSAEHOSTUNREACH, network_unreachable),
        DIAL_LINE(recv, WSAENOTCONN, socket_not_connected),
        DIAL_LINE(recv, WSAESHUTDOWN, socket_not_connected),
        DIAL_LINE(recv, WSAENOBUFS, system_resources), DIAL_LINE(recv, WSAEINTR, unexpected),
        DIAL_LINE(recv, WSAENETDOWN, unexpected), DIAL_LINE(poll, WSAENOBUFS, system_resources),
        DIAL_LINE(poll, WSAENETDOWN, unexpected), DIAL_LINE(poll, 12345, unexpected)),
    line_name);
#undef DIAL_LINE

TEST(WsaSiblingInjectionDatagram, IcmpErrorsOnADatagramSocketGetPosixsNames) {
  // Winsock reports ICMP port unreachable as WSAECONNRESET and an expired TTL as WSAENETRESET on
  // a datagram socket; POSIX names them ConnectionRefused and NetworkUnreachable.
  auto u = p::udp_socket(p::af_inet);
  const auto refused = run(set::recv, WSAECONNRESET, u.get());
  for (const auto& got : refused) EXPECT_EQ(got, error_id::connection_refused);
  EXPECT_EQ(dial::last_native_error(), WSAECONNRESET);
  for (const auto& got : run(set::send, WSAECONNRESET, u.get()))
    EXPECT_EQ(got, error_id::connection_refused);
  for (const auto& got : run(set::recv, WSAENETRESET, u.get()))
    EXPECT_EQ(got, error_id::network_unreachable);
  for (const auto& got : run(set::send, WSAENETRESET, u.get()))
    EXPECT_EQ(got, error_id::network_unreachable);
  EXPECT_EQ(dial::last_native_error(), WSAENETRESET);
}

TEST(WsaSiblingInjectionDatagram, TruncationIsAFullBufferNotAnError) {
  auto u = p::udp_socket(p::af_inet);
  for (const auto& got : run(set::recv, WSAEMSGSIZE, u.get())) EXPECT_EQ(got, std::nullopt);
}

class WsaSiblingInjectionDeathTest : public ::testing::TestWithParam<line> {
 protected:
  void SetUp() override { GTEST_FLAG_SET(death_test_style, "threadsafe"); }
};

TEST_P(WsaSiblingInjectionDeathTest, TheCallTrapsWithTheCodesName) {
  const auto& l = GetParam();
  auto s = p::tcp_socket(p::af_inet);
  const std::string report =
      std::string("programmer error trapped in ") + set_name(l.call) + ": " + l.code_name + " ";
  EXPECT_EXIT((void)run(l.call, l.code, s.get()), p::aborted, report);
  EXPECT_EXIT((void)table(l.call, l.code), p::aborted, report);
}

#define DIAL_TRAP(call, code) \
  line { set::call, code, #code, error_id::unexpected }
INSTANTIATE_TEST_SUITE_P(
    Traps, WsaSiblingInjectionDeathTest,
    ::testing::Values(DIAL_TRAP(bind, WSAEFAULT), DIAL_TRAP(bind, WSAENOTSOCK),
                      DIAL_TRAP(bind, WSANOTINITIALISED), DIAL_TRAP(listen, WSAEINVAL),
                      DIAL_TRAP(listen, WSAEISCONN), DIAL_TRAP(listen, WSAENOTSOCK),
                      DIAL_TRAP(listen, WSANOTINITIALISED), DIAL_TRAP(accept, WSAEFAULT),
                      DIAL_TRAP(accept, WSAENOTSOCK), DIAL_TRAP(accept, WSANOTINITIALISED),
                      DIAL_TRAP(accept, WSAEOPNOTSUPP), DIAL_TRAP(getsockname, WSAEFAULT),
                      DIAL_TRAP(getsockname, WSAEINVAL), DIAL_TRAP(getsockname, WSAENOTSOCK),
                      DIAL_TRAP(getsockname, WSANOTINITIALISED), DIAL_TRAP(getpeername, WSAEFAULT),
                      DIAL_TRAP(getpeername, WSAENOTSOCK),
                      DIAL_TRAP(getpeername, WSANOTINITIALISED), DIAL_TRAP(shutdown, WSAEINVAL),
                      DIAL_TRAP(shutdown, WSAENOTSOCK), DIAL_TRAP(shutdown, WSANOTINITIALISED),
                      DIAL_TRAP(setsockopt, WSAEFAULT), DIAL_TRAP(setsockopt, WSAENOTSOCK),
                      DIAL_TRAP(setsockopt, WSANOTINITIALISED), DIAL_TRAP(getsockopt, WSAEFAULT),
                      DIAL_TRAP(getsockopt, WSAENOTSOCK), DIAL_TRAP(getsockopt, WSANOTINITIALISED),
                      DIAL_TRAP(send, WSAEFAULT), DIAL_TRAP(send, WSAENOTSOCK),
                      DIAL_TRAP(send, WSANOTINITIALISED), DIAL_TRAP(send, WSAEDESTADDRREQ),
                      DIAL_TRAP(send, WSAEISCONN), DIAL_TRAP(send, WSAEOPNOTSUPP),
                      DIAL_TRAP(send, WSAEINVAL), DIAL_TRAP(recv, WSAEFAULT),
                      DIAL_TRAP(recv, WSAENOTSOCK), DIAL_TRAP(recv, WSANOTINITIALISED),
                      DIAL_TRAP(recv, WSAEINVAL), DIAL_TRAP(recv, WSAEOPNOTSUPP),
                      DIAL_TRAP(poll, WSAEFAULT),
                      DIAL_TRAP(poll, WSAEINVAL),  // with an open socket in the array: the flags
                      DIAL_TRAP(poll, WSAENOTSOCK)),
    line_name);
#undef DIAL_TRAP

class WsaBindDeathTest : public ::testing::Test {
 protected:
  void SetUp() override { GTEST_FLAG_SET(death_test_style, "threadsafe"); }
};

TEST_F(WsaBindDeathTest, InjectedEinvalOnABoundSocketTrapsAsAlreadyBound) {
  auto s = p::tcp_socket(p::af_inet);
  const auto at = p::loopback(p::af_inet, 0);
  ASSERT_TRUE(dial::bind(s.get(), at.sa(), at.len));
  EXPECT_EXIT((void)run(set::bind, WSAEINVAL, s.get()), p::aborted,
              "trapped in bind: WSAEINVAL .*already bound");
}

}  // namespace
