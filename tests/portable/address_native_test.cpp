// tests/portable/address_native_test.cpp: dial::address to and from the system's sockaddr, one
// source for Linux and Windows: the same bytes, lengths and families on both.
#include <gtest/gtest.h>

#include "dial/address.hpp"
#include "dial/sys.hpp"
#include "portable_support.hpp"

namespace {

namespace p = dial::portable;
using dial::address;
using dial::address_native_error;

TEST(PortableAddressNative, Ipv4RoundTripsWithItsFamilyAndLength) {
  const address a = address::ipv4({192, 0, 2, 7}, 8080);
  const auto e = p::to_endpoint(a);
  EXPECT_EQ(e.len, 16);
  EXPECT_EQ(p::family_of(e), p::af_inet);
  EXPECT_EQ(a.family(), p::af_inet);
  EXPECT_EQ(p::from_endpoint(e), a);
}

TEST(PortableAddressNative, Ipv6RoundTripsWithItsScope) {
  const address a = address::ipv6({0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 443, 7);
  const auto e = p::to_endpoint(a);
  EXPECT_EQ(e.len, 28);
  EXPECT_EQ(p::family_of(e), p::af_inet6);
  EXPECT_EQ(a.family(), p::af_inet6);
  EXPECT_EQ(p::from_endpoint(e), a);
}

TEST(PortableAddressNative, UnixPathAndAbstractNameRoundTrip) {
  auto path = address::unix_path("/tmp/dial.sock");
  ASSERT_TRUE(path);
  const auto e = p::to_endpoint(*path);
  EXPECT_EQ(e.len, 2 + 14 + 1);  // the family, the path, its NUL
  EXPECT_EQ(p::family_of(e), p::af_unix);
  EXPECT_EQ(p::from_endpoint(e), *path);

  auto abstract = address::unix_abstract("dial-test");
  ASSERT_TRUE(abstract);
  const auto ea = p::to_endpoint(*abstract);
  EXPECT_EQ(ea.len, 2 + 1 + 9);  // the family, the leading NUL, the name
  EXPECT_EQ(p::from_endpoint(ea), *abstract);
}

TEST(PortableAddressNative, ShortLengthsAndUnknownFamiliesAreRefused) {
  auto e = p::to_endpoint(address::loopback_ipv4(80));
  e.len = 8;
  auto shorter = p::from_endpoint(e);
  ASSERT_FALSE(shorter);
  EXPECT_EQ(shorter.error(), address_native_error::unknown_form);
  e.len = 1;
  EXPECT_EQ(p::from_endpoint(e).error(), address_native_error::unknown_form);

  p::endpoint odd;
  odd.storage[0] = std::byte{0x7f};  // sa_family 127 (little-endian on both test systems)
  odd.len = 16;
  auto unknown = p::from_endpoint(odd);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error(), address_native_error::address_family_not_supported);
}

TEST(PortableAddressNative, AScopeIsPrintedAndParsedBackWhateverItsInterfaceIsCalled) {
  // Index 1 is loopback on Linux ("lo") and under wine; a name that is not found, or that does not
  // fit dial's limit, is printed as the number. Either way parse reads back the same scope.
  const address a = address::ipv6({0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 80, 1);
  const auto text = a.to_string();
  auto back = address::parse(text);
  ASSERT_TRUE(back) << text;
  EXPECT_EQ(*back, a) << text;
}

TEST(PortableAddressNative, ConnectsThroughTheConvertedAddress) {
  auto l = p::tcp_listener(p::af_inet);
  auto where = p::from_endpoint(l.where);
  ASSERT_TRUE(where);
  const auto e = p::to_endpoint(*where);
  auto s = p::tcp_socket(p::af_inet);
  EXPECT_TRUE(dial::connect(s.get(), e.sa(), e.len));
}

}  // namespace
