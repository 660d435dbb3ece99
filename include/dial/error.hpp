// dial/error.hpp: the one list of error names, closed per-call sets, std::error_code interop,
// traps.
#pragma once

#include <cstdint>
#include <string_view>
#include <system_error>
#include <type_traits>

#include "dial/export.hpp"

namespace dial {

/// Every error name dial knows, defined once. Columns: stable id (never reused or renumbered; 0 is
/// success), enumerator, the specification's spelling, the portable std::errc it is equivalent to
/// (`none` where no errc fits), and a one-line meaning. Each call's set is a subset of this list.
/// What each name means for the caller and which native codes produce it: docs/errors.md.
// clang-format off
#define DIAL_ERROR_LIST(X)                                                                        \
  X(1, access_denied, AccessDenied, permission_denied, "access denied")                           \
  X(2, permission_denied, PermissionDenied, operation_not_permitted,                              \
    "operation not permitted (firewall or security policy)")                                      \
  X(3, address_in_use, AddressInUse, address_in_use, "local address already in use")              \
  X(4, address_not_available, AddressNotAvailable, address_not_available,                         \
    "address not available (no free local port, or not a local address)")                         \
  X(5, address_family_not_supported, AddressFamilyNotSupported, address_family_not_supported,     \
    "address family not supported")                                                               \
  X(6, would_block, WouldBlock, operation_would_block, "operation would block")                   \
  X(7, connection_pending, ConnectionPending, connection_already_in_progress,                     \
    "a connection attempt is already in progress")                                                \
  X(8, connection_refused, ConnectionRefused, connection_refused, "connection refused")           \
  X(9, connection_reset_by_peer, ConnectionResetByPeer, connection_reset,                         \
    "connection reset by peer")                                                                   \
  X(10, connection_timed_out, ConnectionTimedOut, timed_out, "connection timed out")              \
  X(11, network_unreachable, NetworkUnreachable, network_unreachable,                             \
    "network or host unreachable")                                                                \
  X(12, file_not_found, FileNotFound, no_such_file_or_directory, "socket path does not exist")    \
  X(13, system_resources, SystemResources, no_buffer_space, "insufficient kernel resources")      \
  X(14, unexpected, Unexpected, none, "unexpected operating-system error")                        \
  X(15, protocol_family_not_available, ProtocolFamilyNotAvailable, invalid_argument,              \
    "unknown protocol or protocol family not available")                                          \
  X(16, process_fd_quota_exceeded, ProcessFdQuotaExceeded, too_many_files_open,                   \
    "per-process descriptor limit reached")                                                       \
  X(17, system_fd_quota_exceeded, SystemFdQuotaExceeded, too_many_files_open_in_system,           \
    "system-wide descriptor limit reached")                                                       \
  X(18, protocol_not_supported, ProtocolNotSupported, protocol_not_supported,                     \
    "protocol not supported")                                                                     \
  X(19, socket_type_not_supported, SocketTypeNotSupported, wrong_protocol_type,                   \
    "socket type not supported by the protocol")                                                  \
  /* ids 20-59: the sibling socket calls' names */                                                \
  X(20, sym_link_loop, SymLinkLoop, too_many_symbolic_link_levels,                                \
    "too many symbolic links in the socket path")                                                 \
  X(21, not_dir, NotDir, not_a_directory, "a component of the socket path is not a directory")    \
  X(22, read_only_file_system, ReadOnlyFileSystem, read_only_file_system,                         \
    "the socket file would be on a read-only file system")                                        \
  X(23, invalid_address, InvalidAddress, invalid_argument,                                        \
    "the address is not usable with this socket")                                                 \
  X(24, operation_not_supported, OperationNotSupported, operation_not_supported,                  \
    "the socket type does not support this operation")                                            \
  X(25, connection_aborted, ConnectionAborted, connection_aborted,                                \
    "an incoming connection failed before it was accepted")                                       \
  X(26, socket_not_listening, SocketNotListening, invalid_argument,                               \
    "the socket is not listening for connections")                                                \
  X(27, protocol_failure, ProtocolFailure, protocol_error,                                        \
    "protocol error on an incoming connection")                                                   \
  X(28, broken_pipe, BrokenPipe, broken_pipe, "the connection is shut down for sending")          \
  X(29, message_too_big, MessageTooBig, message_size,                                             \
    "the message is too big to be sent atomically")                                               \
  X(30, fast_open_already_in_progress, FastOpenAlreadyInProgress, connection_already_in_progress, \
    "a TCP Fast Open connect is already in progress")                                             \
  X(31, network_subsystem_failed, NetworkSubsystemFailed, network_down,                           \
    "the network interface is down")                                                              \
  X(32, socket_not_connected, SocketNotConnected, not_connected, "the socket is not connected")   \
  X(33, invalid_option, InvalidOption, invalid_argument,                                          \
    "invalid option value or length for this socket")                                             \
  X(34, invalid_protocol_option, InvalidProtocolOption, no_protocol_option,                       \
    "the option is unknown at this level")                                                        \
  X(35, timeout_too_big, TimeoutTooBig, argument_out_of_domain,                                   \
    "the timeout value is out of range")                                                          \
  X(36, already_connected, AlreadyConnected, already_connected,                                   \
    "the socket is connected; the option can no longer be set")                                   \
  X(37, buffer_too_small, BufferTooSmall, result_out_of_range,                                    \
    "the option value does not fit the buffer")                                                   \
  /* ids 60-79: address parsing (dial::address_parse_error). Two also name an OS code: */         \
  /* PathTooLong is ENAMETOOLONG (bind, sendto), UnknownInterface ENODEV (setsockopt) */          \
  X(60, empty_input, EmptyInput, invalid_argument, "empty address")                               \
  X(61, invalid_ipv4, InvalidIpv4, invalid_argument, "malformed IPv4 address")                    \
  X(62, invalid_ipv6, InvalidIpv6, invalid_argument, "malformed IPv6 address")                    \
  X(63, unterminated_bracket, UnterminatedBracket, invalid_argument,                              \
    "IPv6 address without its closing ']'")                                                       \
  X(64, missing_port, MissingPort, invalid_argument, "no ':port' after the host")                 \
  X(65, invalid_port, InvalidPort, invalid_argument, "the port is not a decimal number")          \
  X(66, port_out_of_range, PortOutOfRange, result_out_of_range, "the port is above 65535")        \
  X(67, invalid_scope, InvalidScope, invalid_argument, "malformed IPv6 scope ('%zone')")          \
  X(68, unknown_interface, UnknownInterface, no_such_device, "no network interface of that name") \
  X(69, empty_path, EmptyPath, invalid_argument, "empty Unix socket path")                        \
  X(70, path_too_long, PathTooLong, filename_too_long, "Unix socket path too long")               \
  X(71, unknown_form, UnknownForm, invalid_argument,                                              \
    "not a numeric IP:port, [IPv6]:port, unix:/path or unix:@name")                               \
  /* ids 80-99: the dialer (deadlines, cancellation, resolution, Happy Eyeballs) */               \
  X(80, timeout, Timeout, timed_out, "the deadline passed before the operation completed")        \
  X(81, canceled, Canceled, operation_canceled, "the operation was canceled")                     \
  X(82, unknown_host_name, UnknownHostName, none, "no such host name (NXDOMAIN)")                 \
  X(83, host_lacks_network_addresses, HostLacksNetworkAddresses, none,                            \
    "the host name exists but has no IPv4 or IPv6 address")                                       \
  X(84, temporary_name_server_failure, TemporaryNameServerFailure,                                \
    resource_unavailable_try_again,                                                               \
    "the name server did not answer or failed temporarily; try again later")                      \
  X(85, name_server_failure, NameServerFailure, none,                                             \
    "the name server refused the query or answered with a permanent failure")                     \
  X(86, invalid_host_name, InvalidHostName, invalid_argument,                                     \
    "not a valid host name (empty, too long, a NUL byte or an empty label)")                      \
  X(87, out_of_memory, OutOfMemory, not_enough_memory, "the resolver ran out of memory")          \
  /* ids 100-119: the engine (many connects in flight) */                                         \
  X(100, backend_unavailable, BackendUnavailable, function_not_supported,                         \
    "the requested engine back-end is refused by the kernel or a security policy")                \
  /* ids 120-139: proxies (dial/proxy.hpp): the URL, then the handshake's replies */              \
  X(120, unknown_proxy_scheme, UnknownProxyScheme, protocol_not_supported,                        \
    "the proxy URL's scheme is not socks5://, socks5h:// or http://")                             \
  X(121, invalid_proxy_url, InvalidProxyUrl, invalid_argument,                                    \
    "malformed proxy URL (credentials, a percent escape, or text after the port)")                \
  X(122, proxy_authentication_required, ProxyAuthenticationRequired, permission_denied,           \
    "the proxy requires authentication that was not offered (SOCKS5 method X'FF', HTTP 407)")     \
  X(123, proxy_authentication_failed, ProxyAuthenticationFailed, permission_denied,               \
    "the proxy refused the username and password")                                                \
  X(124, proxy_protocol_error, ProxyProtocolError, protocol_error,                                \
    "the proxy's reply is malformed or not the protocol asked for")                               \
  X(125, proxy_connection_closed, ProxyConnectionClosed, connection_aborted,                      \
    "the proxy closed the connection before its reply was complete")                              \
  X(126, proxy_failure, ProxyFailure, none,                                                       \
    "the proxy could not open the tunnel and gave no more specific reason")
// clang-format on

/// The global identity of an error name: the value every set's enumerator carries.
enum class error_id : std::uint8_t {
#define DIAL_DETAIL_ID(id, ident, Name, errc, msg) ident = id,
  DIAL_ERROR_LIST(DIAL_DETAIL_ID)
#undef DIAL_DETAIL_ID
};

/// The specification's spelling of an error ("ConnectionRefused"); "" for a value outside the list.
[[nodiscard]] constexpr std::string_view name(error_id e) noexcept {
  switch (e) {
#define DIAL_DETAIL_NAME(id, ident, Name, errc, msg) \
  case error_id::ident: return #Name;
    DIAL_ERROR_LIST(DIAL_DETAIL_NAME)
#undef DIAL_DETAIL_NAME
  }
  return {};
}

/// A short English description of an error, as std::error_code::message() returns it.
[[nodiscard]] constexpr std::string_view message(error_id e) noexcept {
  switch (e) {
#define DIAL_DETAIL_MSG(id, ident, Name, errc, msg) \
  case error_id::ident: return msg;
    DIAL_ERROR_LIST(DIAL_DETAIL_MSG)
#undef DIAL_DETAIL_MSG
  }
  return {};
}

/// Describes a closed error set: which call it belongs to and which names it holds. Specialised
/// by DIAL_DECLARE_ERROR_SET; a type with this specialisation is an error set.
template <class E>
struct error_set_traits;

/// A closed per-call error set: an enum whose every enumerator is an error_id of the same value.
template <class E>
concept error_set = std::is_enum_v<E> && requires {
  error_set_traits<E>::members;
};

/// The error_id of a set's enumerator (the same value, so this is free).
template <error_set E>
[[nodiscard]] constexpr error_id id(E e) noexcept {
  return static_cast<error_id>(e);
}

/// The specification's spelling of a set's enumerator: name(connect_error::connection_refused)
/// is "ConnectionRefused".
template <error_set E>
[[nodiscard]] constexpr std::string_view name(E e) noexcept {
  return name(id(e));
}

/// Whether set E holds name x.
template <error_set E>
[[nodiscard]] constexpr bool contains(error_id x) noexcept {
  for (error_id m : error_set_traits<E>::members)
    if (m == x) return true;
  return false;
}

/// True when every name of From is also a name of To: From widens into To without loss.
template <error_set To, error_set From>
inline constexpr bool is_subset_v = [] {
  for (error_id m : error_set_traits<From>::members)
    if (!contains<To>(m)) return false;
  return true;
}();

/// Widens an error of a smaller set into a larger one. The compiler checks, from the one list of
/// names, that the widening is total; no hand-written table is involved.
template <error_set To, error_set From>
requires is_subset_v<To, From>
[[nodiscard]] constexpr To widen(From e) noexcept { return static_cast<To>(e); }

/// The one error category of dial: every set's values are error_ids, so one category serves all.
/// Its conditions are equivalent to the portable std::errc values (ConnectionRefused ==
/// std::errc::connection_refused), so code written against std::error_code keeps working.
[[nodiscard]] DIAL_API const std::error_category& category() noexcept;

/// Wraps any set's error as a std::error_code in dial's category.
template <error_set E>
[[nodiscard]] std::error_code make_error_code(E e) noexcept {
  return {static_cast<int>(e), category()};
}

/// The raw operating-system code (errno on POSIX, WSAGetLastError() on Windows) behind the most
/// recent error any dial call returned on this thread. Use it to tell apart codes that one name
/// merges (EHOSTUNREACH and ENETUNREACH are both NetworkUnreachable) and to report an Unexpected
/// one. Successful calls leave it unchanged: read it right after the failing call.
[[nodiscard]] DIAL_API int last_native_error() noexcept;

/// What a programmer-error trap reports: the call that failed, the native code and why the code
/// can only mean a bug in the caller (EBADF: not an open descriptor, ...).
struct trap_info {
  std::string_view call;         ///< "connect", "getsockopt(SO_ERROR)", ...
  int native_code;               ///< the errno or WSA code
  std::string_view native_name;  ///< "EBADF", "WSAENOTSOCK", ...
  std::string_view reason;       ///< why this is a programmer error
};

/// A trap handler. It is called for a programmer error (the specification's `unreachable` codes)
/// and must not return normally: if it does, dial aborts. It may throw or longjmp at its own risk.
using trap_handler = void (*)(const trap_info&);

/// Installs a trap handler for the whole process and returns the previous one; nullptr restores
/// the default, which prints call, code and reason to stderr and aborts with SIGABRT.
DIAL_API trap_handler set_trap_handler(trap_handler h) noexcept;

namespace detail {
[[noreturn]] DIAL_API void trap(std::string_view call, int native_code,
                                std::string_view native_name, std::string_view reason) noexcept;
}  // namespace detail

}  // namespace dial

#define DIAL_DETAIL_SET_MEMBER(n) n = static_cast<std::uint8_t>(::dial::error_id::n),
#define DIAL_DETAIL_SET_ID(n) ::dial::error_id::n,

/// Declares a closed error set `set` (inside namespace dial) whose names are given by the
/// X-macro LIST. Every enumerator has the value of its error_id.
#define DIAL_DECLARE_ERROR_SET(set, LIST)                             \
  enum class set : std::uint8_t { LIST(DIAL_DETAIL_SET_MEMBER) };     \
  template <>                                                         \
  struct error_set_traits<set> {                                      \
    static constexpr std::string_view set_name = #set;                \
    static constexpr error_id members[] = {LIST(DIAL_DETAIL_SET_ID)}; \
  }

/// Registers a set with std::error_code (at global scope).
#define DIAL_REGISTER_ERROR_SET(set) \
  template <>                        \
  struct std::is_error_code_enum<set> : std::true_type {}
