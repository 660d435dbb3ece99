// tests/unit/address_test.cpp: dial::address parsing, formatting and sockaddr, against glibc.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <sstream>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_set>
#include <vector>

#include "dial/dial.hpp"
#include "support.hpp"

namespace {

using dial::address;
using dial::address_kind;
using dial::address_native_error;
using dial::address_parse_error;
using dial::address_parse_failure;
using bytes4 = std::array<std::uint8_t, 4>;
using bytes16 = std::array<std::uint8_t, 16>;
namespace t = dial::test;

// ---- helpers
// -------------------------------------------------------------------------------------

/// A deterministic generator (splitmix64): the same inputs on every run and every platform.
class prng {
 public:
  explicit prng(std::uint64_t seed) : s_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (s_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  std::uint32_t below(std::uint32_t n) { return static_cast<std::uint32_t>(next() % n); }
  bool chance(std::uint32_t one_in) { return below(one_in) == 0; }

 private:
  std::uint64_t s_;
};

/// Non-printable bytes escaped, for failure messages.
std::string show(std::string_view s) {
  std::string r;
  for (unsigned char c : s) {
    if (c >= 0x20 && c < 0x7f) {
      r += static_cast<char>(c);
    } else {
      char buf[5];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      r += buf;
    }
  }
  return r;
}

std::string ntop4(const bytes4& b) {
  char buf[INET_ADDRSTRLEN];
  EXPECT_NE(::inet_ntop(AF_INET, b.data(), buf, sizeof buf), nullptr);
  return buf;
}

std::string ntop6(const bytes16& b) {
  char buf[INET6_ADDRSTRLEN];
  EXPECT_NE(::inet_ntop(AF_INET6, b.data(), buf, sizeof buf), nullptr);
  return buf;
}

/// The host part of a formatted IP address: "1.2.3.4:80" -> "1.2.3.4", "[::1%lo]:80" -> "::1".
std::string host_of(const address& a) {
  std::string s = a.to_string();
  if (a.kind() == address_kind::ipv4) return s.substr(0, s.rfind(':'));
  return s.substr(1, s.find_first_of("%]") - 1);
}

address parsed(std::string_view text) {
  auto r = address::parse(text);
  EXPECT_TRUE(r) << show(text) << ": " << r.error();
  return r.value_or(address{});
}

/// The error of a result that must have failed.
template <class T, class E>
E error_of(const std::expected<T, E>& r) {
  EXPECT_FALSE(r) << "unexpected success";
  return r ? E{} : r.error();
}

address_parse_failure failure_of(std::string_view text) {
  auto r = address::parse(text);
  EXPECT_FALSE(r) << show(text) << " parsed as " << r.value_or(address{});
  return r ? address_parse_failure{} : r.error();
}

std::uint32_t lo_index() { return ::if_nametoindex("lo"); }

bytes16 random_v6(prng& g) {
  // Groups drawn so zero runs of every length are common, with all-ones and small values too.
  bytes16 b{};
  for (std::size_t k = 0; k < 8; ++k) {
    std::uint16_t v = 0;
    switch (g.below(6)) {
      case 0:
      case 1: v = 0; break;
      case 2: v = static_cast<std::uint16_t>(g.below(16)); break;
      case 3: v = 0xffff; break;
      default: v = static_cast<std::uint16_t>(g.next()); break;
    }
    b[2 * k] = static_cast<std::uint8_t>(v >> 8);
    b[2 * k + 1] = static_cast<std::uint8_t>(v);
  }
  return b;
}

// ---- the error set ------------------------------------------------------------------------------

TEST(AddressErrors, ParseSetHoldsTheTwelveNamesWithIds60To71) {
  const auto& members = dial::error_set_traits<address_parse_error>::members;
  ASSERT_EQ(std::size(members), 12u);
  for (std::size_t i = 0; i < std::size(members); ++i)
    EXPECT_EQ(static_cast<int>(members[i]), 60 + static_cast<int>(i));
  EXPECT_EQ(dial::name(address_parse_error::empty_input), "EmptyInput");
  EXPECT_EQ(dial::name(address_parse_error::unterminated_bracket), "UnterminatedBracket");
  EXPECT_EQ(dial::name(address_parse_error::unknown_form), "UnknownForm");
}

TEST(AddressErrors, NativeSetAndErrorCodeInterop) {
  EXPECT_EQ(dial::name(address_native_error::address_family_not_supported),
            "AddressFamilyNotSupported");
  std::error_code ec = address_parse_error::port_out_of_range;
  EXPECT_EQ(ec, std::errc::result_out_of_range);
  EXPECT_EQ(std::error_code(address_parse_error::invalid_port), std::errc::invalid_argument);
  EXPECT_EQ(std::error_code(address_native_error::address_family_not_supported),
            std::errc::address_family_not_supported);
  EXPECT_NE(ec.message().find("PortOutOfRange"), std::string::npos);
}

TEST(AddressErrors, FailurePrintsNameAndOffset) {
  std::ostringstream os;
  os << address_parse_failure{address_parse_error::invalid_port, 8};
  EXPECT_EQ(os.str(), "InvalidPort at offset 8");
}

// ---- the value
// -----------------------------------------------------------------------------------

static_assert(std::is_trivially_copyable_v<address>);
static_assert(sizeof(address) <= 120);
static_assert(address{} == address::ipv4({0, 0, 0, 0}, 0));
static_assert(address::loopback_ipv4(80).is_loopback());
static_assert(address::loopback_ipv6(80).is_loopback());
static_assert(address::ipv4({1, 2, 3, 4}, 80).with_port(81).port() == 81);
static_assert(address::ipv4({1, 2, 3, 4}, 80).native_size() == sizeof(sockaddr_in));
static_assert(address::loopback_ipv6(1).native_size() == sizeof(sockaddr_in6));
static_assert(address::ipv4({1, 2, 3, 4}, 80).hash() == address::ipv4({1, 2, 3, 4}, 80).hash());
static_assert(address::max_unix_path == sizeof(sockaddr_un::sun_path) - 1);
static_assert(address::max_text_size == 113);

TEST(Address, Accessors) {
  const address v4 = parsed("192.0.2.7:443");
  EXPECT_EQ(v4.kind(), address_kind::ipv4);
  EXPECT_EQ(v4.family(), AF_INET);
  EXPECT_EQ(v4.port(), 443);
  EXPECT_EQ(v4.ipv4_bytes(), (bytes4{192, 0, 2, 7}));
  EXPECT_TRUE(v4.is_ip());
  EXPECT_FALSE(v4.is_unix());
  EXPECT_EQ(v4.unix_name(), "");
  const address v6 = parsed("[fe80::1%1]:80");
  EXPECT_EQ(v6.family(), AF_INET6);
  EXPECT_EQ(v6.scope_id(), 1u);
  EXPECT_TRUE(v6.is_link_local());
  EXPECT_EQ(v6.with_scope_id(0).scope_id(), 0u);
  EXPECT_EQ(v6.ipv6_bytes()[0], 0xfe);
  const address p = parsed("unix:/run/x.sock");
  EXPECT_EQ(p.kind(), address_kind::unix_path);
  EXPECT_EQ(p.family(), AF_UNIX);
  EXPECT_EQ(p.unix_name(), "/run/x.sock");
  EXPECT_EQ(p.with_port(80), p);
  EXPECT_EQ(p.port(), 0);
  EXPECT_TRUE(p.is_unix());
  const address n = parsed("unix:@x");
  EXPECT_EQ(n.kind(), address_kind::unix_abstract);
  EXPECT_EQ(n.unix_name(), "x");
  EXPECT_NE(p, n);
}

TEST(Address, Classification) {
  EXPECT_TRUE(parsed("127.255.0.1:1").is_loopback());
  EXPECT_TRUE(parsed("[::ffff:127.0.0.1]:1").is_loopback());
  EXPECT_TRUE(parsed("[::ffff:127.0.0.1]:1").is_v4_mapped());
  EXPECT_FALSE(parsed("[::2]:1").is_loopback());
  EXPECT_FALSE(parsed("128.0.0.1:1").is_loopback());
  EXPECT_TRUE(parsed("0.0.0.0:1").is_unspecified());
  EXPECT_TRUE(parsed("[::]:1").is_unspecified());
  EXPECT_FALSE(parsed("[::1]:1").is_unspecified());
  EXPECT_TRUE(parsed("169.254.3.4:1").is_link_local());
  EXPECT_TRUE(parsed("[febf::1]:1").is_link_local());
  EXPECT_FALSE(parsed("[fec0::1]:1").is_link_local());
  EXPECT_FALSE(parsed("unix:@x").is_loopback());
}

TEST(Address, EqualityAndHash) {
  std::unordered_set<address> set;
  for (const char* s : {"1.2.3.4:80", "1.2.3.4:81", "[::1]:80", "[fe80::1%1]:80", "[fe80::1]:80",
                        "unix:/a", "unix:@a", "[::ffff:1.2.3.4]:80"})
    EXPECT_TRUE(set.insert(parsed(s)).second) << s;
  EXPECT_EQ(set.size(), 8u);
  EXPECT_FALSE(set.insert(parsed("[0:0::1]:80")).second);
  EXPECT_EQ(parsed("[0:0::1]:80"), address::loopback_ipv6(80));
  EXPECT_EQ(std::hash<address>{}(parsed("[0:0::1]:80")), address::loopback_ipv6(80).hash());
  EXPECT_EQ(parsed("1.2.3.4:80").with_port(81), parsed("1.2.3.4:81"));
}

// ---- accepted forms -----------------------------------------------------------------------------

struct canonical_case {
  const char* input;
  const char* text;
};

TEST(AddressParse, AcceptsEachFormAndFormatsItCanonically) {
  const canonical_case cases[] = {
      {"1.2.3.4:80", "1.2.3.4:80"},
      {"0.0.0.0:0", "0.0.0.0:0"},
      {"255.255.255.255:65535", "255.255.255.255:65535"},
      {"[::1]:80", "[::1]:80"},
      {"[::]:0", "[::]:0"},
      // RFC 5952 section 4: leading zeros, the longest run, ties, one zero group, lowercase.
      {"[2001:0db8::0001]:1", "[2001:db8::1]:1"},
      {"[2001:db8:0:0:0:0:2:1]:1", "[2001:db8::2:1]:1"},
      {"[2001:db8:0:1:1:1:1:1]:1", "[2001:db8:0:1:1:1:1:1]:1"},
      {"[2001:0:0:1:0:0:0:1]:1", "[2001:0:0:1::1]:1"},
      {"[2001:db8:0:0:1:0:0:1]:1", "[2001:db8::1:0:0:1]:1"},
      {"[2001:DB8::AbCd]:1", "[2001:db8::abcd]:1"},
      {"[1:0:0:0:0:0:0:0]:1", "[1::]:1"},
      {"[0:0:0:0:0:0:0:1]:1", "[::1]:1"},
      {"[1:2:3:4:5:6:7:0]:1", "[1:2:3:4:5:6:7:0]:1"},
      {"[1:2:3:4:5:6::]:1", "[1:2:3:4:5:6::]:1"},
      {"[1:2:3:4:5:6:7::]:1", "[1:2:3:4:5:6:7:0]:1"},
      {"[::2:3:4:5:6:7:8]:1", "[0:2:3:4:5:6:7:8]:1"},
      {"[0:0:1:0:0:0:0:0]:1", "[0:0:1::]:1"},
      // RFC 5952 section 5: IPv4-mapped in mixed notation; others hexadecimal.
      {"[::ffff:192.0.2.1]:1", "[::ffff:192.0.2.1]:1"},
      {"[::ffff:c000:0201]:1", "[::ffff:192.0.2.1]:1"},
      {"[::FFFF:0.0.0.0]:1", "[::ffff:0.0.0.0]:1"},
      {"[::192.0.2.1]:1", "[::c000:201]:1"},
      {"[1:2:3:4:5:6:7.8.9.10]:1", "[1:2:3:4:5:6:708:90a]:1"},
      {"[64:ff9b::192.0.2.33]:1", "[64:ff9b::c000:221]:1"},
      {"[::ffff:0:1.2.3.4]:1", "[::ffff:0:102:304]:1"},
      {"[fe80::1%1]:80", nullptr},  // the name depends on the machine: see the scope tests
      {"unix:/run/dial.sock", "unix:/run/dial.sock"},
      {"unix:relative/sock", "unix:relative/sock"},
      {"unix://double", "unix://double"},
      {"unix:/with space ]%[", "unix:/with space ]%["},
      {"unix:@name", "unix:@name"},
      {"unix:@@", "unix:@@"},
      {"unix:@\x01\xff\n", "unix:@\x01\xff\n"},
  };
  for (const auto& c : cases) {
    const address a = parsed(c.input);
    if (c.text != nullptr) {
      EXPECT_EQ(a.to_string(), c.text) << c.input;
    }
    EXPECT_EQ(parsed(a.to_string()), a) << c.input;
  }
}

TEST(AddressParse, EveryPortRoundTrips) {
  for (std::uint32_t p = 0; p <= 65535; ++p) {
    const std::string text = "10.0.0.1:" + std::to_string(p);
    auto a = address::parse(text);
    ASSERT_TRUE(a) << text;
    ASSERT_EQ(a->port(), p);
    ASSERT_EQ(a->to_string(), text);
  }
}

// ---- rejected forms: the exact name and offset --------------------------------------------------

struct malformed_case {
  std::string input;
  address_parse_error error;
  std::size_t offset;
};

std::vector<malformed_case> malformed_cases() {
  using enum address_parse_error;
  const std::string long_path(address::max_unix_path + 1, 'p');
  const std::string long_name(address::max_abstract_name + 1, 'n');
  return {
      // the forms
      {"", empty_input, 0},
      {" 1.2.3.4:80", unknown_form, 0},
      {"\t[::1]:80", unknown_form, 0},
      {":80", unknown_form, 0},
      {"localhost:80", unknown_form, 0},
      {"example.com:443", unknown_form, 0},
      {"::1:80", unknown_form, 0},
      {"::1", unknown_form, 0},
      {"fe80::1%lo:80", unknown_form, 0},
      {"2001:db8::1:443", unknown_form, 0},
      {"2001:db8::1%2:443", unknown_form, 0},
      {"1::2", unknown_form, 0},
      {"UNIX:/x", unknown_form, 0},
      {"unix", unknown_form, 0},
      {"/run/x.sock", unknown_form, 0},
      {"@name", unknown_form, 0},
      {"-1.2.3.4:80", unknown_form, 0},
      // IPv4
      {"1.2.3", invalid_ipv4, 5},
      {"1.2.3:80", invalid_ipv4, 5},
      {"127.1:80", invalid_ipv4, 5},
      {"1.2.3.4.5", invalid_ipv4, 7},
      {"1.2.3.4.5:80", invalid_ipv4, 7},
      {"256.1.1.1:80", invalid_ipv4, 0},
      {"1.2.3.256:80", invalid_ipv4, 6},
      {"1.2.3.1000:80", invalid_ipv4, 6},
      {"4294967295:80", invalid_ipv4, 0},
      {"01.2.3.4:80", invalid_ipv4, 0},
      {"1.2.3.00:80", invalid_ipv4, 6},
      {"1.02.3.4:80", invalid_ipv4, 2},
      {"0x7f.0.0.1:80", invalid_ipv4, 1},
      {"1..2.3:80", invalid_ipv4, 2},
      {"1.2.3.:80", invalid_ipv4, 6},
      {"1.2.3.-4:80", invalid_ipv4, 6},
      {"1.2.3.4x:80", invalid_ipv4, 7},
      {"1.2.3.4 :80", invalid_ipv4, 7},
      {std::string("1.2.3.4\0:80", 11), invalid_ipv4, 7},
      // ports
      {"1.2.3.4", missing_port, 7},
      {"1.2.3.4:", missing_port, 8},
      {"1.2.3.4:65536", port_out_of_range, 8},
      {"1.2.3.4:99999", port_out_of_range, 8},
      {"1.2.3.4:123456", port_out_of_range, 8},
      {"1.2.3.4:99999999999999999999999", port_out_of_range, 8},
      {"1.2.3.4:+80", invalid_port, 8},
      {"1.2.3.4:-1", invalid_port, 8},
      {"1.2.3.4: 80", invalid_port, 8},
      {"1.2.3.4:080", invalid_port, 8},
      {"1.2.3.4:00", invalid_port, 8},
      {"1.2.3.4:8o", invalid_port, 9},
      {"1.2.3.4:0x50", invalid_port, 9},
      {"1.2.3.4:80 ", invalid_port, 10},
      {"1.2.3.4:80\n", invalid_port, 10},
      {"1.2.3.4:80:90", invalid_port, 10},
      {std::string("1.2.3.4:8\0", 10), invalid_port, 9},
      {"[::1]", missing_port, 5},
      {"[::1]:", missing_port, 6},
      {"[::1]80", missing_port, 5},
      {"[::1]]:80", missing_port, 5},
      {"[::1]%lo:80", missing_port, 5},
      {"[fe80::1%lo]", missing_port, 12},
      {"[::1]:65536", port_out_of_range, 6},
      {"[::1]:+80", invalid_port, 6},
      // brackets and IPv6
      {"[", unterminated_bracket, 1},
      {"[::1", unterminated_bracket, 4},
      {"[::1:80", unterminated_bracket, 7},
      {"[]:80", invalid_ipv6, 1},
      {"[[::1]]:80", invalid_ipv6, 1},
      {"[1::2::3]:1", invalid_ipv6, 5},
      {"[::1::]:1", invalid_ipv6, 4},
      {"[:::]:1", invalid_ipv6, 3},
      {"[1:::2]:1", invalid_ipv6, 4},
      {"[:1::]:1", invalid_ipv6, 1},
      {"[:]:1", invalid_ipv6, 1},
      {"[1::2:]:1", invalid_ipv6, 6},
      {"[1:2:3:4:5:6:7:8:]:1", invalid_ipv6, 16},
      {"[1:2:3:4:5:6:7:8:9]:1", invalid_ipv6, 16},
      {"[1:2:3:4:5:6:7]:1", invalid_ipv6, 14},
      {"[1:2:3:4:5:6:7:8::]:1", invalid_ipv6, 16},
      {"[1::2:3:4:5:6:7:8]:1", invalid_ipv6, 15},
      {"[::1:2:3:4:5:6:7:8]:1", invalid_ipv6, 16},
      {"[1:2:3:4:5:6:7::8]:1", invalid_ipv6, 16},
      {"[12345::]:1", invalid_ipv6, 5},
      {"[::00000]:1", invalid_ipv6, 7},
      {"[::g]:1", invalid_ipv6, 3},
      {"[::1 ]:80", invalid_ipv6, 4},
      {"[ ::1]:80", invalid_ipv6, 1},
      {"[1.2.3.4]:80", invalid_ipv6, 8},
      {"[::1.2.3]:1", invalid_ipv6, 8},
      {"[::1.2.3.4.5]:1", invalid_ipv6, 10},
      {"[::1.2.3.4:5]:1", invalid_ipv6, 10},
      {"[::01.2.3.4]:1", invalid_ipv6, 3},
      {"[::1.2.3.256]:1", invalid_ipv6, 9},
      {"[::a.2.3.4]:1", invalid_ipv6, 3},
      {"[1:2:3:4:5:6:7:1.2.3.4]:1", invalid_ipv6, 15},
      {"[1:2:3:4:5:6::1.2.3.4]:1", invalid_ipv6, 14},
      {"[1.2.3.4::]:1", invalid_ipv6, 8},
      {"[0x1::]:1", invalid_ipv6, 2},
      {"[fe80::1%]:80", invalid_scope, 9},
      {"[::1%]:80", invalid_scope, 5},
      {"[%lo]:80", invalid_ipv6, 1},
      // scopes
      {"[fe80::1%0]:80", invalid_scope, 9},
      {"[fe80::1%01]:80", invalid_scope, 9},
      {"[fe80::1%4294967296]:80", invalid_scope, 9},
      {"[fe80::1%99999999999]:80", invalid_scope, 9},
      {"[fe80::1%lo ]:80", invalid_scope, 11},
      {"[fe80::1% lo]:80", invalid_scope, 9},
      {"[fe80::1%a%b]:80", invalid_scope, 10},
      {"[fe80::1%[lo]:80", invalid_scope, 9},
      {"[fe80::1%l\xc3\xb6]:80", invalid_scope, 10},
      {"[fe80::1%0123456789abcdef]:80", invalid_scope, 24},
      {"[fe80::1%nosuchif0]:80", unknown_interface, 9},
      {"[fe80::1%lo0x]:80", unknown_interface, 9},
      // Unix
      {"unix:", empty_path, 5},
      {"unix:@", empty_path, 6},
      {std::string("unix:/a\0b", 9), unknown_form, 7},
      {std::string("unix:\0", 6), unknown_form, 5},
      {std::string("unix:@a\0b", 9), unknown_form, 7},
      {std::string("unix:@\0", 7), unknown_form, 6},
      {"unix:" + long_path, path_too_long, 5 + address::max_unix_path},
      {"unix:@" + long_name, path_too_long, 6 + address::max_abstract_name},
  };
}

TEST(AddressParse, RejectsEachMalformedFormWithItsNameAndOffset) {
  for (const auto& c : malformed_cases()) {
    const address_parse_failure want{c.error, c.offset};
    EXPECT_EQ(failure_of(c.input), want) << "input: " << show(c.input);
  }
}

TEST(AddressParse, UnixLengthLimitsAreSunPathMinusTheNul) {
  const std::string path(address::max_unix_path, 'p');
  const std::string name(address::max_abstract_name, 'n');
  EXPECT_EQ(parsed("unix:" + path).unix_name(), path);
  EXPECT_EQ(parsed("unix:@" + name).unix_name(), name);
  EXPECT_EQ(parsed("unix:@" + name).to_string().size(), address::max_text_size);
  EXPECT_EQ(error_of(address::unix_path(path + "p")),
            (address_parse_failure{address_parse_error::path_too_long, path.size()}));
  EXPECT_EQ(error_of(address::unix_path("@x")),
            (address_parse_failure{address_parse_error::unknown_form, 0}));
  EXPECT_EQ(error_of(address::unix_abstract("")),
            (address_parse_failure{address_parse_error::empty_path, 0}));
  EXPECT_EQ(address::unix_abstract("@x").value_or(address{}).to_string(), "unix:@@x");
}

// ---- scopes
// ---------------------------------------------------------------------------------------

TEST(AddressScope, NamedScopeResolvesAndFormatsAsTheName) {
  const std::uint32_t lo = lo_index();
  ASSERT_NE(lo, 0u) << "no loopback interface";
  const address a = parsed("[fe80::1%lo]:80");
  EXPECT_EQ(a.scope_id(), lo);
  EXPECT_EQ(a.to_string(), "[fe80::1%lo]:80");
  EXPECT_EQ(parsed("[fe80::1%" + std::to_string(lo) + "]:80"), a);
  EXPECT_EQ(address::ipv6(a.ipv6_bytes(), 80, lo).to_string(), "[fe80::1%lo]:80");
}

TEST(AddressScope, EveryInterfaceOfThisMachineRoundTrips) {
  struct if_nameindex* list = ::if_nameindex();
  ASSERT_NE(list, nullptr);
  int seen = 0;
  for (struct if_nameindex* i = list; i->if_index != 0; ++i, ++seen) {
    const address a = address::ipv6({0xfe, 0x80, 15, 1}, 1, i->if_index);
    EXPECT_EQ(parsed(a.to_string()), a) << i->if_name;
    EXPECT_NE(a.to_string().find(i->if_name), std::string::npos) << a;
  }
  ::if_freenameindex(list);
  EXPECT_GE(seen, 1);
}

TEST(AddressScope, IndexWithoutInterfaceFormatsAsANumber) {
  const std::uint32_t unused = 4000000000u;  // interface indices are small and dense
  ASSERT_EQ(::if_indextoname(unused, std::array<char, IF_NAMESIZE>{}.data()), nullptr);
  const address a = parsed("[fe80::1%4000000000]:80");
  EXPECT_EQ(a.scope_id(), unused);
  EXPECT_EQ(a.to_string(), "[fe80::1%4000000000]:80");
  EXPECT_EQ(parsed("[fe80::1%4294967295]:1").scope_id(), 4294967295u);
  EXPECT_EQ(parsed("[::1%7]:1").scope_id(), 7u) << "a scope on a global address is kept";
}

// ---- glibc: inet_pton / inet_ntop over generated inputs -----------------------------------------

TEST(AddressGlibc, Ipv4AgreesWithInetPtonAndNtop) {
  prng g(0x1ab5eed);
  std::vector<bytes4> values;
  for (std::uint32_t v : {0u, 1u, 9u, 10u, 99u, 100u, 199u, 200u, 249u, 250u, 255u})
    for (int at = 0; at < 4; ++at) {
      bytes4 b{1, 2, 3, 4};
      b[static_cast<std::size_t>(at)] = static_cast<std::uint8_t>(v);
      values.push_back(b);
    }
  for (int i = 0; i < 100000; ++i) {
    const auto v = static_cast<std::uint32_t>(g.next());
    values.push_back(
        {std::uint8_t(v >> 24), std::uint8_t(v >> 16), std::uint8_t(v >> 8), std::uint8_t(v)});
  }
  for (const bytes4& b : values) {
    const std::string text = ntop4(b);
    const address a = parsed(text + ":1");
    ASSERT_EQ(a.ipv4_bytes(), b) << text;
    ASSERT_EQ(host_of(a), text);
    bytes4 back{};
    ASSERT_EQ(::inet_pton(AF_INET, host_of(a).c_str(), back.data()), 1);
    ASSERT_EQ(back, b);
  }
}

/// glibc writes ::/96 with a non-zero seventh group as "::a.b.c.d" (IPv4-compatible, deprecated
/// by RFC 4291 2.5.5.1); RFC 5952 section 5 recommends mixed notation only for prefixes known to
/// embed IPv4, so we keep hexadecimal there. That is the one difference.
bool glibc_writes_compatible(const bytes16& b) {
  for (std::size_t k = 0; k < 12; ++k)
    if (b[k] != 0) return false;
  return b[12] != 0 || b[13] != 0;
}

TEST(AddressGlibc, Ipv6FormattingIsGlibcsExceptForIpv4Compatible) {
  prng g(0x6a7e);
  std::vector<bytes16> values;
  for (std::uint32_t mask = 0; mask < 256; ++mask)  // every pattern of zero groups
    for (std::uint16_t v : {std::uint16_t{1}, std::uint16_t{0xffff}, std::uint16_t{0x0abc}}) {
      bytes16 b{};
      for (std::size_t k = 0; k < 8; ++k)
        if (mask & (1u << k)) {
          b[2 * k] = std::uint8_t(v >> 8);
          b[2 * k + 1] = std::uint8_t(v);
        }
      values.push_back(b);
    }
  for (int i = 0; i < 100000; ++i) values.push_back(random_v6(g));
  int compatible = 0;
  for (const bytes16& b : values) {
    const std::string theirs = ntop6(b);
    const address a = parsed("[" + theirs + "]:1");
    ASSERT_EQ(a.ipv6_bytes(), b) << theirs;
    const std::string ours = host_of(a);
    bytes16 back{};
    ASSERT_EQ(::inet_pton(AF_INET6, ours.c_str(), back.data()), 1) << ours;
    ASSERT_EQ(back, b) << ours;
    if (glibc_writes_compatible(b)) {
      ++compatible;
      ASSERT_NE(theirs.find('.'), std::string::npos) << theirs;
      ASSERT_EQ(ours.find('.'), std::string::npos) << ours;
    } else {
      ASSERT_EQ(ours, theirs);
    }
  }
  EXPECT_GT(compatible, 10);
}

/// Any valid RFC 4291 spelling of b: random case, padding, which zero run (if any) is "::", and
/// a dotted tail when the last 32 bits are not inside the "::".
std::string some_spelling(const bytes16& b, prng& g) {
  std::uint16_t w[8];
  for (std::size_t k = 0; k < 8; ++k) w[k] = std::uint16_t(b[2 * k] << 8 | b[2 * k + 1]);
  int gap = -1, gap_end = -1;
  if (g.chance(2)) {
    const int at = static_cast<int>(g.below(8));
    if (w[at] == 0) {
      gap = gap_end = at;
      while (gap > 0 && w[gap - 1] == 0 && !g.chance(2)) --gap;
      while (gap_end < 7 && w[gap_end + 1] == 0 && !g.chance(4)) ++gap_end;
    }
  }
  const bool dotted = gap_end < 6 && g.chance(3);
  std::string s;
  const int groups = dotted ? 6 : 8;
  for (int k = 0; k < groups; ++k) {
    if (k == gap) {
      s += "::";
      k = gap_end;
      continue;
    }
    if (!s.empty() && s.back() != ':') s += ':';
    char buf[8];
    std::snprintf(buf, sizeof buf, g.chance(3) ? "%X" : "%x", w[k]);
    s += std::string(g.below(5) > std::strlen(buf) ? 4 - std::strlen(buf) : 0, '0') + buf;
  }
  if (dotted) {
    if (!s.empty() && s.back() != ':') s += ':';
    s += ntop4({b[12], b[13], b[14], b[15]});
  }
  return s;
}

TEST(AddressGlibc, EverySpellingOfAnAddressParsesAsInetPtonDoes) {
  prng g(0x5be11);
  for (int i = 0; i < 100000; ++i) {
    const bytes16 b = random_v6(g);
    const std::string s = some_spelling(b, g);
    bytes16 theirs{};
    ASSERT_EQ(::inet_pton(AF_INET6, s.c_str(), theirs.data()), 1) << s;
    ASSERT_EQ(theirs, b) << s;
    auto a = address::parse("[" + s + "]:1");
    ASSERT_TRUE(a) << s << ": " << a.error();
    ASSERT_EQ(a->ipv6_bytes(), b) << s;
  }
}

/// Random edits of valid texts: insert, delete, replace or repeat bytes of the alphabet.
std::string mutate(std::string s, std::string_view alphabet, prng& g) {
  for (int edits = 1 + static_cast<int>(g.below(3)); edits > 0; --edits) {
    const std::size_t at = s.empty() ? 0 : g.below(static_cast<std::uint32_t>(s.size() + 1));
    const char c = alphabet[g.below(static_cast<std::uint32_t>(alphabet.size()))];
    switch (g.below(4)) {
      case 0: s.insert(at, 1, c); break;
      case 1:
        if (at < s.size()) s.erase(at, 1);
        break;
      case 2:
        if (at < s.size()) s[at] = c;
        break;
      default: s.insert(at, s.substr(at, g.below(4))); break;
    }
  }
  return s;
}

TEST(AddressGlibc, MutatedIpv6TextsAreAcceptedExactlyWhenInetPtonAcceptsThem) {
  prng g(0xd1ff6);
  int accepted = 0;
  for (int i = 0; i < 200000; ++i) {
    const std::string s = mutate(some_spelling(random_v6(g), g), "0123456789abcdefABCDEFg:.", g);
    bytes16 theirs{};
    const bool glibc_ok = ::inet_pton(AF_INET6, s.c_str(), theirs.data()) == 1;
    auto ours = address::parse("[" + s + "]:1");
    ASSERT_EQ(bool(ours), glibc_ok) << show(s);
    if (!ours) {
      ASSERT_EQ(ours.error().error, address_parse_error::invalid_ipv6) << s;
      ASSERT_LE(ours.error().offset, s.size() + 1) << s;
      continue;
    }
    ++accepted;
    ASSERT_EQ(ours->ipv6_bytes(), theirs) << s;
  }
  EXPECT_GT(accepted, 10000);
  EXPECT_LT(accepted, 190000);
}

TEST(AddressGlibc, MutatedIpv4TextsAreAcceptedExactlyWhenInetPtonAcceptsThem) {
  prng g(0x4d07);
  int accepted = 0;
  for (int i = 0; i < 200000; ++i) {
    const auto v = static_cast<std::uint32_t>(g.next());
    const bytes4 b{std::uint8_t(v >> 24), std::uint8_t(v >> 16), std::uint8_t(v >> 8),
                   std::uint8_t(v)};
    const std::string s = mutate(ntop4(b), "0123456789.", g);
    bytes4 theirs{};
    const bool glibc_ok = ::inet_pton(AF_INET, s.c_str(), theirs.data()) == 1;
    auto ours = address::parse(s + ":1");
    ASSERT_EQ(bool(ours), glibc_ok) << s;
    if (ours) {
      ++accepted;
      ASSERT_EQ(ours->ipv4_bytes(), theirs) << s;
    }
  }
  EXPECT_GT(accepted, 10000);
}

// ---- formatting into caller buffers -------------------------------------------------------------

TEST(AddressFormat, FormatToWritesOnlyWhenItFits) {
  const address a = parsed("[2001:db8::1]:443");
  const std::string_view want = "[2001:db8::1]:443";
  std::array<char, 64> buf;
  buf.fill('#');
  EXPECT_EQ(a.format_to(buf.data(), want.size() - 1), want.size());
  EXPECT_EQ(buf[0], '#');
  EXPECT_EQ(a.format_to(nullptr, 0), want.size());
  EXPECT_EQ(a.format_to(buf.data(), want.size()), want.size());
  EXPECT_EQ(std::string_view(buf.data(), want.size()), want);
  EXPECT_EQ(buf[want.size()], '#') << "no NUL is appended";
  const dial::address_text t = a.format();
  EXPECT_EQ(t.view(), want);
  EXPECT_STREQ(t.c_str(), "[2001:db8::1]:443");
}

TEST(AddressFormat, LongestIpTextFitsAndMaxTextSizeIsReached) {
  const address v6 = parsed("[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff%4294967295]:65535");
  EXPECT_LE(v6.to_string().size(), 63u);
  const address n = *address::unix_abstract(std::string(address::max_abstract_name, 'x'));
  EXPECT_EQ(n.format().size(), address::max_text_size);
}

// ---- sockaddr
// -------------------------------------------------------------------------------------

const sockaddr* sa(const sockaddr_storage& ss) { return reinterpret_cast<const sockaddr*>(&ss); }

TEST(AddressNative, LengthsAreExact) {
  constexpr socklen_t off = offsetof(sockaddr_un, sun_path);
  sockaddr_storage ss;
  EXPECT_EQ(parsed("1.2.3.4:80").to_native(ss), sizeof(sockaddr_in));
  EXPECT_EQ(parsed("[::1]:80").to_native(ss), sizeof(sockaddr_in6));
  EXPECT_EQ(parsed("unix:/tmp/x").to_native(ss), off + std::strlen("/tmp/x") + 1);
  EXPECT_EQ(parsed("unix:@name").to_native(ss), off + 1 + std::strlen("name"));
  const address longest = *address::unix_abstract(std::string(address::max_abstract_name, 'x'));
  EXPECT_EQ(longest.to_native(ss), sizeof(sockaddr_un));
  EXPECT_EQ(longest.native_size(), sizeof(sockaddr_un));
}

TEST(AddressNative, WritesTheSystemStructures) {
  sockaddr_storage ss;
  parsed("192.0.2.1:8080").to_native(ss);
  const auto& sin = reinterpret_cast<const sockaddr_in&>(ss);
  EXPECT_EQ(sin.sin_family, AF_INET);
  EXPECT_EQ(ntohs(sin.sin_port), 8080);
  EXPECT_EQ(sin.sin_addr.s_addr, htonl(0xc0000201));
  parsed("[fe80::2%3]:53").to_native(ss);
  const auto& sin6 = reinterpret_cast<const sockaddr_in6&>(ss);
  EXPECT_EQ(sin6.sin6_family, AF_INET6);
  EXPECT_EQ(ntohs(sin6.sin6_port), 53);
  EXPECT_EQ(sin6.sin6_scope_id, 3u);
  EXPECT_EQ(sin6.sin6_flowinfo, 0u);
  EXPECT_EQ(sin6.sin6_addr.s6_addr[15], 2);
  parsed("unix:@ab").to_native(ss);
  const auto& sun = reinterpret_cast<const sockaddr_un&>(ss);
  EXPECT_EQ(sun.sun_family, AF_UNIX);
  EXPECT_EQ(std::string_view(sun.sun_path, 3), std::string_view("\0ab", 3));
}

TEST(AddressNative, RoundTripsEveryKind) {
  for (const char* s : {"1.2.3.4:80", "[2001:db8::1%9]:443", "[::ffff:1.2.3.4]:1", "unix:/tmp/x",
                        "unix:@name", "unix:rel"}) {
    const address a = parsed(s);
    sockaddr_storage ss;
    const socklen_t n = a.to_native(ss);
    auto b = address::from_native(sa(ss), n);
    ASSERT_TRUE(b) << s;
    EXPECT_EQ(*b, a) << s;
    auto wide = address::from_native(sa(ss), sizeof ss);  // callers often pass the storage size
    if (a.kind() != address_kind::unix_abstract) {
      EXPECT_EQ(wide.value_or(address{}), a) << s;
    }
  }
}

TEST(AddressNative, ReadsWhatTheKernelAccepts) {
  sockaddr_un sun{};
  sun.sun_family = AF_UNIX;
  std::memset(sun.sun_path, 'y', sizeof sun.sun_path);
  auto full = address::from_native(reinterpret_cast<const sockaddr*>(&sun), sizeof sun);
  EXPECT_EQ(error_of(full), address_native_error::path_too_long) << "108 bytes, no NUL";
  std::memcpy(sun.sun_path, "/tmp/s\0garbage", 14);
  auto path = address::from_native(reinterpret_cast<const sockaddr*>(&sun), sizeof sun);
  EXPECT_EQ(path.value_or(address{}).unix_name(), "/tmp/s") << "the path stops at its NUL";
  std::memcpy(sun.sun_path, "/tmp/nonul", 10);
  auto exact = address::from_native(reinterpret_cast<const sockaddr*>(&sun),
                                    offsetof(sockaddr_un, sun_path) + 10);
  EXPECT_EQ(exact.value_or(address{}).unix_name(), "/tmp/nonul");
}

TEST(AddressNative, RejectsWhatItCannotRepresent) {
  using enum address_native_error;
  sockaddr_storage ss{};
  ss.ss_family = AF_PACKET;
  EXPECT_EQ(error_of(address::from_native(sa(ss), sizeof ss)), address_family_not_supported);
  ss.ss_family = AF_UNSPEC;
  EXPECT_EQ(error_of(address::from_native(sa(ss), sizeof ss)), address_family_not_supported);
  EXPECT_EQ(error_of(address::from_native(sa(ss), 0)), unknown_form);
  EXPECT_EQ(error_of(address::from_native(sa(ss), 1)), unknown_form);
  ss.ss_family = AF_INET;
  EXPECT_EQ(error_of(address::from_native(sa(ss), sizeof(sockaddr_in) - 1)), unknown_form);
  ss.ss_family = AF_INET6;
  EXPECT_EQ(error_of(address::from_native(sa(ss), sizeof(sockaddr_in6) - 1)), unknown_form);
  ss.ss_family = AF_UNIX;
  constexpr socklen_t off = offsetof(sockaddr_un, sun_path);
  EXPECT_EQ(error_of(address::from_native(sa(ss), off)), empty_path) << "unnamed";
  EXPECT_EQ(error_of(address::from_native(sa(ss), off + 1)), empty_path) << "empty abstract name";
  EXPECT_EQ(error_of(address::from_native(sa(ss), off + 3)), unknown_form) << "NULs in the name";
  EXPECT_EQ(error_of(address::from_native(sa(ss), sizeof ss)), path_too_long);
  std::memcpy(reinterpret_cast<sockaddr_un&>(ss).sun_path, "@x", 3);
  EXPECT_EQ(error_of(address::from_native(sa(ss), off + 3)), unknown_form) << "path '@x'";
}

TEST(AddressNativeDeathTest, NullSockaddrTraps) {
  EXPECT_DEATH((void)address::from_native(nullptr, 16), "null sockaddr");
}

// ---- with the kernel
// ------------------------------------------------------------------------------

/// Binds and listens on `a` (built with to_native), returns the listener and checks that
/// getsockname reads back as `a`.
t::fd raw_listen_on(const address& a) {
  t::fd s = t::make_socket(a.family(), SOCK_STREAM);
  sockaddr_storage ss;
  const socklen_t n = a.to_native(ss);
  EXPECT_EQ(::bind(s.get(), sa(ss), n), 0) << a << ": " << std::strerror(errno);
  EXPECT_EQ(::listen(s.get(), 8), 0);
  sockaddr_storage got{};
  ::socklen_t got_len = sizeof got;
  EXPECT_EQ(::getsockname(s.get(), reinterpret_cast<sockaddr*>(&got), &got_len), 0);
  EXPECT_EQ(address::from_native(sa(got), got_len).value_or(address{}), a);
  return s;
}

std::expected<void, dial::connect_error> dial_to(const address& a, socklen_t len) {
  t::fd c = t::make_socket(a.family(), SOCK_STREAM);
  sockaddr_storage ss;
  a.to_native(ss);
  return dial::connect(c.get(), sa(ss), len);
}

TEST(AddressKernel, AbstractNameNeedsTheExactLength) {
  const address a = *address::unix_abstract("dial-address-test-" + std::to_string(::getpid()));
  t::fd l = raw_listen_on(a);
  EXPECT_TRUE(dial_to(a, a.native_size()));
  auto padded = dial_to(a, sizeof(sockaddr_un));  // names another, padded, socket
  ASSERT_FALSE(padded);
  EXPECT_EQ(padded.error(), dial::connect_error::connection_refused);
}

TEST(AddressKernel, PathListenerReadsBackAndConnects) {
  const t::scratch_dir dir;
  const address a = *address::unix_path(dir / "addr.sock");
  t::fd l = raw_listen_on(a);
  EXPECT_TRUE(dial_to(a, a.native_size()));
}

TEST(AddressKernel, TcpListenersReadBackAndConnect) {
  for (int family : {AF_INET, AF_INET6}) {
    t::listener l = t::tcp_listener(family);
    auto a = address::from_native(l.where.sa(), l.where.len);
    ASSERT_TRUE(a);
    EXPECT_TRUE(a->is_loopback());
    EXPECT_EQ(a->port(), l.where.port());
    const std::string want =
        (family == AF_INET ? "127.0.0.1:" : "[::1]:") + std::to_string(a->port());
    EXPECT_EQ(a->to_string(), want);
    EXPECT_TRUE(dial_to(parsed(want), a->native_size()));
  }
}

}  // namespace
