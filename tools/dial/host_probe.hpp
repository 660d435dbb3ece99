// tools/dial/host_probe.hpp: `dial HOST:PORT`, Happy Eyeballs through dial::connect_to_host.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <expected>
#include <optional>
#include <span>
#include <stop_token>
#include <string>
#include <string_view>
#include <utility>

#include "connect_flags.hpp"
#include "dial/dialer.hpp"
#include "endpoint.hpp"
#include "report.hpp"

namespace dial::cli {

/// A command-line target the host path probes: a name (or numeric IP) and a port, or a numeric
/// endpoint of another kind (Unix) given whole.
struct host_target {
  std::string text;  ///< as given
  std::string host;  ///< the host part ("example.org", "192.0.2.1", "::1"); empty: Unix
  std::uint16_t port = 0;
  bool numeric = false;  ///< `host` is an IP literal: no lookup is made, none is printed
};

/// The host_target of a word in the one target grammar (parse_target_word).
[[nodiscard]] std::expected<host_target, parse_problem> parse_probe_target(std::string_view text);

/// Splits "HOST:PORT" where HOST is a host name (letters, digits, '-', '.', '_', not all digits
/// and dots) and PORT 1-65535; std::nullopt otherwise.
[[nodiscard]] std::optional<host_target> parse_host_port(std::string_view text);

/// The units a duration takes, for help texts and messages.
inline constexpr std::string_view duration_units = "us, ms, s or m";

/// Parses a duration, as every --timeout of the tool takes it: a positive decimal number and a
/// unit, "us", "ms", "s" or "m" ("250us", "500ms", "1.5s", "1m"); without a unit, milliseconds
/// ("2000"). Zero, or a value that is not a whole number of nanoseconds' worth, is refused.
[[nodiscard]] std::expected<std::chrono::nanoseconds, parse_problem> parse_duration(
    std::string_view text);

/// A probe's timeout when --timeout is not given: resolution and every attempt included.
inline constexpr std::chrono::seconds default_probe_timeout{10};

/// How the host path probes.
struct host_probe_options {
  bool verbose = false;                             ///< print every lookup answer and attempt
  std::optional<std::chrono::nanoseconds> timeout;  ///< per target, covering resolution and all
  std::stop_token stop{};  ///< cancels the target in progress (its row says Canceled), then stops
  std::optional<dial::proxy> proxy{};  ///< --proxy: every host target is reached through it
  connect_flags connect{};             ///< --interface, --source, --mark, --fastopen, --mptcp, ...
};

/// Parses a --proxy value; the message of a failure names the problem and its offset but never
/// repeats the URL (it may hold a password).
[[nodiscard]] std::expected<dial::proxy, std::string> parse_proxy_option(std::string_view url);

/// The proxy's own code behind a proxied failure, for the CODE column: the handshake's OS code
/// (errno) when a send or recv failed, else the proxy's reply with its spelling ("SOCKS5-REP",
/// "SOCKS5-METHOD", "RFC1929-STATUS", "HTTP"); {0, ""} when there is neither.
[[nodiscard]] std::pair<int, std::string_view> proxy_code(const dial::proxy_report& p);

/// "socks5h://127.0.0.1:1080" and how the target went: "target localhost:80, sent as a name
/// (the proxy resolves it)".
[[nodiscard]] std::string proxy_target_text(const dial::proxy_report& p);

/// One target connected (or not): the row a probe prints, the socket (open only when the row
/// says Connected) and, for a host, the race.
struct connected_target {
  row result;
  owned_socket socket;
  dial::race_report report;                         ///< empty for a Unix target (no race)
  dial::transport protocol = dial::transport::tcp;  ///< of the socket, once connected
  dial::fast_open_state fast_open = dial::fast_open_state::not_used;  ///< right after connect
};

/// Connects to one target: connect_to_host for IP hosts and names (Happy Eyeballs), connect_until
/// for Unix endpoints, within the timeout (default_probe_timeout when none) and `stop`.
[[nodiscard]] connected_target connect_target(const host_target& t, const host_probe_options& o);

/// Prints the race under a row to `out` (`-v`): every lookup answer (none for a numeric host,
/// which made no lookup) and every attempt with its start and end offsets and outcome.
void print_race(std::FILE* out, const dial::race_report& r, bool numeric);

/// Prints, under a row (`-v`), the connect flags in force and, for a connected target, the
/// protocol (with --mptcp) and what Fast Open did (with --fastopen); nothing without flags.
void print_connection(std::FILE* out, const connect_flags& f, const connected_target& c);

/// What a Fast Open state means, for -v and `dial why`.
[[nodiscard]] std::string_view fast_open_meaning(dial::fast_open_state s);

/// Probes each target in turn (connect_to_host for IP hosts and names, connect_until for Unix
/// endpoints), prints one table row each (with the peer: the address that won, or the one whose
/// failure the row shows; and with `verbose` the race under it) and returns the exit status: 0
/// when every target connected, 1 otherwise. Once `stop` is requested no further target starts.
[[nodiscard]] int probe_hosts(std::span<const host_target> targets, const host_probe_options& o);

}  // namespace dial::cli
