// dial/socket.hpp: layer 2, socket ownership: the move-only owner, connect_to_address, listen_on.
#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "dial/address.hpp"
#include "dial/error.hpp"
#include "dial/export.hpp"
#include "dial/sys.hpp"

namespace dial {

/// A move-only owner of one socket: it closes the socket (dial::close) when destroyed or reset.
/// An empty owner holds invalid_socket. It adds nothing to the handle: the same size, no
/// allocation, and get() is free. (Its own name: the function dial::socket(domain, type, protocol)
/// would hide a class of that name, as stat() hides `struct stat`.)
class owned_socket {
 public:
  /// An empty owner.
  constexpr owned_socket() noexcept = default;
  /// Takes ownership of `s` (which may be invalid_socket).
  constexpr explicit owned_socket(socket_t s) noexcept : sock_(s) {}
  owned_socket(const owned_socket&) = delete;
  owned_socket& operator=(const owned_socket&) = delete;
  /// Takes the other's socket and leaves it empty.
  constexpr owned_socket(owned_socket&& other) noexcept : sock_(other.release()) {}
  /// Closes what this one held, then takes the other's socket.
  owned_socket& operator=(owned_socket&& other) noexcept {
    if (this != &other) reset(other.release());
    return *this;
  }
  /// Closes the socket, if any.
  ~owned_socket() { reset(); }

  /// The handle, still owned by this object.
  [[nodiscard]] constexpr socket_t get() const noexcept { return sock_; }
  /// Gives up ownership: returns the handle and leaves this object empty.
  [[nodiscard]] constexpr socket_t release() noexcept {
    return std::exchange(sock_, invalid_socket);
  }
  /// Closes the held socket (if any) and takes `s` instead.
  void reset(socket_t s = invalid_socket) noexcept {
    const socket_t old = std::exchange(sock_, s);
    if (old != invalid_socket) dial::close(old);
  }
  /// Whether a socket is held.
  [[nodiscard]] constexpr explicit operator bool() const noexcept {
    return sock_ != invalid_socket;
  }

  /// Two owners are equal when they hold the same handle (only empty ones can, legitimately).
  friend constexpr bool operator==(const owned_socket&, const owned_socket&) noexcept = default;

 private:
  socket_t sock_ = invalid_socket;
};

/// The kind of socket connect_to_address creates.
enum class socket_type : std::uint8_t {
  stream,    ///< SOCK_STREAM: TCP for IP addresses, a Unix stream socket for Unix ones
  datagram,  ///< SOCK_DGRAM: UDP, or a Unix datagram socket (connect only sets the peer)
};

/// TCP keepalive: SO_KEEPALIVE with the probe timing (TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT).
/// Linux accepts 1-32767 s for idle and interval and 1-127 probes; a value outside what the
/// kernel accepts is InvalidOption.
struct keepalive_options {
  std::chrono::seconds idle{7200};    ///< idle time before the first probe (the kernel's default)
  std::chrono::seconds interval{75};  ///< time between unanswered probes
  int count = 9;                      ///< unanswered probes before the connection is dropped
};

/// What is set on a socket before its connect. A field left at its default sets nothing; every
/// option the OS refuses fails the attempt with setsockopt's name for it (an unknown interface is
/// UnknownInterface, a missing privilege PermissionDenied, an option the socket's type or the OS
/// does not have OperationNotSupported or InvalidProtocolOption, a value out of range
/// InvalidOption), the native code in last_native_error(). docs/errors.md lists them.
struct socket_options {
  /// Send through this interface only: SO_BINDTODEVICE on Linux (needs CAP_NET_RAW unless the
  /// kernel allows it unprivileged), IP_UNICAST_IF / IPV6_UNICAST_IF on Windows. Empty: none.
  /// (Not called `interface`: Windows headers define that word as a macro.)
  std::string interface_name;
  /// SO_MARK, the firewall and routing mark (Linux; needs CAP_NET_ADMIN). Elsewhere
  /// OperationNotSupported.
  std::optional<std::uint32_t> mark;
  /// TCP_USER_TIMEOUT: how long sent data may stay unacknowledged before the connection is
  /// dropped (Linux, in milliseconds; Windows TCP_MAXRT, whole seconds). TCP only.
  std::optional<std::chrono::milliseconds> user_timeout;
  /// TCP keepalive probes. TCP only.
  std::optional<keepalive_options> keepalive;
  /// TCP_NODELAY: send small segments at once (no Nagle). TCP only.
  bool no_delay = false;
  /// SO_SNDBUF and SO_RCVBUF in bytes (the kernel may double or clamp them; > 0).
  std::optional<int> send_buffer;
  std::optional<int> receive_buffer;  ///< see send_buffer
  /// TCP Fast Open (RFC 7413), client side: TCP_FASTOPEN_CONNECT (Linux 4.11+). With a cookie
  /// for the destination cached, connect returns at once without a handshake and the SYN leaves
  /// with the first write, carrying its data (fast_open_status says Deferred); without one (the
  /// first connect, or a peer without TFO) the handshake is a plain one that asks for a cookie.
  /// A hint, not a demand: where it cannot apply (a Unix socket, Windows, a kernel without it or
  /// with the client bit of net.ipv4.tcp_fastopen off) the socket connects without it.
  /// docs/dialer.md, "TCP Fast Open", says what it means for a race.
  bool fast_open = false;
  /// Multipath TCP (RFC 8684): the socket is made with IPPROTO_MPTCP by open_socket (Linux
  /// 5.6+). Falls back to TCP transparently: where the kernel refuses MPTCP (net.mptcp.enabled=0,
  /// built without it, Windows) the socket is a TCP one, and a peer without MPTCP gets a plain
  /// TCP connection; transport_protocol says which it became. IP stream sockets only; it is read
  /// when the socket is made (apply_socket_options does not look at it).
  bool multipath = false;
};

/// The transport protocol of a stream socket.
enum class transport : std::uint8_t {
  tcp,    ///< TCP, including an MPTCP socket that fell back to TCP
  mptcp,  ///< Multipath TCP (RFC 8684)
};

/// "TCP" or "MPTCP".
[[nodiscard]] constexpr std::string_view name(transport t) noexcept {
  return t == transport::mptcp ? "MPTCP" : "TCP";
}

/// Makes a socket for a connect with `options` (the step before apply_socket_options): as
/// dial::socket(family, type, 0), except that with options.multipath an IP stream socket is asked
/// for with IPPROTO_MPTCP first. A kernel that refuses that protocol (net.mptcp.enabled=0 is
/// ENOPROTOOPT, a kernel built without MPTCP EPROTONOSUPPORT: both ProtocolNotSupported) gets
/// the TCP socket instead, silently; any other failure is socket's. `type` may carry
/// SOCK_NONBLOCK. The descriptor is the caller's to close.
[[nodiscard]] DIAL_API std::expected<socket_t, socket_error> open_socket(
    int family, int type, const socket_options& options) noexcept;

/// Which protocol a connected stream socket speaks: MPTCP only when the socket was made with it
/// and the peer agreed (Linux: getsockopt TCP_IS_MPTCP, 5.16+); TCP for every other socket, for
/// an MPTCP socket whose peer has no MPTCP, and wherever the system cannot tell. Before the
/// handshake (a Fast Open connect that is still Deferred) it says what was asked for.
[[nodiscard]] DIAL_API transport transport_protocol(socket_t sock) noexcept;

/// What TCP Fast Open did on a stream socket whose connect succeeded.
enum class fast_open_state : std::uint8_t {
  not_used,       ///< a plain handshake: not asked for, no cookie yet, or the peer ignored the data
  deferred,       ///< no handshake yet: a cookie was cached, the SYN leaves with the first write
  data_accepted,  ///< the SYN carried data and the peer acknowledged it (TCPI_OPT_SYN_DATA)
};

/// "NotUsed", "Deferred" or "DataAccepted".
[[nodiscard]] constexpr std::string_view name(fast_open_state s) noexcept {
  return s == fast_open_state::deferred        ? "Deferred"
         : s == fast_open_state::data_accepted ? "DataAccepted"
                                               : "NotUsed";
}

/// Fast Open's state on `sock` (Linux: TCP_INFO's state and options); NotUsed wherever the
/// system cannot tell, and for a socket that is not TCP.
[[nodiscard]] DIAL_API fast_open_state fast_open_status(socket_t sock) noexcept;

/// Sets `options` on `sock`, a fresh socket of `family` (AF_INET, AF_INET6 or AF_UNIX), in the
/// order of the fields; stops at the first refusal (its code in last_native_error()). For a Unix
/// socket the TCP options are refused by the kernel (OperationNotSupported); fast_open is not
/// (it is a hint), and multipath is open_socket's.
[[nodiscard]] DIAL_API std::expected<void, setsockopt_error> apply_socket_options(
    socket_t sock, int family, const socket_options& options) noexcept;

/// Binds `sock` to `source` before its connect, as connect_to_address and connect_to_host do:
/// with an IP address and port 0, IP_BIND_ADDRESS_NO_PORT is set first where the kernel has it
/// (Linux 4.2+), so the port is chosen at connect time with the destination in view. bind's names.
[[nodiscard]] DIAL_API std::expected<void, bind_error> bind_source(socket_t sock,
                                                                   const address& source) noexcept;

/// How connect_to_address connects.
struct connect_options {
  socket_type type = socket_type::stream;  ///< stream (the default) or datagram
  /// Create the socket non-blocking (SOCK_NONBLOCK) and return as soon as the attempt is under
  /// way: the socket polls writable when it completes; finish with dial::getsockopt_error. An
  /// attempt that has nothing in progress to wait for (a Unix listener's full backlog, EAGAIN)
  /// is the error WouldBlock, as from connect.
  bool non_blocking = false;
  /// Bind to this local address before connecting (an IP of this host, or a Unix name for the
  /// client's own socket). With port 0 on an IP address, IP_BIND_ADDRESS_NO_PORT is set where the
  /// kernel has it (Linux 4.2+), so the port is chosen at connect time with the destination in
  /// view and the ephemeral range is shared across destinations.
  std::optional<address> source;
  /// Options set on the socket before the bind and the connect (socket_options).
  socket_options socket;
};

/// The names connect_to_address can return: the union of socket's, setsockopt's (for
/// options.socket), bind's (for the source address) and connect's names, each set widening into it
/// through dial::widen, which the compiler checks from the one list (see the static_asserts in
/// src/common/socket_owner.cpp).
// clang-format off
#define DIAL_CONNECT_TO_ADDRESS_ERRORS(X)                                                    \
  X(access_denied) X(permission_denied) X(address_in_use) X(address_not_available)          \
  X(already_connected) X(invalid_protocol_option) X(timeout_too_big) X(invalid_option)      \
  X(unknown_interface) X(operation_not_supported)                                           \
  X(address_family_not_supported) X(would_block) X(connection_pending) X(connection_refused) \
  X(connection_reset_by_peer) X(connection_timed_out) X(network_unreachable)                 \
  X(file_not_found) X(system_resources) X(protocol_family_not_available)                    \
  X(process_fd_quota_exceeded) X(system_fd_quota_exceeded) X(protocol_not_supported)        \
  X(socket_type_not_supported) X(invalid_address) X(sym_link_loop) X(path_too_long)         \
  X(not_dir) X(read_only_file_system) X(unexpected)
// clang-format on
DIAL_DECLARE_ERROR_SET(connect_to_address_error, DIAL_CONNECT_TO_ADDRESS_ERRORS);

/// Creates a socket for `to`'s family (close-on-exec; open_socket: MPTCP with
/// options.socket.multipath), binds it to options.source if given, and
/// connects it. Does not correspond to a single system call: on every error path the socket is
/// closed before returning, and dial::last_native_error() holds the code of the step that failed.
/// A blocking connect waits as long as the kernel does (use dial::connect_until for a deadline).
[[nodiscard]] DIAL_API std::expected<owned_socket, connect_to_address_error> connect_to_address(
    const address& to, const connect_options& options = {}) noexcept;

/// The names listen_on can return: the union of socket's, bind's and listen's names.
// clang-format off
#define DIAL_LISTEN_ON_ERRORS(X)                                                             \
  X(access_denied) X(permission_denied) X(address_in_use) X(address_not_available)          \
  X(address_family_not_supported) X(protocol_family_not_available)                          \
  X(process_fd_quota_exceeded) X(system_fd_quota_exceeded) X(system_resources)              \
  X(protocol_not_supported) X(socket_type_not_supported) X(invalid_address) X(sym_link_loop) \
  X(path_too_long) X(file_not_found) X(not_dir) X(read_only_file_system)                    \
  X(operation_not_supported) X(unexpected)
// clang-format on
DIAL_DECLARE_ERROR_SET(listen_on_error, DIAL_LISTEN_ON_ERRORS);

/// Creates a stream socket listening on `at` with a queue of `backlog`: socket, SO_REUSEADDR
/// (IP addresses only, so that a restarted server can bind while old connections sit in
/// TIME_WAIT), bind, listen. Port 0 picks a free port: read it back with local_address(). A Unix
/// path must not exist yet (remove a stale one first); the file stays after the socket closes.
/// On every error path the socket is closed before returning. A failing SO_REUSEADDR (never seen
/// on a fresh socket) is Unexpected, its code in last_native_error().
[[nodiscard]] DIAL_API std::expected<owned_socket, listen_on_error> listen_on(
    const address& at, int backlog = 128) noexcept;

/// The socket's own address (getsockname) as a dial::address. An unnamed Unix socket, or a family
/// address cannot hold, gives std::nullopt.
[[nodiscard]] DIAL_API std::optional<address> local_address(socket_t sock) noexcept;

/// The connected peer's address (getpeername) as a dial::address; std::nullopt when the socket is
/// not connected, the peer is an unnamed Unix socket, or the family is not one address holds.
[[nodiscard]] DIAL_API std::optional<address> peer_address(socket_t sock) noexcept;

}  // namespace dial

DIAL_REGISTER_ERROR_SET(dial::connect_to_address_error);
DIAL_REGISTER_ERROR_SET(dial::listen_on_error);
