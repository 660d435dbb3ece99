// tools/dial/endpoint.hpp: numeric endpoints as the tool accepts them on its command line.
#pragma once

#include <sys/socket.h>

#include <expected>
#include <string>
#include <string_view>

namespace dial::cli {

/// One endpoint ready for connect: the text the user gave and the socket address it names.
/// Internal to the tool: a later issue moves address parsing into the library (dial::address).
struct endpoint {
  std::string text;            ///< as given on the command line
  int family = AF_UNSPEC;      ///< AF_INET, AF_INET6 or AF_UNIX
  sockaddr_storage storage{};  ///< the address itself
  ::socklen_t length = 0;      ///< bytes of `storage` that connect should see

  [[nodiscard]] const sockaddr* address() const noexcept {
    return reinterpret_cast<const sockaddr*>(&storage);
  }
};

/// Parses `a.b.c.d:port`, `[v6addr]:port` or `[v6addr%scope]:port` (scope: a number or an
/// interface name), `unix:/path` (any path, relative too) and `unix:@name` (Linux abstract). Only
/// numeric addresses: host names are not resolved. On failure, says what is wrong in a phrase
/// that reads after "bad endpoint 'TEXT': ".
[[nodiscard]] std::expected<endpoint, std::string> parse_endpoint(std::string_view text);

/// The forms parse_endpoint accepts, for messages and help.
inline constexpr std::string_view endpoint_forms =
    "a.b.c.d:port, [v6addr]:port, [v6addr%scope]:port, unix:/path or unix:@abstract";

}  // namespace dial::cli
