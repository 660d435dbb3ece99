// dial/resolve.hpp: layer 3, host name resolution (c-ares or the system resolver).
#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "dial/address.hpp"
#include "dial/error.hpp"
#include "dial/export.hpp"

namespace dial {

/// The clock of every dial deadline: monotonic, immune to wall-clock changes.
using deadline_clock = std::chrono::steady_clock;

/// The names dial::resolve can return (modelled on Zig's getAddressList / getaddrinfo set).
///   UnknownHostName             NXDOMAIN (c-ares ARES_ENOTFOUND, EAI_NONAME): the name does not
///                               exist. Check the spelling; retrying will not help.
///   HostLacksNetworkAddresses   the name exists but has no A and no AAAA record (ARES_ENODATA,
///                               EAI_NODATA, EAI_ADDRFAMILY), and no /etc/hosts line.
///   TemporaryNameServerFailure  SERVFAIL, REFUSED or NOTIMP from every server (c-ares then
///                               moves on to the next server and reports ARES_ESERVFAIL, as
///                               glibc reports EAI_AGAIN), no answer before the resolver's own
///                               retries ran out (ARES_ETIMEOUT), no server reachable
///                               (ARES_ECONNREFUSED). Retry later, or ask another server.
///   NameServerFailure           the server answered wrongly: FORMERR, a malformed or truncated
///                               reply (ARES_EFORMERR, ARES_EBADRESP, ARES_EOF, ARES_EREFUSED,
///                               ARES_ENOTIMP when reported), EAI_FAIL.
///   InvalidHostName             empty, longer than 253 bytes, a NUL byte, an empty or over-long
///                               label (ARES_EBADNAME). Nothing is sent.
///   OutOfMemory                 the resolver could not allocate (ARES_ENOMEM, EAI_MEMORY).
///   ProcessFdQuotaExceeded      EMFILE: no descriptor for the query sockets or the wake-up.
///   SystemFdQuotaExceeded       ENFILE: the system-wide file table is full.
///   SystemResources             ENOMEM, ENOBUFS from poll or the wake-up descriptor.
///   Timeout                     options.deadline passed before any address arrived.
///   Canceled                    options.stop was triggered.
///   Unexpected                  anything else (an unknown c-ares status, EAI_SYSTEM with an
///                               unexpected errno); last_native_error() keeps the code.
// clang-format off
#define DIAL_RESOLVE_ERRORS(X)                                                              \
  X(unknown_host_name) X(host_lacks_network_addresses) X(temporary_name_server_failure)    \
  X(name_server_failure) X(invalid_host_name) X(out_of_memory) X(process_fd_quota_exceeded) \
  X(system_fd_quota_exceeded) X(system_resources) X(timeout) X(canceled) X(unexpected)
// clang-format on
DIAL_DECLARE_ERROR_SET(resolve_error, DIAL_RESOLVE_ERRORS);

/// Which resolver answers the DNS part of a lookup.
enum class resolver_backend : std::uint8_t {
  c_ares,  ///< c-ares: A and AAAA queried separately and asynchronously (the default)
  system,  ///< the system's getaddrinfo (nsswitch, mDNS, ...), one thread per family
};

/// resolve_options::hosts_file's default.
#ifdef _WIN32
inline constexpr const char* default_hosts_file = "";
#else
inline constexpr const char* default_hosts_file = "/etc/hosts";
#endif

/// How dial::resolve (and connect_to_host) looks a name up.
struct resolve_options {
  /// The DNS back-end. Numeric hosts and the hosts file never reach it.
  resolver_backend backend = resolver_backend::c_ares;
  /// Name servers to ask instead of those of /etc/resolv.conf (c-ares only; each an IPv4 or
  /// IPv6 address with its port, usually 53). Empty: the system's configuration.
  std::vector<address> servers;
  /// The hosts file consulted first (c-ares back-end only; getaddrinfo reads /etc/hosts itself
  /// through nsswitch). A name found there is answered from it without any query. Empty: none.
  /// Default: /etc/hosts; on Windows none, since the system resolver that answers there reads
  /// Windows' own hosts file (a path like /etc/hosts would name a file on the current drive).
  std::string hosts_file = default_hosts_file;
  /// How long c-ares waits for each reply before it retries (0: the resolver's default, from
  /// resolv.conf's `options retrans:` in ms, as c-ares 1.18 reads it, or 5 s). Retries stop at
  /// `query_tries` (0: resolv.conf's `options retry:`, or 4 per server).
  std::chrono::milliseconds query_timeout{0};
  /// How many times c-ares sends each query per server (0: the default).
  int query_tries = 0;
  /// The whole lookup ends with Timeout at this time (default: no deadline).
  deadline_clock::time_point deadline = deadline_clock::time_point::max();
  /// Canceled as soon as this is triggered.
  std::stop_token stop;
};

/// The spelling of a resolver's own code, as lookup_event::native and last_native_error() keep
/// it after a resolution error: "ARES_ENOTFOUND" (c-ares), "EAI_NONAME" (getaddrinfo),
/// "WSAHOST_NOT_FOUND" (the Windows resolver); "" for a code the back-end does not define.
[[nodiscard]] DIAL_API std::string_view resolver_code_name(resolver_backend backend,
                                                           int code) noexcept;

/// Resolves `host` to its addresses, each with `port`. Does not correspond to a single system
/// call. In order:
///  1. A numeric host (IPv4 dotted quad, IPv6 text with an optional %scope, brackets allowed) is
///     parsed with dial::address::parse and returned at once: no file is read, no query sent.
///  2. The hosts file (c-ares back-end): every line naming the host, case-insensitively.
///  3. The back-end, with A and AAAA asked separately; an answer with addresses for either
///     family is a success even when the other family failed.
/// The result is in RFC 6724 destination order (dial::sort_destinations), duplicates removed.
/// A lookup that produced no address fails with the more telling of the two families' errors:
/// UnknownHostName if either said so, HostLacksNetworkAddresses only if both did, else the first
/// other error (one family's NODATA does not hide the other's server failure).
[[nodiscard]] DIAL_API std::expected<std::vector<address>, resolve_error> resolve(
    std::string_view host, std::uint16_t port, const resolve_options& options = {});

/// Sorts destinations by the rules of RFC 6724 section 6 that need no routing table or source
/// address: rule 6 (higher precedence in the default policy table: ::1, then native IPv6, then
/// IPv4, then 6to4, Teredo, ULA, site-local) and rule 8 (smaller scope first); rule 10 keeps the
/// given order among equals (a stable sort). Unix addresses go last.
DIAL_API void sort_destinations(std::vector<address>& addresses);

/// RFC 6724 precedence of an address in the default policy table (IPv4 as \::ffff:0:0/96, 35).
[[nodiscard]] DIAL_API int rfc6724_precedence(const address& a) noexcept;

/// RFC 6724 / RFC 4007 scope of an address: 1 interface-local, 2 link-local (and loopback),
/// 5 site-local, 8 organisation-local, 14 global.
[[nodiscard]] DIAL_API int rfc6724_scope(const address& a) noexcept;

}  // namespace dial

DIAL_REGISTER_ERROR_SET(dial::resolve_error);
