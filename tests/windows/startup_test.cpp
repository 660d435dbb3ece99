// tests/windows/startup_test.cpp: dial owns WSAStartup. Each test runs in a fresh process (a death
// test's child re-runs the binary through CreateProcess), where Winsock has not been started.
#include <gtest/gtest.h>
#include <winsock2.h>

#include <atomic>
#include <cstdlib>
#include <thread>
#include <vector>

#include "dial/error.hpp"
#include "dial/sys.hpp"
#include "portable_support.hpp"

namespace {

namespace p = dial::portable;
using ::testing::ExitedWithCode;

class WsaStartupDeathTest : public ::testing::Test {
 protected:
  void SetUp() override { GTEST_FLAG_SET(death_test_style, "threadsafe"); }
};

// 10 when the child had Winsock started already (the test would prove nothing), else 0 when
// dial::socket worked without any WSAStartup of the caller's.
int first_socket_in_a_fresh_process() {
  const SOCKET raw = ::WSASocketW(AF_INET, SOCK_STREAM, 0, nullptr, 0, 0);
  if (raw != INVALID_SOCKET || ::WSAGetLastError() != WSANOTINITIALISED) return 10;
  auto s = dial::socket(p::af_inet, p::sock_stream, 0);
  if (!s) return 1;
  auto l = p::tcp_listener(p::af_inet);
  if (!dial::connect(*s, l.where.sa(), l.where.len)) return 2;
  dial::close(*s);
  return 0;
}

TEST_F(WsaStartupDeathTest, TheFirstSocketStartsWinsock) {
  EXPECT_EXIT(std::exit(first_socket_in_a_fresh_process()), ExitedWithCode(0), "");
}

int concurrent_first_sockets() {
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 16; ++i)
    threads.emplace_back([&failures] {
      auto s = dial::socket(p::af_inet, p::sock_stream, 0);
      if (!s) {
        ++failures;
        return;
      }
      dial::close(*s);
    });
  for (auto& t : threads) t.join();
  return failures.load();
}

TEST_F(WsaStartupDeathTest, ConcurrentFirstSocketsAllSucceed) {
  EXPECT_EXIT(std::exit(concurrent_first_sockets()), ExitedWithCode(0), "");
}

TEST_F(WsaStartupDeathTest, ConnectBeforeAnySocketTrapsAsNotASocket) {
  // Windows answers WSANOTINITIALISED here, wine WSAENOTSOCK: both mean the handle is no socket.
  const auto addr = p::loopback(p::af_inet, 9);
  EXPECT_EXIT((void)dial::connect(dial::socket_t{4242}, addr.sa(), addr.len), p::aborted,
              "programmer error trapped in connect: WSA.*NOT");
}

TEST_F(WsaStartupDeathTest, CloseBeforeAnySocketTrapsAsNotASocket) {
  EXPECT_EXIT(dial::close(dial::socket_t{4242}), p::aborted,
              "programmer error trapped in close: WSA.*NOT");
}

}  // namespace
