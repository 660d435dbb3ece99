// tools/dial/endpoint.hpp: the one target grammar of `dial` and `dial scan`, and its messages.
#pragma once

#include <cstddef>
#include <cstdint>
#include <expected>
#include <string>
#include <string_view>

#include "dial/address.hpp"
#include "platform.hpp"

namespace dial::cli {

/// Why a word of the command line (or of an input line) was refused: a name (dial's
/// address-parse name where one fits, else one of the tool's: "InvalidDuration", ...), the byte
/// offset of the problem, a phrase saying what is wrong and, where one helps, a hint.
struct parse_problem {
  std::string_view name;   ///< "InvalidIpv4", "MissingPort", "PortNotAllowed", ...
  std::size_t offset = 0;  ///< bytes from the start of the word
  std::string message;     ///< "malformed IPv4 address"
  std::string hint{};      ///< "IPv6 needs brackets: [::1]:22"; empty for none
};

/// The user's text as messages echo it: at most 64 bytes (then "…"), control bytes, DEL and
/// '\'' escaped as \xHH, so that no input can forge a line or a terminal escape.
[[nodiscard]] std::string echo(std::string_view text);

/// "MESSAGE (NAME at byte N); HINT" (no hint: no "; ").
[[nodiscard]] std::string problem_text(const parse_problem& p);

/// "bad WHAT 'TEXT': MESSAGE (NAME at byte N); HINT", TEXT passed through echo().
[[nodiscard]] std::string describe(std::string_view what, std::string_view text,
                                   const parse_problem& p);

/// A target: HOST:PORT, where HOST is a name (resolved to every address it has), a.b.c.d or
/// [v6addr] / [v6addr%scope]; or unix:/path, unix:@name (then `host` is empty).
struct target_spec {
  std::string host;        ///< "localhost", "127.0.0.1", "::1" (no brackets); empty for Unix
  std::uint16_t port = 0;  ///< 1-65535; 0 for Unix
  address value{};         ///< the address itself when `numeric` (with the port) or Unix
  bool numeric = false;    ///< `host` is an IP literal: no lookup is made for it
};

/// Parses a target (the grammar of `dial TARGET` and `dial scan TARGET`). Names are checked for
/// their characters only; the resolver judges the rest (InvalidHostName at connect time).
[[nodiscard]] std::expected<target_spec, parse_problem> parse_target_word(std::string_view text);

/// Parses a host as `dial scan HOST -p PORTS` takes it: a name, a.b.c.d, v6addr or [v6addr]
/// (a scope allowed), without a port (PortNotAllowed otherwise). The port of the result is 0.
[[nodiscard]] std::expected<target_spec, parse_problem> parse_host_word(std::string_view text);

/// One port: 1-65535, decimal digits only, no leading zero (dial::address's port grammar).
/// Offsets count from the start of `s`.
[[nodiscard]] std::expected<std::uint16_t, parse_problem> parse_port_word(std::string_view s);

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

/// Parses a numeric endpoint with dial::address::parse (`a.b.c.d:port`, `[v6addr]:port`,
/// `[v6addr%scope]:port` with an interface name or index, `unix:/path`, `unix:@name`); port 0 is
/// refused since nothing can be connected to it. On failure, says what is wrong, the error's name
/// and the byte offset, in a phrase that reads after "bad endpoint 'TEXT': ".
[[nodiscard]] std::expected<endpoint, std::string> parse_endpoint(std::string_view text);

/// The forms parse_endpoint accepts, for messages and help.
inline constexpr std::string_view endpoint_forms =
    "a.b.c.d:port, [v6addr]:port, [v6addr%scope]:port, unix:/path or unix:@abstract";

}  // namespace dial::cli
