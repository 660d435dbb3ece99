// tools/dial/connect_flags.hpp: the connect options `dial`, `dial why` and `dial pipe` take
// (--interface, --source, --mark, --fastopen, --mptcp, --user-timeout, --keepalive, --nodelay),
// parsed once for every command.
#pragma once

#include <cstddef>
#include <expected>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dial/address.hpp"
#include "dial/socket.hpp"
#include "endpoint.hpp"

namespace dial::cli {

/// What the connect flags of one command line ask for.
struct connect_flags {
  dial::socket_options socket;          ///< --interface, --mark, --fastopen, --mptcp, ...
  std::optional<dial::address> source;  ///< --source (port 0 when none was given)
  std::vector<std::string> given;       ///< each flag as it was spelled, in order
  [[nodiscard]] bool empty() const noexcept { return given.empty(); }
};

/// If args[i] is a connect flag, applies it (its value after '=' or in the next argument, then
/// `i` is advanced past it) and returns true; false when it is not one of them. A malformed
/// value is the usage error's message ("bad mark 'x': ...").
[[nodiscard]] std::expected<bool, std::string> take_connect_flag(connect_flags& f,
                                                                 std::span<char* const> args,
                                                                 std::size_t& i);

/// --source's value: an IPv4 or IPv6 address, with or without a port (a.b.c.d, a.b.c.d:PORT,
/// v6addr, [v6addr], [v6addr]:PORT; a scope allowed). Port 0 (or none): the kernel picks one.
[[nodiscard]] std::expected<dial::address, parse_problem> parse_source(std::string_view text);

/// --mark's value: 0 to 4294967295, decimal or 0x hexadecimal.
[[nodiscard]] std::expected<std::uint32_t, parse_problem> parse_mark(std::string_view text);

/// "interface lo, source 127.0.0.2, mark 0x7, nodelay, fast open, MPTCP"; "" when none is set.
[[nodiscard]] std::string options_text(const connect_flags& f);

/// Each option that `o` sets, alone, with its label ("mark 7 (SO_MARK)"), in the order
/// apply_socket_options sets them: `dial why` applies them one by one to say which was refused.
[[nodiscard]] std::vector<std::pair<std::string, dial::socket_options>> each_option(
    const dial::socket_options& o);

/// The help lines of the connect flags (two spaces in, the descriptions at column 22).
inline constexpr std::string_view connect_flags_help =
    R"(  --interface NAME    send through interface NAME only (SO_BINDTODEVICE; on Windows
                      IP_UNICAST_IF); an unknown name is the outcome UnknownInterface
  --source ADDR[:PORT]
                      bind to this local address first (a.b.c.d, v6addr or
                      [v6addr]:PORT; no port or 0: the kernel picks one); only the
                      addresses of a name that are of its family are tried
  --mark N            set the firewall and routing mark N (SO_MARK, Linux; decimal
                      or 0x hex; needs CAP_NET_ADMIN, else PermissionDenied)
  --fastopen          TCP Fast Open (TCP_FASTOPEN_CONNECT, Linux): with a cookie
                      cached for the address, connect returns at once without a
                      handshake and the first bytes sent ride in the SYN; -v says
                      Deferred then. Ignored where the system has no Fast Open
  --mptcp             Multipath TCP (IPPROTO_MPTCP, Linux 5.6+), falling back to TCP
                      when this kernel or the peer does not speak it; -v says which
  --user-timeout DURATION
                      drop the connection when sent data stays unacknowledged for
                      DURATION (TCP_USER_TIMEOUT)
  --keepalive DURATION
                      TCP keepalive: a probe after DURATION idle, then every
                      DURATION; 9 unanswered drop the connection
  --nodelay           TCP_NODELAY: send small writes at once (no Nagle)
)";

}  // namespace dial::cli
