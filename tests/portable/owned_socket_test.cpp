// tests/portable/owned_socket_test.cpp: dial::owned_socket, connect_to_address and listen_on, one
// source for Linux and Windows (under wine): names, never codes.
#include <gtest/gtest.h>

#include <chrono>
#include <utility>

#include "dial/address.hpp"
#include "dial/socket.hpp"
#include "dial/sys.hpp"
#include "portable_support.hpp"

namespace {

namespace p = dial::portable;
using dial::address;
using dial::connect_to_address_error;
using dial::listen_on_error;
using namespace std::chrono_literals;

class PortableOwner : public ::testing::TestWithParam<int> {
 protected:
  [[nodiscard]] address loopback(std::uint16_t port) const {
    return GetParam() == p::af_inet ? address::loopback_ipv4(port) : address::loopback_ipv6(port);
  }
};

std::string family_name(const ::testing::TestParamInfo<int>& i) {
  return i.param == p::af_inet ? "IPv4" : "IPv6";
}

TEST_P(PortableOwner, ListenOnPortZeroThenConnectToAddressAndAccept) {
  auto l = dial::listen_on(loopback(0), 8);
  ASSERT_TRUE(l) << dial::name(l.error());
  auto at = dial::local_address(l->get());
  ASSERT_TRUE(at);
  EXPECT_NE(at->port(), 0);
  EXPECT_EQ(*at, loopback(at->port()));
  auto c = dial::connect_to_address(*at);
  ASSERT_TRUE(c) << dial::name(c.error());
  auto peer = dial::peer_address(c->get());
  ASSERT_TRUE(peer);
  EXPECT_EQ(*peer, *at);
  auto a = dial::accept(l->get(), nullptr, nullptr);
  ASSERT_TRUE(a);
  dial::owned_socket accepted(*a);  // closed by the owner
  EXPECT_TRUE(accepted);
}

TEST_P(PortableOwner, RefusedIsNamedAndTheOwnerIsNotReturned) {
  auto closed = p::closed_port(GetParam());
  auto where = p::from_endpoint(closed.where);
  ASSERT_TRUE(where);
  auto c = dial::connect_to_address(*where);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error(), connect_to_address_error::connection_refused) << dial::name(c.error());
}

TEST_P(PortableOwner, SecondListenerOnTheSamePortIsAddressInUse) {
  auto first = dial::listen_on(loopback(0));
  ASSERT_TRUE(first);
  auto at = dial::local_address(first->get());
  ASSERT_TRUE(at);
  auto second = dial::listen_on(*at);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error(), listen_on_error::address_in_use) << dial::name(second.error());
}

TEST_P(PortableOwner, NonBlockingReturnsTheAttemptUnderWay) {
  auto l = dial::listen_on(loopback(0));
  ASSERT_TRUE(l);
  dial::connect_options o;
  o.non_blocking = true;
  auto c = dial::connect_to_address(*dial::local_address(l->get()), o);
  ASSERT_TRUE(c) << dial::name(c.error());
  ASSERT_TRUE(p::wait_connected(c->get(), 5s));
  EXPECT_TRUE(dial::getsockopt_error(c->get()));
}

TEST_P(PortableOwner, SourceAddressIsBound) {
  auto l = dial::listen_on(loopback(0));
  ASSERT_TRUE(l);
  dial::connect_options o;
  o.source = loopback(0);
  auto c = dial::connect_to_address(*dial::local_address(l->get()), o);
  ASSERT_TRUE(c) << dial::name(c.error());
  auto local = dial::local_address(c->get());
  ASSERT_TRUE(local);
  EXPECT_EQ(local->with_port(0), loopback(0));
  EXPECT_NE(local->port(), 0);
}

TEST_P(PortableOwner, MovedOwnerClosesOnce) {
  auto l = dial::listen_on(loopback(0));
  ASSERT_TRUE(l);
  dial::owned_socket a = std::move(*l);
  dial::owned_socket b(std::move(a));
  EXPECT_FALSE(a);  // NOLINT(bugprone-use-after-move): the moved-from state is specified
  ASSERT_TRUE(b);
  // Still a listening socket: a connect to it succeeds.
  EXPECT_TRUE(dial::connect_to_address(*dial::local_address(b.get())));
  b.reset();
  EXPECT_FALSE(b);
}

INSTANTIATE_TEST_SUITE_P(Families, PortableOwner, ::testing::Values(p::af_inet, p::af_inet6),
                         family_name);

}  // namespace
