// dial/proxy.hpp: layer 3, the proxy a connect_to_host goes through (SOCKS5, HTTP CONNECT).
#pragma once

#include <cstddef>
#include <cstdint>
#include <expected>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>

#include "dial/error.hpp"
#include "dial/export.hpp"

namespace dial {

/// Which protocol a proxy speaks, and who resolves the target's name.
enum class proxy_kind : std::uint8_t {
  socks5,   ///< SOCKS5 (RFC 1928); dial resolves the target's name and sends an address
  socks5h,  ///< SOCKS5; the target's name is sent to the proxy, which resolves it (ATYP 3)
  http,     ///< HTTP CONNECT (RFC 9110 section 9.3.6); the proxy resolves the target's name
};

/// "socks5", "socks5h" or "http": the URL scheme of a kind.
[[nodiscard]] DIAL_API std::string_view scheme(proxy_kind k) noexcept;

/// A username and password for the proxy: RFC 1929 for SOCKS5 (each at most 255 bytes, the
/// username at least 1), HTTP Basic (RFC 7617) for HTTP CONNECT.
struct proxy_credentials {
  std::string username;  ///< not empty
  std::string password;  ///< may be empty
  /// Equal when both fields are.
  friend bool operator==(const proxy_credentials&, const proxy_credentials&) = default;
};

/// A proxy: its protocol, where it listens and, optionally, the credentials it wants. The
/// target of connect_to_host is reached through it (connect_to_host_options::proxy).
struct proxy {
  proxy_kind kind = proxy_kind::socks5h;         ///< the protocol
  std::string host;                              ///< a host name or a numeric IP (no brackets)
  std::uint16_t port = 1080;                     ///< where the proxy listens
  std::optional<proxy_credentials> credentials;  ///< none: no authentication is offered
  /// The URL form, the password never shown: "socks5h://user:***@127.0.0.1:1080". A username
  /// is written as given (it is not secret); bytes outside printable ASCII are escaped (%XX).
  [[nodiscard]] DIAL_API std::string to_string() const;
  /// Equal when every field is.
  friend bool operator==(const proxy&, const proxy&) = default;
};

/// The names parse_proxy can return; each comes with the byte offset of the problem, as
/// address::parse reports its own (proxy_parse_failure).
///   EmptyInput           the text is empty.
///   UnknownProxyScheme   no "://", or a scheme other than socks5, socks5h and http (any case).
///   InvalidProxyUrl      bad credentials (an empty username, a '%' not followed by two hex
///                        digits, %00, a byte outside printable ASCII, more than 255 bytes for
///                        SOCKS5), or text after the port other than one '/'.
///   InvalidHostName      the host is empty, or has a byte other than letters, digits, '-', '.'
///                        and '_' (an IPv6 address needs brackets).
///   UnterminatedBracket  '[' without its ']'.
///   InvalidIpv6, InvalidScope, UnknownInterface
///                        the bracketed IPv6 address, as address::parse reads it.
///   MissingPort          no ':port' after the host (the port is required).
///   InvalidPort          the port has a byte that is not a digit, a leading zero, or is 0.
///   PortOutOfRange       the port is above 65535.
// clang-format off
#define DIAL_PROXY_PARSE_ERRORS(X)                                                           \
  X(empty_input) X(unknown_proxy_scheme) X(invalid_proxy_url) X(invalid_host_name)          \
  X(unterminated_bracket) X(invalid_ipv6) X(invalid_scope) X(unknown_interface)             \
  X(missing_port) X(invalid_port) X(port_out_of_range)
// clang-format on
DIAL_DECLARE_ERROR_SET(proxy_parse_error, DIAL_PROXY_PARSE_ERRORS);

/// Why a proxy URL did not parse: the name, and the byte offset where the problem is (the first
/// byte that cannot belong to a valid URL, or where something missing should begin).
struct proxy_parse_failure {
  proxy_parse_error error;  ///< what is wrong
  std::size_t offset;       ///< where, in bytes from the start of the text
  /// Two failures are equal when both the name and the offset are.
  friend constexpr bool operator==(const proxy_parse_failure&,
                                   const proxy_parse_failure&) noexcept = default;
};

/// Prints "InvalidPort at offset 20".
DIAL_API std::ostream& operator<<(std::ostream& os, const proxy_parse_failure& f);

/// Parses `scheme://[user[:password]@]host:port[/]`: scheme socks5, socks5h or http (any case);
/// user and password percent-decoded (RFC 3986 userinfo: "%40" is '@', "%3A" is ':'); host a
/// name, a dotted quad or a bracketed IPv6 address (with an optional %scope); port 1-65535.
/// Never allocates beyond the result's strings; asks the OS only for a %scope given as a name.
/// docs/proxy.md has examples.
[[nodiscard]] DIAL_API std::expected<proxy, proxy_parse_failure> parse_proxy(std::string_view url);

}  // namespace dial

DIAL_REGISTER_ERROR_SET(dial::proxy_parse_error);
