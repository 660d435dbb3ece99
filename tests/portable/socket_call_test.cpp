// tests/portable/socket_call_test.cpp: the calls socket and close (sys.hpp) for real, one source
// for Linux and Windows.
#include <gtest/gtest.h>

#include "dial/error.hpp"
#include "dial/sys.hpp"
#include "portable_support.hpp"

namespace {

using dial::socket_error;
namespace p = dial::portable;

TEST(PortableSocket, IsNotInheritedByChildProcesses) {
  // close-on-exec on POSIX, WSA_FLAG_NO_HANDLE_INHERIT on Windows: whatever `type` says.
  auto s = p::tcp_socket(p::af_inet);
  EXPECT_FALSE(p::is_inheritable(s.get()));
}

TEST(PortableSocket, UnknownFamilyIsAddressFamilyNotSupported) {
  auto s = dial::socket(p::af_unknown, p::sock_stream, 0);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error(), socket_error::address_family_not_supported) << dial::name(s.error());
}

TEST(PortableSocket, DatagramSocketWithTcpIsProtocolNotSupported) {
  auto s = dial::socket(p::af_inet, p::sock_dgram, p::ipproto_tcp);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error(), socket_error::protocol_not_supported) << dial::name(s.error());
}

TEST(PortableSocket, ManySocketsOpenAndCloseWithoutError) {
  for (int i = 0; i < 200; ++i) {
    auto s = dial::socket(p::af_inet, p::sock_stream, 0);
    ASSERT_TRUE(s) << dial::name(s.error());
    dial::close(*s);
  }
}

}  // namespace
