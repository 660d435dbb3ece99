// dial/dialer.hpp: layer 3, connecting with a deadline and cancellation; Happy Eyeballs v2.
#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "dial/address.hpp"
#include "dial/error.hpp"
#include "dial/export.hpp"
#include "dial/proxy.hpp"
#include "dial/resolve.hpp"  // deadline_clock, resolve_options, resolve_error
#include "dial/socket.hpp"
#include "dial/sys.hpp"

namespace dial {

/// The names connect_until can return: connect's fourteen, plus
///   Timeout   the deadline passed while the attempt was still in progress.
///   Canceled  the stop token was triggered (before or during the attempt).
///   ProcessFdQuotaExceeded  the wait itself was refused: RLIMIT_NOFILE is below the two
///             descriptors it watches (poll's EINVAL).
/// connect_error and poll_error widen into it without a table: dial::widen<connect_until_error>(e).
#define DIAL_CONNECT_UNTIL_ERRORS(X) \
  DIAL_CONNECT_ERRORS(X) X(timeout) X(canceled) X(process_fd_quota_exceeded)
DIAL_DECLARE_ERROR_SET(connect_until_error, DIAL_CONNECT_UNTIL_ERRORS);

/// Connects with a deadline and optional cancellation. Does not correspond to a single system
/// call: it starts a non-blocking connect, waits for writability (or cancellation) until
/// `deadline`, then completes through getsockopt_error and checks that the socket really is
/// connected before trusting the wake-up (spurious readiness goes back to waiting). Every error
/// goes through connect's one table.
///
/// The socket may be blocking or not; a blocking socket is made non-blocking for the attempt and
/// restored to blocking afterwards, on success and on failure alike. An attempt that completes at
/// once succeeds even if the deadline has passed; a stop already requested gives Canceled without
/// any system call. A wake-up that shows neither an error nor a peer (a spurious one) goes back to
/// waiting; one that keeps reporting a hang-up without error or peer is ConnectionResetByPeer.
///
/// A Unix socket whose listener's backlog is full (EAGAIN) has no attempt in progress to wait
/// for: connect_until retries it with a growing pause (1 ms to 50 ms) until the deadline.
///
/// State after a failure: the socket is open (the caller still owns it), in the blocking mode it
/// came in, and cannot be connected again. After Timeout or Canceled, the kernel's attempt may
/// still be running (closing the socket abandons it); after any other name the socket's error has
/// been consumed (SO_ERROR reads 0). Close it (dial::close) and open a new one for the next
/// attempt. Nothing else is left behind: the cancellation descriptor is closed before returning.
[[nodiscard]] DIAL_API std::expected<void, connect_until_error> connect_until(
    socket_t sock, const sockaddr* addr, socklen_t len, deadline_clock::time_point deadline,
    std::stop_token stop = {}) noexcept;

/// connect_until with a deadline `timeout` from now.
[[nodiscard]] inline std::expected<void, connect_until_error> connect_for(
    socket_t sock, const sockaddr* addr, socklen_t len, std::chrono::nanoseconds timeout,
    std::stop_token stop = {}) noexcept {
  return connect_until(sock, addr, len, deadline_clock::now() + timeout, std::move(stop));
}

// ---- connect_to_host: Happy Eyeballs v2 (RFC 8305) ------------------------------------------

/// The names connect_to_host can return: the union of connect_until's (connect's plus Timeout and
/// Canceled), socket's, setsockopt's (options.socket), bind's (options.source) and resolve's
/// names. Each of those sets widens into it through dial::widen, checked by the compiler from the
/// one list (static_asserts in src/common/connect_to_host.cpp). When every address failed, the
/// error is the first attempt's (the most preferred address); each attempt's own outcome is in the
/// report. Through a proxy (connect_to_host_options::proxy) the handshake adds the five Proxy*
/// names, and the proxy's replies map to the names above (docs/proxy.md).
// clang-format off
#define DIAL_CONNECT_TO_HOST_ERRORS(X)                                                       \
  X(access_denied) X(permission_denied) X(address_in_use) X(address_not_available)          \
  X(address_family_not_supported) X(would_block) X(connection_pending) X(connection_refused) \
  X(connection_reset_by_peer) X(connection_timed_out) X(network_unreachable)                 \
  X(file_not_found) X(system_resources) X(protocol_family_not_available)                    \
  X(process_fd_quota_exceeded) X(system_fd_quota_exceeded) X(protocol_not_supported)        \
  X(socket_type_not_supported) X(already_connected) X(invalid_protocol_option)              \
  X(timeout_too_big) X(invalid_option) X(unknown_interface) X(operation_not_supported)      \
  X(unknown_host_name) X(host_lacks_network_addresses)                                      \
  X(temporary_name_server_failure) X(name_server_failure) X(invalid_host_name)              \
  X(out_of_memory) X(timeout) X(canceled) X(unexpected)                                      \
  X(proxy_authentication_required) X(proxy_authentication_failed) X(proxy_protocol_error)   \
  X(proxy_connection_closed) X(proxy_failure)                                               \
  /* bind's, for options.source */                                                           \
  X(invalid_address) X(sym_link_loop) X(path_too_long) X(not_dir) X(read_only_file_system)
// clang-format on
DIAL_DECLARE_ERROR_SET(connect_to_host_error, DIAL_CONNECT_TO_HOST_ERRORS);

/// One connection attempt of a race: where to, when it started and ended, and how it ended.
struct connect_attempt {
  address to;                          ///< the destination (IPv4 or IPv6, with the port)
  deadline_clock::time_point start{};  ///< when its connect was issued
  deadline_clock::time_point end{};    ///< when its outcome was known (or it was closed)
  /// Success ("Connected"), or the attempt's own error. An attempt closed because another won is
  /// Canceled; one still in progress when the overall deadline passed is Timeout; one closed by
  /// options.stop is Canceled.
  std::expected<void, connect_to_host_error> outcome;
  int native = 0;  ///< the OS code behind the error (0 for success, Timeout, Canceled)
  /// "Connected" or the error's name ("ConnectionRefused", ...).
  [[nodiscard]] std::string_view outcome_name() const noexcept {
    return outcome ? std::string_view("Connected") : name(outcome.error());
  }
};

/// One family's DNS answer as the race saw it.
struct lookup_event {
  address_kind family = address_kind::ipv6;    ///< ipv6 (AAAA) or ipv4 (A)
  deadline_clock::time_point at{};             ///< when the answer arrived
  std::size_t addresses = 0;                   ///< how many addresses it brought
  std::expected<void, resolve_error> outcome;  ///< or why it brought none
  /// The resolver's own code behind a failed answer (a c-ares status such as ARES_ENOTFOUND, an
  /// EAI_* code, or a Windows resolver error), 0 when none; resolver_code_name() spells it.
  int native = 0;
};

/// How far a connect_to_host through a proxy got (proxy_report::step).
enum class proxy_step : std::uint8_t {
  resolve_target,  ///< socks5: resolving the target's name here, before the proxy is dialled
  connect,         ///< the race to the proxy's own addresses (the report's lookups, attempts)
  greeting,        ///< SOCKS5: the method negotiation
  authentication,  ///< SOCKS5: RFC 1929 username and password
  request,         ///< the CONNECT request (SOCKS5 or HTTP) and the proxy's reply
  tunnel,          ///< done: the tunnel to the target is open
};

/// "resolve_target", "connect", "greeting", "authentication", "request" or "tunnel".
[[nodiscard]] DIAL_API std::string_view name(proxy_step s) noexcept;

/// The proxy hop of a connect_to_host: the proxy, the target as asked and as sent, how far the
/// handshake got and the proxy's own reply. The race to the proxy is the report's lookups and
/// attempts.
struct proxy_report {
  proxy via;                      ///< the proxy; its password is removed (never kept in a report)
  std::string target_host;        ///< the target's host as asked
  std::uint16_t target_port = 0;  ///< the target's port
  /// socks5 only: the target's addresses as dial resolved them (the first is the one sent).
  std::vector<address> target_addresses;
  /// The target as sent to the proxy: "198.51.100.7:80", "[2001:db8::1]:80" (an address:
  /// socks5, or a numeric host) or "example.test:80" (a name: socks5h, http); empty when the
  /// request was never sent.
  std::string target_sent;
  proxy_step step = proxy_step::connect;  ///< the step it ended in (tunnel: success)
  deadline_clock::time_point start{};     ///< when the handshake began ({}: it never did)
  deadline_clock::time_point end{};       ///< when it ended
  /// The hop's outcome: success, or the error connect_to_host returned.
  std::expected<void, connect_to_host_error> outcome;
  /// The proxy's own code: the SOCKS5 method (greeting), the RFC 1929 status (authentication)
  /// or REP byte (request), or the HTTP status; -1 when no reply arrived for the step.
  int reply = -1;
  /// The HTTP reason phrase ("Unable to connect"), printable ASCII, at most 128 bytes.
  std::string reply_text;
  /// SOCKS5: the proxy's BND.ADDR:BND.PORT from its success reply ("0.0.0.0:0" is common).
  std::string bound;
  int native = 0;  ///< the OS code behind a send or recv failure of the handshake, else 0
};

/// Everything that happened in one connect_to_host call, in order.
struct race_report {
  deadline_clock::time_point began{};  ///< when connect_to_host was called (offsets count from it)
  std::vector<lookup_event> lookups;   ///< the AAAA and A answers, in arrival order
  std::vector<connect_attempt> attempts;  ///< every attempt, in the order they were started
  /// Through a proxy: the hop (the lookups and attempts above are the race to the proxy).
  std::optional<proxy_report> proxy;
};

/// A successful connect_to_host: the connected socket (its owner), the peer and the report.
struct connection {
  owned_socket socket;  ///< connected, close-on-exec, blocking unless options.non_blocking
  address peer;         ///< the address that won (through a proxy: the proxy's address)
  race_report report;   ///< every lookup answer and attempt, the winner's among them
  /// TCP, or MPTCP when options.socket.multipath asked for it and the peer agreed
  /// (dial::transport_protocol of the socket when it was handed over).
  transport protocol = transport::tcp;
};

/// A failed connect_to_host: the set's name and the report of every attempt, so that a caller can
/// say which address failed how.
struct connect_to_host_failure {
  connect_to_host_error error = connect_to_host_error::unexpected;  ///< why it failed
  race_report report;  ///< the lookups and every attempt with its own outcome
};

/// How connect_to_host races.
struct connect_to_host_options {
  /// How names are resolved (back-end, servers, hosts file). Its deadline and stop are ignored:
  /// the ones below cover resolution and the attempts together.
  resolve_options resolve;
  /// The one overall deadline, for resolution and every attempt (default: none).
  deadline_clock::time_point deadline = deadline_clock::time_point::max();
  /// Cancels the whole call (resolution and every attempt) when triggered.
  std::stop_token stop;
  /// RFC 8305 section 5: how long an attempt runs alone before the next address is tried too.
  /// Clamped to at least 10 ms (clamp_attempt_delay). The RFC recommends 250 ms.
  std::chrono::milliseconds attempt_delay{250};
  /// RFC 8305 section 3: when A arrives before AAAA, how long to wait for AAAA. The RFC
  /// recommends 50 ms.
  std::chrono::milliseconds resolution_delay{50};
  /// RFC 8305 section 4: how many addresses of the preferred family come before the first of the
  /// other (at least 1).
  unsigned first_address_family_count = 1;
  /// Leave the returned socket non-blocking (the race needs it so; by default it is made
  /// blocking again before it is returned).
  bool non_blocking = false;
  /// Options set on every attempt's socket before its connect (an interface, a mark, keepalive,
  /// TCP_NODELAY, ...). An attempt whose socket refuses one fails with that name, and the race
  /// goes on with the other addresses (dial::socket_options).
  socket_options socket;
  /// Reach the target through this proxy (docs/proxy.md): the race is to the proxy's own
  /// addresses, then the handshake runs on the winning socket under the same deadline and stop.
  /// Bytes the target sends after the tunnel opens are left unread in the socket.
  std::optional<dial::proxy> proxy;
  /// Bind every attempt's socket to this local IPv4 or IPv6 address (dial::bind_source; port 0
  /// lets the kernel choose). As with Go's net.Dialer.LocalAddr, only the host's addresses of
  /// the source's family are tried: the other family's are left out (its answer is still in the
  /// report); when that leaves none, the race fails with AddressFamilyNotSupported. With a port,
  /// two attempts of one family cannot overlap: the second fails with AddressInUse.
  std::optional<address> source;
};

/// The lowest connection attempt delay RFC 8305 allows.
inline constexpr std::chrono::milliseconds min_attempt_delay{10};

/// An attempt delay as connect_to_host uses it: never below min_attempt_delay.
[[nodiscard]] constexpr std::chrono::milliseconds clamp_attempt_delay(
    std::chrono::milliseconds d) noexcept {
  return d < min_attempt_delay ? min_attempt_delay : d;
}

/// RFC 8305 section 4: interleaves addresses by family. The family of the first address is the
/// preferred one; `first_family_count` of its addresses come first (at least 1), then the
/// families alternate, one address each; what is left of either family goes at the end. The
/// order within a family is kept.
[[nodiscard]] DIAL_API std::vector<address> interleave_families(const std::vector<address>& sorted,
                                                                unsigned first_family_count = 1);

/// Connects to `host`:`port` with Happy Eyeballs v2 (RFC 8305). Does not correspond to a single
/// system call. AAAA and A are asked separately (resolve_options says how; a numeric host needs
/// no query); connecting starts as soon as AAAA has answered, or resolution_delay after A when
/// AAAA is late. Addresses are sorted (sort_destinations, RFC 6724 rules 6 and 8) and
/// interleaved (interleave_families); late answers join the untried addresses. Attempts start
/// one at a time, attempt_delay apart or at once when every attempt in progress has failed;
/// earlier attempts stay alive, all non-blocking in one poll set. The first to connect wins and
/// every other is closed. Any per-address error moves on to the next address; a local resource
/// error (ProcessFdQuotaExceeded, SystemFdQuotaExceeded, SystemResources, OutOfMemory) stops at
/// once. The deadline covers everything; a stop cancels everything. On every path no descriptor
/// is left open but the returned socket. See docs/dialer.md.
[[nodiscard]] DIAL_API std::expected<connection, connect_to_host_failure> connect_to_host(
    std::string_view host, std::uint16_t port, const connect_to_host_options& options = {});

}  // namespace dial

DIAL_REGISTER_ERROR_SET(dial::connect_until_error);
DIAL_REGISTER_ERROR_SET(dial::connect_to_host_error);
