// src/windows/address_native.cpp: dial::address to and from Winsock's sockaddr, and interface
// names (iphlpapi's if_nametoindex and if_indextoname).
#include "windows/winsock.hpp"
// winsock.hpp first: these need winsock2.h before them.
#include <afunix.h>
#include <iphlpapi.h>
#include <ws2tcpip.h>

#include <algorithm>
#include <cstddef>
#include <cstring>

#include "common/interface_names.hpp"
#include "dial/address.hpp"

namespace dial {

// The header's constants stand for these structures (afunix.h keeps Linux's layout).
static_assert(sizeof(sockaddr_un::sun_path) == detail::sun_path_size);
static_assert(offsetof(sockaddr_un, sun_path) == detail::sun_path_offset);
static_assert(sizeof(sockaddr_in) == detail::sockaddr_in_size);
static_assert(sizeof(sockaddr_in6) == detail::sockaddr_in6_size);
static_assert(address::max_text_size <= 255, "address_text::length is one byte");

namespace {

using enum address_native_error;

socklen_t write_ipv4(const address& a, sockaddr_storage& out) noexcept {
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_port = ::htons(a.port());
  std::memcpy(&sin.sin_addr, a.ipv4_bytes().data(), 4);
  std::memcpy(&out, &sin, sizeof sin);
  return sizeof sin;
}

socklen_t write_ipv6(const address& a, sockaddr_storage& out) noexcept {
  sockaddr_in6 sin6{};
  sin6.sin6_family = AF_INET6;
  sin6.sin6_port = ::htons(a.port());
  sin6.sin6_scope_id = a.scope_id();
  std::memcpy(&sin6.sin6_addr, a.ipv6_bytes().data(), 16);
  std::memcpy(&out, &sin6, sizeof sin6);
  return sizeof sin6;
}

/// As on Linux: a path is NUL-terminated; an abstract name starts with a NUL and is delimited by
/// the length (Windows' AF_UNIX documents the same three forms as Linux: path, abstract, unnamed).
socklen_t write_unix(const address& a, sockaddr_storage& out) noexcept {
  sockaddr_un sun{};
  sun.sun_family = AF_UNIX;
  const std::string_view name = a.unix_name();
  const std::size_t at = a.kind() == address_kind::unix_abstract ? 1 : 0;
  std::memcpy(sun.sun_path + at, name.data(), name.size());
  std::memcpy(&out, &sun, sizeof sun);
  return a.native_size();
}

address_native_error from_parse_error(address_parse_error e) noexcept {
  switch (e) {
    case address_parse_error::empty_path:
      return empty_path;
    case address_parse_error::path_too_long:
      return path_too_long;
    default:
      return unknown_form;  // a NUL inside, or a path starting with '@'
  }
}

std::expected<address, address_native_error> read_unix(const sockaddr_storage& ss,
                                                       socklen_t len) noexcept {
  constexpr socklen_t off = offsetof(sockaddr_un, sun_path);
  if (len <= off) return std::unexpected(empty_path);  // unnamed: an unbound client
  sockaddr_un sun;
  std::memcpy(&sun, &ss, sizeof sun);
  const auto n = static_cast<std::size_t>(len - off);
  std::expected<address, address_parse_failure> r;
  if (sun.sun_path[0] != '\0') {
    const std::size_t avail = std::min(n, sizeof sun.sun_path);
    r = address::unix_path({sun.sun_path, ::strnlen(sun.sun_path, avail)});
  } else if (n - 1 > address::max_abstract_name) {
    return std::unexpected(path_too_long);
  } else {
    r = address::unix_abstract({sun.sun_path + 1, n - 1});
  }
  if (!r) return std::unexpected(from_parse_error(r.error().error));
  return *r;
}

std::expected<address, address_native_error> read_ip(const sockaddr_storage& ss,
                                                     socklen_t len) noexcept {
  if (ss.ss_family == AF_INET) {
    if (len < static_cast<socklen_t>(sizeof(sockaddr_in))) return std::unexpected(unknown_form);
    sockaddr_in sin;
    std::memcpy(&sin, &ss, sizeof sin);
    std::array<std::uint8_t, 4> b;
    std::memcpy(b.data(), &sin.sin_addr, 4);
    return address::ipv4(b, ::ntohs(sin.sin_port));
  }
  if (len < static_cast<socklen_t>(sizeof(sockaddr_in6))) return std::unexpected(unknown_form);
  sockaddr_in6 sin6;
  std::memcpy(&sin6, &ss, sizeof sin6);
  std::array<std::uint8_t, 16> b;
  std::memcpy(b.data(), &sin6.sin6_addr, 16);
  return address::ipv6(b, ::ntohs(sin6.sin6_port), sin6.sin6_scope_id);
}

}  // namespace

int address::family() const noexcept {
  switch (kind_) {
    case address_kind::ipv4:
      return AF_INET;
    case address_kind::ipv6:
      return AF_INET6;
    case address_kind::unix_path:
    case address_kind::unix_abstract:
      return AF_UNIX;
  }
  return AF_UNSPEC;
}

socklen_t address::to_native(sockaddr_storage& out) const noexcept {
  std::memset(&out, 0, sizeof out);
  switch (kind_) {
    case address_kind::ipv4:
      return write_ipv4(*this, out);
    case address_kind::ipv6:
      return write_ipv6(*this, out);
    case address_kind::unix_path:
    case address_kind::unix_abstract:
      return write_unix(*this, out);
  }
  return 0;
}

std::expected<address, address_native_error> address::from_native(const sockaddr* sa,
                                                                  socklen_t len) noexcept {
  if (sa == nullptr)
    detail::trap("address::from_native", WSAEFAULT, "WSAEFAULT", "a null sockaddr pointer");
  constexpr socklen_t family_end = offsetof(sockaddr, sa_family) + sizeof(ADDRESS_FAMILY);
  if (len < family_end) return std::unexpected(unknown_form);
  sockaddr_storage ss{};
  std::memcpy(&ss, sa, std::min<std::size_t>(static_cast<std::size_t>(len), sizeof ss));
  switch (ss.ss_family) {
    case AF_INET:
    case AF_INET6:
      return read_ip(ss, len);
    case AF_UNIX:
      return read_unix(ss, len);
    default:
      return std::unexpected(address_family_not_supported);
  }
}

namespace detail {

// Windows' interface names (NDIS names such as "loopback_0" or "ethernet_32768") may be up to
// IF_NAMESIZE (256) bytes long; dial's text form keeps Linux's limit of 15, so a longer name is
// neither parsed nor printed (the scope is then printed as its number).
std::uint32_t interface_index(std::string_view name) noexcept {
  char z[interface_name_capacity] = {};
  if (name.empty() || name.size() >= sizeof z) return 0;
  std::memcpy(z, name.data(), name.size());
  return ::if_nametoindex(z);
}

std::size_t interface_name(std::uint32_t index, char (&out)[interface_name_capacity]) noexcept {
  char found[IF_MAX_STRING_SIZE + 1] = {};  // IF_NAMESIZE, whose header mingw does not include
  if (::if_indextoname(index, found) == nullptr) return 0;
  const std::size_t n = ::strnlen(found, sizeof found);
  if (n == 0 || n >= interface_name_capacity) return 0;
  std::memcpy(out, found, n + 1);
  return n;
}

}  // namespace detail
}  // namespace dial
