// tools/dial/endpoint.hpp: numeric endpoints as the tool accepts them on its command line.
#pragma once

#include <expected>
#include <string>
#include <string_view>

#include "dial/address.hpp"
#include "platform.hpp"

namespace dial::cli {

/// One endpoint ready for connect: the text the user gave and the socket address it names.
struct endpoint {
  std::string text;            ///< as given on the command line
  int family = AF_UNSPEC;      ///< AF_INET, AF_INET6 or AF_UNIX
  sockaddr_storage storage{};  ///< the address itself
  ::socklen_t length = 0;      ///< bytes of `storage` that connect should see
  dial::address value;         ///< the parsed address

  [[nodiscard]] const sockaddr* address() const noexcept {
    return reinterpret_cast<const sockaddr*>(&storage);
  }
};

/// Parses an endpoint with dial::address::parse (`a.b.c.d:port`, `[v6addr]:port`,
/// `[v6addr%scope]:port` with an interface name or index, `unix:/path`, `unix:@name`); port 0 is
/// refused since nothing can be connected to it. On failure, says what is wrong, the error's name
/// and the byte offset, in a phrase that reads after "bad endpoint 'TEXT': ".
[[nodiscard]] std::expected<endpoint, std::string> parse_endpoint(std::string_view text);

/// The forms parse_endpoint accepts, for messages and help.
inline constexpr std::string_view endpoint_forms =
    "a.b.c.d:port, [v6addr]:port, [v6addr%scope]:port, unix:/path or unix:@abstract";

}  // namespace dial::cli
