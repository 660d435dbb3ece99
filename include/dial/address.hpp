// dial/address.hpp: layer 2, the socket address value (IPv4, IPv6 with scope, Unix path, abstract).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <functional>
#include <iosfwd>
#include <string>
#include <string_view>

#include "dial/error.hpp"
#include "dial/export.hpp"
#include "dial/sys.hpp"

// The system's own address types, declared but not defined here: public headers include no system
// socket headers. to_native fills a sockaddr_storage the caller owns; from_native reads one.
struct sockaddr;
struct sockaddr_storage;

namespace dial {

namespace detail {
// The sizes of the system's address structures, so that native_size() can be constexpr without
// the system headers. src/common/address_native.cpp checks each against the real structure.
#if defined(__APPLE__) || defined(__FreeBSD__) || defined(__NetBSD__) || defined(__OpenBSD__) || \
    defined(__DragonFly__)
inline constexpr std::size_t sun_path_size = 104;  // BSD and macOS: char sun_path[104]
#else
inline constexpr std::size_t sun_path_size = 108;  // Linux, and Windows' afunix.h
#endif
inline constexpr socklen_t sun_path_offset = 2;     ///< offsetof(sockaddr_un, sun_path)
inline constexpr socklen_t sockaddr_in_size = 16;   ///< sizeof(sockaddr_in)
inline constexpr socklen_t sockaddr_in6_size = 28;  ///< sizeof(sockaddr_in6)
}  // namespace detail

/// The names address::parse, address::unix_path and address::unix_abstract can return. Each comes
/// with the byte offset of the problem (address_parse_failure); docs/address.md has the grammar
/// and, for every name, where its offset points. None is an OS error except UnknownInterface,
/// which asks the OS (if_nametoindex) whether a scope's interface name exists.
///   EmptyInput          the text is empty.
///   InvalidIpv4         not a strict dotted quad (four decimal octets 0-255, no leading zeros).
///   InvalidIpv6         not an RFC 4291 text address inside the brackets.
///   UnterminatedBracket '[' without a closing ']'.
///   MissingPort         no ':port' after the host (or nothing after the ':').
///   InvalidPort         the port has a byte that is not a decimal digit, or a leading zero.
///   PortOutOfRange      the port is above 65535.
///   InvalidScope        the '%scope' is empty, too long, has a byte outside printable ASCII,
///                       '%', '[' or ']', or is a number with a leading zero, 0, or > 2^32-1.
///   UnknownInterface    the scope is a name and no interface has it.
///   EmptyPath           'unix:' or 'unix:@' with nothing after it.
///   PathTooLong         the path or abstract name does not fit sun_path (address::max_unix_path).
///   UnknownForm         none of the forms: unbracketed IPv6, a host name, leading whitespace, a
///                       NUL byte inside a Unix path or abstract name, a path starting with '@'.
// (clang-format 14 reflows X-macro lists differently on every run, so they are fenced off.)
// clang-format off
#define DIAL_ADDRESS_PARSE_ERRORS(X)                                                  \
  X(empty_input) X(invalid_ipv4) X(invalid_ipv6) X(unterminated_bracket)              \
  X(missing_port) X(invalid_port) X(port_out_of_range) X(invalid_scope)               \
  X(unknown_interface) X(empty_path) X(path_too_long) X(unknown_form)
// clang-format on
DIAL_DECLARE_ERROR_SET(address_parse_error, DIAL_ADDRESS_PARSE_ERRORS);

/// The names address::from_native can return.
///   AddressFamilyNotSupported  sa_family is not AF_INET, AF_INET6 or AF_UNIX.
///   UnknownForm                the length is too short for the family's structure (or for
///                              sa_family itself), or a Unix name has a NUL byte inside or a path
///                              starts with '@' (see docs/address.md).
///   EmptyPath                  an unnamed Unix socket (length offsetof(sockaddr_un, sun_path)),
///                              or an empty abstract name.
///   PathTooLong                the path fills all of sun_path with no NUL, or the abstract name
///                              is longer than sun_path allows.
// clang-format off
#define DIAL_ADDRESS_NATIVE_ERRORS(X) \
  X(address_family_not_supported) X(unknown_form) X(empty_path) X(path_too_long)
// clang-format on
DIAL_DECLARE_ERROR_SET(address_native_error, DIAL_ADDRESS_NATIVE_ERRORS);

/// Why a text did not parse: the name, and the byte offset in the text where the problem is. The
/// offset is that of the first byte that cannot belong to a valid address (the stray byte, the
/// first digit of an out-of-range number, the first byte past a length limit), or, when something
/// is missing, of where it should begin (the text's length when the text ends too early).
struct address_parse_failure {
  address_parse_error error;  ///< what is wrong
  std::size_t offset;         ///< where, in bytes from the start of the text
  /// Two failures are equal when both the name and the offset are.
  friend constexpr bool operator==(const address_parse_failure&,
                                   const address_parse_failure&) noexcept = default;
};

/// Prints "InvalidPort at offset 8".
DIAL_API std::ostream& operator<<(std::ostream& os, const address_parse_failure& f);

/// What an address is.
enum class address_kind : std::uint8_t {
  ipv4,           ///< AF_INET: four bytes and a port
  ipv6,           ///< AF_INET6: sixteen bytes, a port and a scope id (0: none)
  unix_path,      ///< AF_UNIX bound to a file system path
  unix_abstract,  ///< AF_UNIX in Linux's abstract namespace (sun_path[0] == '\0')
};

/// The longest text format_to writes: "unix:@" and the longest abstract name (113 bytes on Linux).
/// Any IP form is shorter: "[" 39 "%" 15 "]:65535" is 63 bytes.
inline constexpr std::size_t address_max_text_size = 6 + detail::sun_path_size - 1;

/// A formatted address in a fixed buffer: address::format() returns it without allocating.
struct address_text {
  std::array<char, address_max_text_size + 1> chars{};  ///< the text, then a NUL
  std::uint8_t length = 0;                              ///< bytes of text before the NUL
  /// The text.
  [[nodiscard]] constexpr std::string_view view() const noexcept { return {chars.data(), length}; }
  /// The text, NUL-terminated (an abstract name never contains a NUL, so this is all of it).
  [[nodiscard]] constexpr const char* c_str() const noexcept { return chars.data(); }
  /// Its length in bytes.
  [[nodiscard]] constexpr std::size_t size() const noexcept { return length; }
};

/// A socket address: an IPv4 or IPv6 endpoint (bytes, port, and for IPv6 a scope id), a Unix
/// socket path or a Linux abstract socket name. A small trivially copyable value (116 bytes on
/// Linux) that never allocates except in to_string(). Its text form is strict and canonical:
/// `1.2.3.4:80`, `[2001:db8::1]:443`, `[fe80::1%eth0]:80`, `[fe80::1%2]:80`, `unix:/run/x.sock`,
/// `unix:@name`; and parse(a.format()) == a for every value a (docs/address.md).
class DIAL_API address {
 public:
  /// The longest Unix path: sun_path holds it and its terminating NUL (107 bytes on Linux).
  static constexpr std::size_t max_unix_path = detail::sun_path_size - 1;
  /// The longest abstract name: sun_path holds its leading NUL and the name (107 on Linux).
  static constexpr std::size_t max_abstract_name = detail::sun_path_size - 1;
  /// The longest text format_to writes.
  static constexpr std::size_t max_text_size = address_max_text_size;

  /// 0.0.0.0:0, the unspecified IPv4 address.
  constexpr address() noexcept = default;

  /// An IPv4 endpoint from its four bytes in network order (1.2.3.4 is {1, 2, 3, 4}).
  [[nodiscard]] static constexpr address ipv4(const std::array<std::uint8_t, 4>& bytes,
                                              std::uint16_t port) noexcept {
    address a;
    a.kind_ = address_kind::ipv4;
    a.size_ = 4;
    a.port_ = port;
    for (std::size_t i = 0; i < 4; ++i) a.bytes_[i] = static_cast<char>(bytes[i]);
    return a;
  }

  /// An IPv6 endpoint from its sixteen bytes in network order, with a scope id (the interface
  /// index for a link-local address; 0 for none).
  [[nodiscard]] static constexpr address ipv6(const std::array<std::uint8_t, 16>& bytes,
                                              std::uint16_t port,
                                              std::uint32_t scope_id = 0) noexcept {
    address a;
    a.kind_ = address_kind::ipv6;
    a.size_ = 16;
    a.port_ = port;
    a.scope_ = scope_id;
    for (std::size_t i = 0; i < 16; ++i) a.bytes_[i] = static_cast<char>(bytes[i]);
    return a;
  }

  /// 127.0.0.1:port.
  [[nodiscard]] static constexpr address loopback_ipv4(std::uint16_t port) noexcept {
    return ipv4({127, 0, 0, 1}, port);
  }
  /// `[::1]:port`.
  [[nodiscard]] static constexpr address loopback_ipv6(std::uint16_t port) noexcept {
    return ipv6({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, port);
  }

  /// A Unix socket path, absolute or relative. Fails with EmptyPath, PathTooLong (longer than
  /// max_unix_path), or UnknownForm for a NUL byte inside or a leading '@' (whose text form would
  /// read as an abstract name); offsets are into `path`.
  [[nodiscard]] static std::expected<address, address_parse_failure> unix_path(
      std::string_view path) noexcept;

  /// A Linux abstract socket name, without the leading NUL the kernel sees. Any bytes but NUL
  /// (a name with NULs inside could not round-trip through text). Fails with EmptyPath,
  /// PathTooLong (longer than max_abstract_name) or UnknownForm (a NUL); offsets are into `name`.
  [[nodiscard]] static std::expected<address, address_parse_failure> unix_abstract(
      std::string_view name) noexcept;

  /// Parses the strict text form (docs/address.md has the grammar). Never allocates. Resolving a
  /// scope given as an interface name asks the OS (if_nametoindex); every other form is pure.
  [[nodiscard]] static std::expected<address, address_parse_failure> parse(
      std::string_view text) noexcept;

  /// Reads a system address of `len` bytes (as accept, getsockname or recvfrom return it). The
  /// bytes are copied, so `sa` need not be aligned. IPv6 flow information is dropped. `sa` must
  /// not be null (a programmer error: it traps).
  [[nodiscard]] static std::expected<address, address_native_error> from_native(
      const sockaddr* sa, socklen_t len) noexcept;

  /// What the address is.
  [[nodiscard]] constexpr address_kind kind() const noexcept { return kind_; }
  /// The AF_* value for socket() and sa_family: AF_INET, AF_INET6 or AF_UNIX.
  [[nodiscard]] int family() const noexcept;
  /// Whether it is an IPv4 or IPv6 endpoint.
  [[nodiscard]] constexpr bool is_ip() const noexcept { return is_ip_kind(); }
  /// Whether it is a Unix path or abstract name.
  [[nodiscard]] constexpr bool is_unix() const noexcept { return !is_ip_kind(); }

  /// The port in host order; 0 for a Unix address.
  [[nodiscard]] constexpr std::uint16_t port() const noexcept { return port_; }
  /// The same address with another port; a Unix address is returned unchanged.
  [[nodiscard]] constexpr address with_port(std::uint16_t port) const noexcept {
    address a = *this;
    if (is_ip_kind()) a.port_ = port;
    return a;
  }
  /// The IPv6 scope id (an interface index); 0 for none and for every other kind.
  [[nodiscard]] constexpr std::uint32_t scope_id() const noexcept { return scope_; }
  /// The same address with another scope id; anything but IPv6 is returned unchanged.
  [[nodiscard]] constexpr address with_scope_id(std::uint32_t scope_id) const noexcept {
    address a = *this;
    if (kind_ == address_kind::ipv6) a.scope_ = scope_id;
    return a;
  }

  /// The four bytes of an IPv4 address in network order; zeros for every other kind.
  [[nodiscard]] constexpr std::array<std::uint8_t, 4> ipv4_bytes() const noexcept {
    std::array<std::uint8_t, 4> b{};
    if (kind_ == address_kind::ipv4)
      for (std::size_t i = 0; i < 4; ++i) b[i] = static_cast<std::uint8_t>(bytes_[i]);
    return b;
  }
  /// The sixteen bytes of an IPv6 address in network order; zeros for every other kind.
  [[nodiscard]] constexpr std::array<std::uint8_t, 16> ipv6_bytes() const noexcept {
    std::array<std::uint8_t, 16> b{};
    if (kind_ == address_kind::ipv6)
      for (std::size_t i = 0; i < 16; ++i) b[i] = static_cast<std::uint8_t>(bytes_[i]);
    return b;
  }
  /// The Unix path, or the abstract name without its leading NUL (or '@'); empty for IP kinds.
  [[nodiscard]] constexpr std::string_view unix_name() const noexcept {
    return is_ip_kind() ? std::string_view{} : std::string_view{bytes_.data(), size_};
  }

  /// 127.0.0.0/8, ::1, and IPv4-mapped 127.0.0.0/8 (\::ffff:127.0.0.1), which Linux routes to
  /// loopback too.
  [[nodiscard]] constexpr bool is_loopback() const noexcept {
    if (kind_ == address_kind::ipv4) return byte(0) == 127;
    if (kind_ != address_kind::ipv6) return false;
    if (is_v4_mapped()) return byte(12) == 127;
    return leading_zero_bytes() == 15 && byte(15) == 1;
  }
  /// 0.0.0.0 or :: (any port).
  [[nodiscard]] constexpr bool is_unspecified() const noexcept {
    if (!is_ip_kind()) return false;
    return leading_zero_bytes() == size_;
  }
  /// 169.254.0.0/16 or fe80::/10: an address that needs a scope id to be dialled (IPv6).
  [[nodiscard]] constexpr bool is_link_local() const noexcept {
    if (kind_ == address_kind::ipv4) return byte(0) == 169 && byte(1) == 254;
    return kind_ == address_kind::ipv6 && byte(0) == 0xfe && (byte(1) & 0xc0) == 0x80;
  }
  /// \::ffff:0:0/96, an IPv4 address carried in IPv6 (RFC 4291 section 2.5.5.2).
  [[nodiscard]] constexpr bool is_v4_mapped() const noexcept {
    return kind_ == address_kind::ipv6 && leading_zero_bytes() >= 10 && byte(10) == 0xff &&
           byte(11) == 0xff;
  }

  /// The exact length connect and bind need: sizeof(sockaddr_in) or sizeof(sockaddr_in6);
  /// offsetof(sockaddr_un, sun_path) + path length + 1 for a path (its NUL included); and
  /// offsetof(sockaddr_un, sun_path) + 1 + name length for an abstract name (the kernel takes
  /// every byte up to that length as the name, so sizeof(sockaddr_un) would name another socket).
  [[nodiscard]] constexpr socklen_t native_size() const noexcept {
    switch (kind_) {
      case address_kind::ipv4: return detail::sockaddr_in_size;
      case address_kind::ipv6: return detail::sockaddr_in6_size;
      case address_kind::unix_path:
      case address_kind::unix_abstract: return detail::sun_path_offset + 1 + size_;
    }
    return 0;
  }

  /// Writes the system address into `out` (zeroing the rest) and returns native_size(): the
  /// pair to hand to connect or bind. Never allocates or fails.
  socklen_t to_native(sockaddr_storage& out) const noexcept;

  /// Writes the canonical text into buf if it fits in `size` bytes (no NUL is added) and returns
  /// its length, which is at most max_text_size. When the length is above `size` nothing is
  /// written. Never allocates; a scope id is written as its interface's name when
  /// if_indextoname knows it and the name reads back as a name (printable ASCII without '%',
  /// '[' or ']', not all digits), else as a number.
  std::size_t format_to(char* buf, std::size_t size) const noexcept;
  /// The canonical text in a fixed buffer, without allocating.
  [[nodiscard]] address_text format() const noexcept;
  /// The canonical text as a std::string (the one call here that allocates).
  [[nodiscard]] std::string to_string() const;

  /// A hash of the value: equal addresses hash equal. Used by std::hash<dial::address>.
  [[nodiscard]] constexpr std::size_t hash() const noexcept {
    std::uint64_t h = 14695981039346656037ull;  // FNV-1a: short inputs, good spread, constexpr
    auto mix = [&h](std::uint64_t v) { h = (h ^ v) * 1099511628211ull; };
    mix(static_cast<std::uint64_t>(kind_));
    mix(port_);
    mix(scope_);
    for (std::size_t i = 0; i < size_; ++i) mix(static_cast<unsigned char>(bytes_[i]));
    return static_cast<std::size_t>(h);
  }

  /// Equal when kind, bytes (or name), port and scope id are all equal.
  friend constexpr bool operator==(const address&, const address&) noexcept = default;

 private:
  constexpr bool is_ip_kind() const noexcept {
    return kind_ == address_kind::ipv4 || kind_ == address_kind::ipv6;
  }
  constexpr std::uint8_t byte(std::size_t i) const noexcept {
    return static_cast<std::uint8_t>(bytes_[i]);
  }
  constexpr std::size_t leading_zero_bytes() const noexcept {
    std::size_t n = 0;
    while (n < size_ && bytes_[n] == 0) ++n;
    return n;
  }
  static std::expected<address, address_parse_failure> make_unix(address_kind kind,
                                                                 std::string_view name,
                                                                 std::size_t offset) noexcept;

  // Invariant: bytes past size_ are zero, and port_/scope_ are zero where the kind has none, so
  // the defaulted == compares values.
  address_kind kind_ = address_kind::ipv4;
  std::uint8_t size_ = 4;                            // 4, 16, or the Unix name's length
  std::uint16_t port_ = 0;                           // host order
  std::uint32_t scope_ = 0;                          // IPv6 only
  std::array<char, detail::sun_path_size> bytes_{};  // the IP bytes or the Unix name
};

/// Prints the canonical text.
DIAL_API std::ostream& operator<<(std::ostream& os, const address& a);

}  // namespace dial

DIAL_REGISTER_ERROR_SET(dial::address_parse_error);
DIAL_REGISTER_ERROR_SET(dial::address_native_error);

/// \cond std_specialisations (Doxygen cannot place a std:: specialisation at global scope)
/// Hashes dial::address for unordered containers.
template <>
struct std::hash<dial::address> {
  /// The address's own hash().
  constexpr std::size_t operator()(const dial::address& a) const noexcept { return a.hash(); }
};
/// \endcond
