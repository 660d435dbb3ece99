// tests/windows/resolver_test.cpp: the Windows resolver back-end (GetAddrInfoExW) and the dialer's
// Winsock primitives: the WSA resolver table line by line, the spellings of its codes, the
// loopback wake-up socket, and the system resolver for real where no DNS query can leave.
#include <gtest/gtest.h>
#include <winsock2.h>
#include <ws2tcpip.h>

#include <chrono>
#include <cstdlib>
#include <stop_token>
#include <string>
#include <string_view>
#include <thread>

#include "common/dialer_os.hpp"
#include "dial/dialer.hpp"
#include "dial/resolve.hpp"
#include "portable_support.hpp"
#include "windows/resolver_wsa.hpp"
#include "windows/wake_socket.hpp"

namespace {

namespace p = dial::portable;
using dial::resolve_error;
using dial::resolver_backend;
using namespace std::chrono_literals;

struct line {
  int code;
  const char* code_name;
  resolve_error want;
};

void PrintTo(const line& l, std::ostream* os) { *os << l.code_name; }

class WsaResolverTable : public ::testing::TestWithParam<line> {};

TEST_P(WsaResolverTable, MapsTheCodeToItsNameAndSpellsIt) {
  const auto& l = GetParam();
  EXPECT_EQ(dial::detail::resolve_error_from_wsa(l.code), l.want)
      << l.code_name << " should be " << dial::name(l.want);
  // Both back-end choices end in the same resolver on Windows.
  EXPECT_EQ(dial::resolver_code_name(resolver_backend::system, l.code), l.code_name);
  EXPECT_EQ(dial::resolver_code_name(resolver_backend::c_ares, l.code), l.code_name);
}

INSTANTIATE_TEST_SUITE_P(
    Table, WsaResolverTable,
    ::testing::Values(
        line{WSAHOST_NOT_FOUND, "WSAHOST_NOT_FOUND", resolve_error::unknown_host_name},
        line{WSANO_DATA, "WSANO_DATA", resolve_error::host_lacks_network_addresses},
        line{WSATRY_AGAIN, "WSATRY_AGAIN", resolve_error::temporary_name_server_failure},
        line{WSANO_RECOVERY, "WSANO_RECOVERY", resolve_error::name_server_failure},
        line{WSA_NOT_ENOUGH_MEMORY, "WSA_NOT_ENOUGH_MEMORY", resolve_error::out_of_memory},
        line{WSAENOBUFS, "WSAENOBUFS", resolve_error::system_resources},
        line{WSAEMFILE, "WSAEMFILE", resolve_error::process_fd_quota_exceeded},
        line{WSA_E_CANCELLED, "WSA_E_CANCELLED", resolve_error::canceled},
        line{WSAEINVAL, "WSAEINVAL", resolve_error::unexpected},
        line{WSAEAFNOSUPPORT, "WSAEAFNOSUPPORT", resolve_error::unexpected},
        line{WSAESOCKTNOSUPPORT, "WSAESOCKTNOSUPPORT", resolve_error::unexpected},
        line{WSATYPE_NOT_FOUND, "WSATYPE_NOT_FOUND", resolve_error::unexpected}),
    [](const ::testing::TestParamInfo<line>& i) { return std::string(i.param.code_name); });

TEST(WsaResolverCodeName, ACodeTheResolverDoesNotDefineIsEmpty) {
  EXPECT_EQ(dial::resolver_code_name(resolver_backend::system, 12345), "");
  EXPECT_EQ(dial::resolver_code_name(resolver_backend::system, 0), "");
}

// ---- the wake-up socket and the stop waker ---------------------------------------------------

bool polls_readable(dial::socket_t s, int ms) {
  dial::poll_fd fd{s, dial::poll_in, 0};
  auto n = dial::poll(std::span(&fd, 1), ms);
  return n && *n == 1 && (fd.revents & dial::poll_in) != 0;
}

TEST(WindowsWakeSocket, ASendMakesItReadableAndADrainQuietAgain) {
  auto s = dial::detail::make_wake_socket();
  ASSERT_TRUE(s) << "WSA code " << s.error();
  p::owned_socket owner(*s);
  EXPECT_FALSE(polls_readable(*s, 0));
  dial::detail::wake_socket_send(*s);
  dial::detail::wake_socket_send(*s);
  EXPECT_TRUE(polls_readable(*s, 1000));
  dial::detail::wake_socket_drain(*s);
  EXPECT_FALSE(polls_readable(*s, 0));
  EXPECT_FALSE(p::is_inheritable(*s));
}

TEST(WindowsStopWaker, AStopFromAnotherThreadWakesItsPoll) {
  std::stop_source stop;
  const dial::detail::stop_waker waker(stop.get_token());
  ASSERT_TRUE(waker.has_fd()) << "WSA code " << waker.error();
  EXPECT_FALSE(polls_readable(waker.fd(), 0));
  std::thread stopper([&] {
    std::this_thread::sleep_for(50ms);
    stop.request_stop();
  });
  const auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(polls_readable(waker.fd(), 10000));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);  // woken, not timed out
  stopper.join();
}

TEST(WindowsStopWaker, NoStopPossibleMakesNoSocket) {
  const dial::detail::stop_waker waker(std::stop_token{});
  EXPECT_FALSE(waker.has_fd());
  EXPECT_EQ(waker.fd(), dial::detail::no_socket());
  EXPECT_EQ(waker.error(), 0);
}

// ---- the blocking mode: Windows cannot read it -------------------------------------------------

TEST(WindowsDialer, ANonBlockingSocketIsBlockingAfterConnectFor) {
  // POSIX keeps the mode a socket came in with; Windows cannot read FIONBIO, so every path leaves
  // the socket blocking, Winsock's default (docs/dialer.md, "On Windows").
  auto l = p::tcp_listener(p::af_inet);
  auto s = p::tcp_socket(p::af_inet, /*nonblocking=*/true);
  auto r = dial::connect_for(s.get(), l.where.sa(), l.where.len, 5s);
  ASSERT_TRUE(r) << dial::name(r.error());
  auto peer = dial::accept(l.sock.get());
  ASSERT_TRUE(peer);
  p::owned_socket accepted(*peer);
  EXPECT_TRUE(p::is_blocking(s.get()));
}

// ---- the system resolver for real --------------------------------------------------------------

// Wine asks the host's resolver, which answers from the host's hosts file and asks DNS for the
// rest: here /etc/hosts has no ::1 for localhost, so its AAAA would become a query off the machine.
// Under wine these tests run only inside a private network namespace, where nothing can leave
// (ctest's windows.system_resolver: tests/windows/private_network.sh sets the variable); Windows
// answers localhost itself.
#define DIAL_SKIP_UNLESS_NO_QUERY_CAN_LEAVE()                                                    \
  if (const char* v = std::getenv("DIAL_TEST_PRIVATE_NETWORK");                                  \
      p::under_wine() && (v == nullptr || std::string_view(v) != "1"))                           \
  GTEST_SKIP() << "under wine, localhost's AAAA may become a DNS query off the machine: run in " \
                  "a private network namespace (ctest -R windows.system_resolver, as root)"

dial::resolve_options system_resolver() {
  dial::resolve_options o;
  o.backend = resolver_backend::system;
  return o;
}

TEST(WindowsSystemResolver, ResolvesLocalhostToLoopbackAddresses) {
  DIAL_SKIP_UNLESS_NO_QUERY_CAN_LEAVE();
  auto r = dial::resolve("localhost", 9, system_resolver());
  ASSERT_TRUE(r) << dial::name(r.error());
  ASSERT_FALSE(r->empty());
  for (const auto& a : *r) {
    EXPECT_TRUE(a.is_loopback()) << a;
    EXPECT_EQ(a.port(), 9) << a;
  }
  EXPECT_NE(std::find(r->begin(), r->end(), *dial::address::parse("127.0.0.1:9")), r->end());
}

TEST(WindowsSystemResolver, ConnectToHostWaitsForTheAnswersInItsPollSet) {
  DIAL_SKIP_UNLESS_NO_QUERY_CAN_LEAVE();
  auto l = p::tcp_listener(p::af_inet);
  dial::connect_to_host_options o;
  o.resolve = system_resolver();
  o.deadline = std::chrono::steady_clock::now() + 30s;  // a poll, not a blocking connect
  auto c = dial::connect_to_host("localhost", p::port_of(l.where), o);
  ASSERT_TRUE(c) << dial::name(c.error().error);
  EXPECT_EQ(c->peer, *p::from_endpoint(l.where));
  ASSERT_EQ(c->report.lookups.size(), 2u);  // both answers came through the wake-up socket
  for (const auto& e : c->report.lookups) {
    if (!e.outcome) {  // a family without an answer keeps the resolver's own code, spelled
      EXPECT_NE(dial::resolver_code_name(resolver_backend::system, e.native), "")
          << dial::name(e.outcome.error()) << " " << e.native;
    }
  }
}

TEST(WindowsSystemResolver, ALookupGivenUpOnFinishesInTheBackground) {
  DIAL_SKIP_UNLESS_NO_QUERY_CAN_LEAVE();
  auto o = system_resolver();
  o.deadline = std::chrono::steady_clock::now();  // passed before any answer is taken
  auto r = dial::resolve("localhost", 9, o);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), resolve_error::timeout);
  // The dropped lookup cancelled its queries (GetAddrInfoExCancel; a stub under wine, so they
  // complete here): their completion routines touch only the state they share with it.
  std::this_thread::sleep_for(500ms);
  auto again = dial::resolve("localhost", 9, system_resolver());
  EXPECT_TRUE(again) << dial::name(again.error());
}

}  // namespace
