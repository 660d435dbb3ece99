// tests/windows/iocp_test.cpp: what the engine relies on from ConnectEx, CancelIoEx and the
// completion port, checked on the system itself (wine here): the answers docs/engine.md and
// docs/spec-differences.md (section 6) state. Windows' documented behaviour, so these hold on
// Windows too.
#include <gtest/gtest.h>
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <mswsock.h>
#include <winsock2.h>
#include <ws2tcpip.h>

#include <stdexcept>
#include <vector>

#include "portable_support.hpp"

namespace {

namespace p = dial::portable;

/// A completion port, ConnectEx, and overlapped sockets bound to 0.0.0.0:0 and associated with it.
class Iocp : public ::testing::Test {
 protected:
  void SetUp() override {
    auto probe = p::tcp_socket(p::af_inet);
    GUID guid = WSAID_CONNECTEX;
    DWORD bytes = 0;
    ASSERT_EQ(::WSAIoctl(probe.get(), SIO_GET_EXTENSION_FUNCTION_POINTER, &guid, sizeof guid,
                         &connect_ex_, sizeof connect_ex_, &bytes, nullptr, nullptr),
              0);
    port_ = ::CreateIoCompletionPort(INVALID_HANDLE_VALUE, nullptr, 0, 1);
    ASSERT_NE(port_, nullptr);
  }
  void TearDown() override { ::CloseHandle(port_); }

  p::owned_socket bound(bool bind_it = true) {
    auto s = p::tcp_socket(p::af_inet);  // dial::socket: WSA_FLAG_OVERLAPPED
    if (bind_it) {
      sockaddr_in any{};
      any.sin_family = AF_INET;
      if (::bind(s.get(), reinterpret_cast<const sockaddr*>(&any), sizeof any) != 0)
        throw std::runtime_error("bind");
    }
    if (::CreateIoCompletionPort(reinterpret_cast<HANDLE>(s.get()), port_, 0, 0) == nullptr)
      throw std::runtime_error("CreateIoCompletionPort");
    return s;
  }
  // ConnectEx's immediate answer: 0 when it is in flight (TRUE or ERROR_IO_PENDING).
  int start(SOCKET s, const p::endpoint& to, OVERLAPPED& ov) {
    DWORD sent = 0;
    if (connect_ex_(s, to.sa(), to.len, nullptr, 0, &sent, &ov)) return 0;
    const int code = ::WSAGetLastError();
    return code == ERROR_IO_PENDING ? 0 : code;
  }
  // The packets that arrive: waits up to `ms` for the first, then 100 ms for any more; each
  // must be `ov`'s.
  int packets_for(const OVERLAPPED& ov, DWORD ms) {
    int n = 0;
    OVERLAPPED_ENTRY e[4];
    ULONG got = 0;
    while (::GetQueuedCompletionStatusEx(port_, e, 4, &got, n == 0 ? ms : 100, FALSE)) {
      for (ULONG i = 0; i < got; ++i) {
        EXPECT_EQ(e[i].lpOverlapped, &ov);
        ++n;
      }
    }
    return n;
  }
  // WSAGetOverlappedResult's code for a finished operation (0: success).
  static int result_code(SOCKET s, OVERLAPPED& ov) {
    DWORD bytes = 0;
    DWORD flags = 0;
    return ::WSAGetOverlappedResult(s, &ov, &bytes, FALSE, &flags) ? 0 : ::WSAGetLastError();
  }

  HANDLE port_ = nullptr;
  LPFN_CONNECTEX connect_ex_ = nullptr;
};

TEST_F(Iocp, ConnectExWantsABoundSocketAndQueuesNoPacketWhenItFailsAtOnce) {
  auto l = p::tcp_listener(p::af_inet, 16);
  auto s = bound(false);
  OVERLAPPED ov{};
  EXPECT_EQ(start(s.get(), l.where, ov), WSAEINVAL);
  EXPECT_EQ(packets_for(ov, 200), 0);
}

TEST_F(Iocp, EachConnectExHasExactlyOnePacket) {
  // TRUE at once or pending: one packet each, for its own OVERLAPPED, and none left over.
  auto l = p::tcp_listener(p::af_inet, 256);
  std::vector<OVERLAPPED> ovs(200);
  for (auto& ov : ovs) {
    auto s = bound();
    ov = OVERLAPPED{};
    ASSERT_EQ(start(s.get(), l.where, ov), 0);
    OVERLAPPED_ENTRY e{};
    ULONG got = 0;
    ASSERT_TRUE(::GetQueuedCompletionStatusEx(port_, &e, 1, &got, 2000, FALSE));
    EXPECT_EQ(e.lpOverlapped, &ov);
    EXPECT_EQ(result_code(s.get(), ov), 0);
    EXPECT_EQ(::setsockopt(s.get(), SOL_SOCKET, SO_UPDATE_CONNECT_CONTEXT, nullptr, 0), 0);
  }
  OVERLAPPED_ENTRY e{};
  ULONG got = 0;
  EXPECT_FALSE(::GetQueuedCompletionStatusEx(port_, &e, 1, &got, 200, FALSE));
}

TEST_F(Iocp, ARefusedConnectExIsWsaeconnrefused) {
  auto closed = p::closed_port(p::af_inet);
  auto s = bound();
  OVERLAPPED ov{};
  ASSERT_EQ(start(s.get(), closed.where, ov), 0);
  ASSERT_EQ(packets_for(ov, 5000), 1);  // Windows retries the SYN for about 2 s first
  EXPECT_EQ(result_code(s.get(), ov), WSAECONNREFUSED);
}

TEST_F(Iocp, CancelIoExEndsAPendingConnectExWithOnePacket) {
  auto full = p::full_tcp_listener(p::af_inet);
  auto s = bound();
  OVERLAPPED ov{};
  ASSERT_EQ(start(s.get(), full.l.where, ov), 0);
  ASSERT_EQ(packets_for(ov, 200), 0);  // the full backlog drops the SYN (wine: Linux's queue)
  ASSERT_TRUE(::CancelIoEx(reinterpret_cast<HANDLE>(s.get()), &ov));
  ASSERT_EQ(packets_for(ov, 2000), 1);
  EXPECT_EQ(result_code(s.get(), ov), ERROR_OPERATION_ABORTED);
  EXPECT_FALSE(::CancelIoEx(reinterpret_cast<HANDLE>(s.get()), &ov));  // nothing left to cancel
  EXPECT_EQ(::GetLastError(), static_cast<DWORD>(ERROR_NOT_FOUND));
}

TEST_F(Iocp, ClosingASocketWithAPendingConnectExStillQueuesItsPacket) {
  auto full = p::full_tcp_listener(p::af_inet);
  auto s = bound();
  OVERLAPPED ov{};
  ASSERT_EQ(start(s.get(), full.l.where, ov), 0);
  s.reset();  // closesocket
  EXPECT_EQ(packets_for(ov, 2000), 1);
}

}  // namespace
