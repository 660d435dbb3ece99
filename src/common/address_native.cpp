// src/common/address_native.cpp: dial::address to and from the system's sockaddr, written once for
// POSIX and Winsock (the structures have the same layout; src/common/sockets.hpp picks the
// headers).
#include "common/sockets.hpp"

#include <algorithm>
#include <cstddef>
#include <cstring>

#include "common/interface_names.hpp"
#include "dial/address.hpp"

namespace dial {

// The header's constants stand for these structures; a platform where they differ must say so.
static_assert(sizeof(sockaddr_un::sun_path) == detail::sun_path_size);
static_assert(offsetof(sockaddr_un, sun_path) == detail::sun_path_offset);
static_assert(sizeof(sockaddr_in) == detail::sockaddr_in_size);
static_assert(sizeof(sockaddr_in6) == detail::sockaddr_in6_size);
static_assert(address::max_text_size <= 255, "address_text::length is one byte");

namespace {

using enum address_native_error;

/// Sets the BSD length byte (sin_len, sin6_len, sun_len) where the platform has one; SIN6_LEN
/// is the BSD way of saying the field exists. Linux has none.
template <class T>
void set_native_length([[maybe_unused]] T& sa, [[maybe_unused]] socklen_t len) noexcept {
#ifdef SIN6_LEN
  reinterpret_cast<sockaddr&>(sa).sa_len = static_cast<std::uint8_t>(len);
#endif
}

socklen_t write_ipv4(const address& a, sockaddr_storage& out) noexcept {
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_port = htons(a.port());
  std::memcpy(&sin.sin_addr, a.ipv4_bytes().data(), 4);
  set_native_length(sin, sizeof sin);
  std::memcpy(&out, &sin, sizeof sin);
  return sizeof sin;
}

socklen_t write_ipv6(const address& a, sockaddr_storage& out) noexcept {
  sockaddr_in6 sin6{};
  sin6.sin6_family = AF_INET6;
  sin6.sin6_port = htons(a.port());
  sin6.sin6_scope_id = a.scope_id();
  std::memcpy(&sin6.sin6_addr, a.ipv6_bytes().data(), 16);
  set_native_length(sin6, sizeof sin6);
  std::memcpy(&out, &sin6, sizeof sin6);
  return sizeof sin6;
}

/// A path is NUL-terminated; an abstract name starts with a NUL and is delimited by the length.
socklen_t write_unix(const address& a, sockaddr_storage& out) noexcept {
  sockaddr_un sun{};
  sun.sun_family = AF_UNIX;
  const std::string_view name = a.unix_name();
  const std::size_t at = a.kind() == address_kind::unix_abstract ? 1 : 0;
  std::memcpy(sun.sun_path + at, name.data(), name.size());
  const socklen_t len = a.native_size();
  set_native_length(sun, len);
  std::memcpy(&out, &sun, sizeof sun);
  return len;
}

/// The address_native_error a Unix name's check stands for.
address_native_error from_parse_error(address_parse_error e) noexcept {
  switch (e) {
    case address_parse_error::empty_path: return empty_path;
    case address_parse_error::path_too_long: return path_too_long;
    default: return unknown_form;  // a NUL inside, or a path starting with '@'
  }
}

std::expected<address, address_native_error> read_unix(const sockaddr_storage& ss,
                                                       socklen_t len) noexcept {
  constexpr socklen_t off = offsetof(sockaddr_un, sun_path);
  if (len <= off) return std::unexpected(empty_path);  // unnamed: socketpair, unbound client
  sockaddr_un sun;
  std::memcpy(&sun, &ss, sizeof sun);
  const auto n =
      static_cast<std::size_t>(len - off);  // may exceed sun_path: callers pass sizeof(storage)
  std::expected<address, address_parse_failure> r;
  if (sun.sun_path[0] != '\0') {
    // The kernel stops a path at its first NUL and accepts a full sun_path without one.
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
    return address::ipv4(b, ntohs(sin.sin_port));
  }
  if (len < static_cast<socklen_t>(sizeof(sockaddr_in6))) return std::unexpected(unknown_form);
  sockaddr_in6 sin6;
  std::memcpy(&sin6, &ss, sizeof sin6);
  std::array<std::uint8_t, 16> b;
  std::memcpy(b.data(), &sin6.sin6_addr, 16);
  return address::ipv6(b, ntohs(sin6.sin6_port), sin6.sin6_scope_id);
}

}  // namespace

int address::family() const noexcept {
  switch (kind_) {
    case address_kind::ipv4: return AF_INET;
    case address_kind::ipv6: return AF_INET6;
    case address_kind::unix_path:
    case address_kind::unix_abstract: return AF_UNIX;
  }
  return AF_UNSPEC;
}

socklen_t address::to_native(sockaddr_storage& out) const noexcept {
  std::memset(&out, 0, sizeof out);
  switch (kind_) {
    case address_kind::ipv4: return write_ipv4(*this, out);
    case address_kind::ipv6: return write_ipv6(*this, out);
    case address_kind::unix_path:
    case address_kind::unix_abstract: return write_unix(*this, out);
  }
  return 0;
}

std::expected<address, address_native_error> address::from_native(const sockaddr* sa,
                                                                  socklen_t len) noexcept {
  if (sa == nullptr)
    detail::trap("address::from_native", detail::native_bad_pointer,
                 detail::native_bad_pointer_name, "a null sockaddr pointer");
  constexpr socklen_t family_end = offsetof(sockaddr, sa_family) + sizeof(sockaddr::sa_family);
  if (len < family_end) return std::unexpected(unknown_form);
  // Copy what the caller gave (no more than a sockaddr_storage) so no field is read unaligned.
  sockaddr_storage ss{};
  std::memcpy(&ss, sa, std::min<std::size_t>(static_cast<std::size_t>(len), sizeof ss));
  switch (ss.ss_family) {
    case AF_INET:
    case AF_INET6: return read_ip(ss, len);
    case AF_UNIX: return read_unix(ss, len);
    default: return std::unexpected(address_family_not_supported);
  }
}

}  // namespace dial
