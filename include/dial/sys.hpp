// dial/sys.hpp: layer 1, one function per socket call, each with its own closed error set.
#pragma once

#include <cstddef>
#include <cstdint>
#include <expected>
#include <span>

#include "dial/error.hpp"
#include "dial/export.hpp"

// The system's own address type, declared but not defined here: public headers include no
// system socket headers (<sys/socket.h>, <winsock2.h>). Callers pass a pointer they built.
struct sockaddr;

namespace dial {

#ifdef _WIN32
using socket_t = std::uintptr_t;                          ///< Winsock's SOCKET
using socklen_t = int;                                    ///< Winsock's int address length
inline constexpr socket_t invalid_socket = ~socket_t{0};  ///< INVALID_SOCKET: no socket
#else
using socket_t = int;                           ///< a POSIX file descriptor
using socklen_t = std::uint32_t;                ///< the kernel's socklen_t (checked in src/posix)
inline constexpr socket_t invalid_socket = -1;  ///< no descriptor
#endif

// ---- connect -------------------------------------------------------------------------------

/// The names dial::connect can return: exactly the specification's ConnectError.
///   AccessDenied               EACCES / WSAEACCES: no write permission on a Unix socket path or a
///                              directory above it, broadcast without SO_BROADCAST, a `prohibit`
///                              route. Not transient: fix permissions or the target.
///   PermissionDenied           EPERM: a local firewall or security hook refused the connect.
///   AddressInUse               EADDRINUSE / WSAEADDRINUSE: the local address is taken.
///   AddressNotAvailable        EADDRNOTAVAIL: no free ephemeral port for this destination.
///   AddressFamilyNotSupported  EAFNOSUPPORT: sa_family does not match the socket.
///   WouldBlock                 EINPROGRESS, EAGAIN / WSAEWOULDBLOCK: non-blocking connect started
///                              (wait for writability, then getsockopt_error), or a full Unix
///                              backlog.
///   ConnectionPending          EALREADY: a previous non-blocking connect is still in progress.
///   ConnectionRefused          ECONNREFUSED: nobody listens there.
///   ConnectionResetByPeer      ECONNRESET: the peer reset the connection before connect returned.
///   ConnectionTimedOut         ETIMEDOUT: no answer to the SYNs.
///   NetworkUnreachable         ENETUNREACH, EHOSTUNREACH: no route; last_native_error() tells
///                              which.
///   FileNotFound               ENOENT: the Unix socket path does not exist.
///   SystemResources            WSAENOBUFS; on POSIX ENOBUFS, ENOMEM (docs/spec-differences.md).
///   Unexpected                 anything else; last_native_error() keeps the code.
// clang-format off
#define DIAL_CONNECT_ERRORS(X)                                                                    \
  X(access_denied)                                                                                \
  X(permission_denied) X(address_in_use) X(address_not_available) X(address_family_not_supported) \
      X(would_block) X(connection_pending) X(connection_refused) X(connection_reset_by_peer)      \
          X(connection_timed_out) X(network_unreachable) X(file_not_found) X(system_resources)    \
              X(unexpected)
// clang-format on
DIAL_DECLARE_ERROR_SET(connect_error, DIAL_CONNECT_ERRORS);

/// Initiates a connection on a socket: the specification's prototype. If the socket is
/// non-blocking, WouldBlock means the attempt is under way (EINPROGRESS or EAGAIN); complete it
/// with getsockopt_error once the socket is writable. EINTR never escapes: the interrupted
/// attempt is resumed (Linux) or waited for and its SO_ERROR read (BSD, macOS, and Linux sockets
/// with SO_SNDTIMEO); see docs/spec-differences.md. Programmer errors (EBADF, ENOTSOCK, EISCONN,
/// EFAULT, EPROTOTYPE, ECONNABORTED) trap. The success path is the system call and one compare.
[[nodiscard]] inline std::expected<void, connect_error> connect(socket_t sock, const sockaddr* addr,
                                                                socklen_t len) noexcept;

/// Completes a non-blocking connect: reads and clears SO_ERROR and maps it through the same
/// table as connect. Call it once the socket has polled writable (or with an error); success means
/// the connection is established. Reading consumes the error: a later connect on a socket whose
/// attempt failed traps with ECONNABORTED, so close it instead.
[[nodiscard]] DIAL_API std::expected<void, connect_error> getsockopt_error(socket_t sock) noexcept;

/// The mapping connect uses, exposed for callers that run the system call themselves (io_uring
/// completions, their own event loop): a native code (errno, or a WSA code on Windows) to its
/// name. It records the code for last_native_error() and traps on programmer-error codes, with
/// `call` naming the operation in the trap report. `code` must not be 0 or EINTR.
[[nodiscard]] DIAL_API connect_error
connect_error_from_native(int code, std::string_view call = "connect") noexcept;

// ---- socket --------------------------------------------------------------------------------

/// The names dial::socket can return (modelled on Zig's SocketError).
///   AccessDenied                EACCES, EPERM: not allowed to create this kind of socket (raw
///                               sockets without CAP_NET_RAW, a security policy).
///   AddressFamilyNotSupported   EAFNOSUPPORT: the family is unknown or not compiled in.
///   ProtocolFamilyNotAvailable  EINVAL: unknown protocol, or invalid flags in `type`.
///   ProcessFdQuotaExceeded      EMFILE: this process hit RLIMIT_NOFILE.
///   SystemFdQuotaExceeded       ENFILE: the system-wide file table is full.
///   SystemResources             ENOBUFS, ENOMEM.
///   ProtocolNotSupported        EPROTONOSUPPORT: the protocol is not supported in this family.
///   SocketTypeNotSupported      EPROTOTYPE, ESOCKTNOSUPPORT: the type is not supported.
///   Unexpected                  anything else.
// clang-format off
#define DIAL_SOCKET_ERRORS(X)                                                                   \
  X(access_denied)                                                                              \
  X(address_family_not_supported) X(protocol_family_not_available) X(process_fd_quota_exceeded) \
      X(system_fd_quota_exceeded) X(system_resources) X(protocol_not_supported)                 \
          X(socket_type_not_supported) X(unexpected)
// clang-format on
DIAL_DECLARE_ERROR_SET(socket_error, DIAL_SOCKET_ERRORS);

/// Creates a socket, close-on-exec (not inheritable on Windows) whatever `type` says. `type` may
/// also carry SOCK_NONBLOCK. The returned descriptor is the caller's to close with dial::close.
[[nodiscard]] inline std::expected<socket_t, socket_error> socket(int domain, int type,
                                                                  int protocol) noexcept;

/// The mapping socket uses, exposed like connect_error_from_native.
[[nodiscard]] DIAL_API socket_error socket_error_from_native(int code) noexcept;

// ---- close ---------------------------------------------------------------------------------

/// Closes a socket. It cannot fail in a way the caller can act on: EINTR and EIO are ignored (the
/// descriptor is released all the same on Linux; retrying could close an unrelated descriptor
/// opened meanwhile), and EBADF traps, since it means a double close or a bad handle.
inline void close(socket_t sock) noexcept;

// ---- the success paths, inline -----------------------------------------------------------------
//
// Each call is split so that its success path costs the system call and one compare in the
// caller: `*_native` (src/<os>/) is the bare system call, deliberately not noexcept so that it
// compiles to a tail jump; `*_failed` is the cold, out-of-line rest (EINTR, the mapping, traps),
// which reads the native error code first thing. See docs/benchmarks.md for the counts.
namespace detail {
DIAL_API int connect_native(socket_t sock, const sockaddr* addr, socklen_t len);
[[gnu::cold]] DIAL_API std::expected<void, connect_error> connect_failed(socket_t sock,
                                                                         const sockaddr* addr,
                                                                         socklen_t len) noexcept;
DIAL_API socket_t socket_native(int domain, int type, int protocol);
[[gnu::cold]] DIAL_API socket_error socket_failed() noexcept;
DIAL_API int close_native(socket_t sock);
[[gnu::cold]] DIAL_API void close_failed() noexcept;
}  // namespace detail

inline std::expected<void, connect_error> connect(socket_t sock, const sockaddr* addr,
                                                  socklen_t len) noexcept {
  if (detail::connect_native(sock, addr, len) == 0) [[likely]]
    return {};
  return detail::connect_failed(sock, addr, len);
}

inline std::expected<socket_t, socket_error> socket(int domain, int type, int protocol) noexcept {
  const socket_t s = detail::socket_native(domain, type, protocol);
  if (s != invalid_socket) [[likely]]
    return s;
  return std::unexpected(detail::socket_failed());
}

inline void close(socket_t sock) noexcept {
  if (detail::close_native(sock) != 0) [[unlikely]]
    detail::close_failed();
}

// ==== the sibling calls ========================================================================
//
// Every call below follows connect's rules: one closed set per call (modelled on Zig's set for
// the same call; differences in docs/spec-differences.md, section 7), a flat errno table with
// every line tested, programmer errors trap (EBADF, ENOTSOCK and EFAULT always; others as listed
// per call), Unexpected keeps the code for last_native_error(), and the same split as connect:
// the inline success path is the bare system call (`detail::*_native`) and one compare, the
// rest (EINTR, the mapping, traps) is the cold `detail::*_failed`, which reads errno first. Each
// `*_error_from_native` is the call's table alone, exposed like connect_error_from_native for
// callers that run the system call themselves (io_uring completions); it records the code for
// last_native_error() and traps on the call's programmer-error codes. `code` must not be 0 or
// EINTR. docs/errors.md has a table per call with the test of every line.

// ---- bind ----------------------------------------------------------------------------------

/// The names dial::bind can return (modelled on Zig's BindError).
///   AccessDenied               EACCES: a port below ip_unprivileged_port_start without
///                              CAP_NET_BIND_SERVICE; no search or write permission on the
///                              directories of a Unix path.
///   PermissionDenied           EPERM: a security hook (cgroup-bpf bind4/bind6, LSM) refused it.
///   AddressInUse               EADDRINUSE: the address or Unix path is taken, or port 0 found
///                              no free ephemeral port.
///   AddressNotAvailable        EADDRNOTAVAIL: the address is not local to this host.
///   AddressFamilyNotSupported  EAFNOSUPPORT: sa_family does not match the socket.
///   InvalidAddress             EINVAL on a socket that is not bound yet: a length wrong for the
///                              family, an IPv6 link-local address without a scope id.
///   SymLinkLoop                ELOOP: too many symbolic links in the Unix path.
///   PathTooLong                ENAMETOOLONG: the Unix path is too long.
///   FileNotFound               ENOENT: a directory of the Unix path does not exist.
///   NotDir                     ENOTDIR: a component of the Unix path is not a directory.
///   ReadOnlyFileSystem         EROFS: the Unix socket file would be on a read-only file system.
///   SystemResources            ENOMEM, ENOBUFS.
///   Unexpected                 anything else.
// clang-format off
#define DIAL_BIND_ERRORS(X)                                                                \
  X(access_denied) X(permission_denied) X(address_in_use) X(address_not_available)         \
  X(address_family_not_supported) X(invalid_address) X(sym_link_loop) X(path_too_long)     \
  X(file_not_found) X(not_dir) X(read_only_file_system) X(system_resources) X(unexpected)
// clang-format on
DIAL_DECLARE_ERROR_SET(bind_error, DIAL_BIND_ERRORS);

namespace detail {
DIAL_API int bind_native(socket_t sock, const sockaddr* addr, socklen_t len);
[[gnu::cold]] DIAL_API std::expected<void, bind_error> bind_failed(socket_t sock) noexcept;
}  // namespace detail

/// Gives a socket its local address. EINVAL traps when the socket is already bound (explicitly,
/// or implicitly by connect or listen): binding twice is a bug; on an unbound socket EINVAL is
/// InvalidAddress (the cold path asks getsockname which). bind is not interrupted by signals.
[[nodiscard]] inline std::expected<void, bind_error> bind(socket_t sock, const sockaddr* addr,
                                                          socklen_t len) noexcept {
  if (detail::bind_native(sock, addr, len) == 0) [[likely]]
    return {};
  return detail::bind_failed(sock);
}

/// bind's table. EINVAL is InvalidAddress here: telling "already bound" apart needs the socket.
[[nodiscard]] DIAL_API bind_error bind_error_from_native(int code) noexcept;

// ---- listen --------------------------------------------------------------------------------

/// The names dial::listen can return (modelled on Zig's ListenError).
///   AddressInUse           EADDRINUSE: another socket already listens on the port (both bound
///                          with SO_REUSEADDR), or autobinding found no free port.
///   OperationNotSupported  EOPNOTSUPP: the socket type cannot listen (UDP, Unix datagram).
///   SystemResources        ENOBUFS, ENOMEM.
///   Unexpected             anything else.
// clang-format off
#define DIAL_LISTEN_ERRORS(X) \
  X(address_in_use) X(operation_not_supported) X(system_resources) X(unexpected)
// clang-format on
DIAL_DECLARE_ERROR_SET(listen_error, DIAL_LISTEN_ERRORS);

namespace detail {
DIAL_API int listen_native(socket_t sock, int backlog);
[[gnu::cold]] DIAL_API listen_error listen_failed() noexcept;
}  // namespace detail

/// Marks a socket as accepting connections, with a queue of `backlog` (capped by somaxconn).
/// EINVAL traps: the socket is connected, or is a Unix socket that was never bound.
[[nodiscard]] inline std::expected<void, listen_error> listen(socket_t sock, int backlog) noexcept {
  if (detail::listen_native(sock, backlog) == 0) [[likely]]
    return {};
  return std::unexpected(detail::listen_failed());
}

/// listen's table.
[[nodiscard]] DIAL_API listen_error listen_error_from_native(int code) noexcept;

// ---- accept --------------------------------------------------------------------------------

/// The names dial::accept can return (modelled on Zig's AcceptError).
///   WouldBlock              EAGAIN: no pending connection on a non-blocking listener, or the
///                           listener's SO_RCVTIMEO expired.
///   ConnectionAborted       ECONNABORTED, and the pending network errors Linux documents for
///                           accept (ENETDOWN, ENOPROTOOPT, EHOSTDOWN, ENONET, EHOSTUNREACH,
///                           ENETUNREACH): that one connection failed. Call accept again.
///   SocketNotListening      EINVAL: the socket is not listening, or a shutdown(receive) of the
///                           listener (the usual way to stop an accept loop) ended the wait.
///   ProcessFdQuotaExceeded  EMFILE: this process reached RLIMIT_NOFILE.
///   SystemFdQuotaExceeded   ENFILE: the system-wide file table is full.
///   SystemResources         ENOBUFS, ENOMEM.
///   ProtocolFailure         EPROTO: protocol error on the incoming connection.
///   PermissionDenied        EPERM: a firewall rule or security policy forbade the connection
///                           (Zig's BlockedByFirewall).
///   Unexpected              anything else.
// clang-format off
#define DIAL_ACCEPT_ERRORS(X)                                                                  \
  X(would_block) X(connection_aborted) X(socket_not_listening) X(process_fd_quota_exceeded)    \
  X(system_fd_quota_exceeded) X(system_resources) X(protocol_failure) X(permission_denied)     \
  X(unexpected)
// clang-format on
DIAL_DECLARE_ERROR_SET(accept_error, DIAL_ACCEPT_ERRORS);

/// How dial::accept sets up the new socket. It is close-on-exec whatever these say.
struct accept_flags {
  bool non_blocking = false;  ///< the new socket is non-blocking (SOCK_NONBLOCK)
};

namespace detail {
DIAL_API socket_t accept_native(socket_t sock, sockaddr* addr, socklen_t* len, accept_flags flags);
[[gnu::cold]] DIAL_API std::expected<socket_t, accept_error> accept_failed(
    socket_t sock, sockaddr* addr, socklen_t* len, accept_flags flags) noexcept;
}  // namespace detail

/// Accepts a connection: accept4 with SOCK_CLOEXEC (accept, then FD_CLOEXEC and SO_NOSIGPIPE,
/// on Apple systems). `addr` and `len` may be null; otherwise `*len` holds the buffer's size on
/// entry and the peer address's size on return. EINTR is retried: an interrupted accept has
/// taken no connection. EOPNOTSUPP traps: a datagram socket never has connections (listen
/// already said OperationNotSupported). The new descriptor is the caller's to close.
[[nodiscard]] inline std::expected<socket_t, accept_error> accept(
    socket_t sock, sockaddr* addr = nullptr, socklen_t* len = nullptr,
    accept_flags flags = {}) noexcept {
  const socket_t s = detail::accept_native(sock, addr, len, flags);
  if (s != invalid_socket) [[likely]]
    return s;
  return detail::accept_failed(sock, addr, len, flags);
}

/// accept's table.
[[nodiscard]] DIAL_API accept_error accept_error_from_native(int code) noexcept;

// ---- getsockname, getpeername --------------------------------------------------------------

/// The names dial::getsockname can return (modelled on Zig's GetSockNameError).
///   SystemResources  ENOBUFS, ENOMEM.
///   Unexpected       anything else.
// clang-format off
#define DIAL_GETSOCKNAME_ERRORS(X) X(system_resources) X(unexpected)
// clang-format on
DIAL_DECLARE_ERROR_SET(getsockname_error, DIAL_GETSOCKNAME_ERRORS);

/// The names dial::getpeername can return: getsockname's, and SocketNotConnected.
///   SocketNotConnected  ENOTCONN: the socket has no peer (never connected, still connecting,
///                       or a listener).
///   SystemResources     ENOBUFS, ENOMEM.
///   Unexpected          anything else.
// clang-format off
#define DIAL_GETPEERNAME_ERRORS(X) X(socket_not_connected) X(system_resources) X(unexpected)
// clang-format on
DIAL_DECLARE_ERROR_SET(getpeername_error, DIAL_GETPEERNAME_ERRORS);

namespace detail {
DIAL_API int getsockname_native(socket_t sock, sockaddr* addr, socklen_t* len);
DIAL_API int getpeername_native(socket_t sock, sockaddr* addr, socklen_t* len);
[[gnu::cold]] DIAL_API getsockname_error getsockname_failed() noexcept;
[[gnu::cold]] DIAL_API getpeername_error getpeername_failed() noexcept;
}  // namespace detail

/// The socket's local address. `*len` holds the buffer's size on entry and the address's size
/// on return (larger than the buffer when the address was truncated). EINVAL traps: `*len` is
/// negative as a C int.
[[nodiscard]] inline std::expected<void, getsockname_error> getsockname(socket_t sock,
                                                                        sockaddr* addr,
                                                                        socklen_t* len) noexcept {
  if (detail::getsockname_native(sock, addr, len) == 0) [[likely]]
    return {};
  return std::unexpected(detail::getsockname_failed());
}

/// The connected peer's address; the same conventions as getsockname.
[[nodiscard]] inline std::expected<void, getpeername_error> getpeername(socket_t sock,
                                                                        sockaddr* addr,
                                                                        socklen_t* len) noexcept {
  if (detail::getpeername_native(sock, addr, len) == 0) [[likely]]
    return {};
  return std::unexpected(detail::getpeername_failed());
}

/// getsockname's table: an errno (or WSA code) to its name.
[[nodiscard]] DIAL_API getsockname_error getsockname_error_from_native(int code) noexcept;
/// getpeername's table: an errno (or WSA code) to its name.
[[nodiscard]] DIAL_API getpeername_error getpeername_error_from_native(int code) noexcept;

// ---- shutdown ------------------------------------------------------------------------------

/// The names dial::shutdown can return (modelled on Zig's ShutdownError).
///   SocketNotConnected  ENOTCONN: the socket is not connected.
///   SystemResources     ENOBUFS, ENOMEM.
///   Unexpected          anything else.
// clang-format off
#define DIAL_SHUTDOWN_ERRORS(X) X(socket_not_connected) X(system_resources) X(unexpected)
// clang-format on
DIAL_DECLARE_ERROR_SET(shutdown_error, DIAL_SHUTDOWN_ERRORS);

/// Which directions dial::shutdown closes. The values are POSIX's SHUT_* and Winsock's SD_*.
enum class shutdown_how : std::uint8_t {
  receive = 0,  ///< SHUT_RD; on a listener it also ends a blocked accept (SocketNotListening)
  send = 1,     ///< SHUT_WR: the peer reads end-of-stream
  both = 2,     ///< SHUT_RDWR
};

namespace detail {
DIAL_API int shutdown_native(socket_t sock, int how);
[[gnu::cold]] DIAL_API shutdown_error shutdown_failed() noexcept;
}  // namespace detail

/// Shuts down one or both directions of a connection. The descriptor stays open: close it with
/// dial::close. EINVAL traps: it can only mean a `how` outside the enum.
[[nodiscard]] inline std::expected<void, shutdown_error> shutdown(socket_t sock,
                                                                  shutdown_how how) noexcept {
  if (detail::shutdown_native(sock, static_cast<int>(how)) == 0) [[likely]]
    return {};
  return std::unexpected(detail::shutdown_failed());
}

/// shutdown's table.
[[nodiscard]] DIAL_API shutdown_error shutdown_error_from_native(int code) noexcept;

// ---- setsockopt, getsockopt ----------------------------------------------------------------

/// The names dial::setsockopt can return (modelled on Zig's SetSockOptError).
///   AlreadyConnected       EISCONN: the option cannot be set on a connected socket.
///   InvalidProtocolOption  ENOPROTOOPT: the option (or the level) is unknown.
///   TimeoutTooBig          EDOM: a SO_RCVTIMEO or SO_SNDTIMEO value out of range.
///   SystemResources        ENOMEM, ENOBUFS.
///   PermissionDenied       EPERM: the option needs a privilege (SO_PRIORITY above 6 without
///                          CAP_NET_ADMIN, IP_TRANSPARENT, SO_MARK).
///   InvalidOption          EINVAL: a value or length the option does not accept.
///   UnknownInterface       ENODEV: SO_BINDTODEVICE or a multicast option names no interface
///                          (Zig's NoDevice; the same name the address parser uses).
///   OperationNotSupported  EOPNOTSUPP: the option does not apply to this socket type.
///   AddressInUse           EADDRINUSE: the multicast group is already joined.
///   AddressNotAvailable    EADDRNOTAVAIL: leaving a multicast group that was not joined.
///   Unexpected             anything else.
// clang-format off
#define DIAL_SETSOCKOPT_ERRORS(X)                                                             \
  X(already_connected) X(invalid_protocol_option) X(timeout_too_big) X(system_resources)      \
  X(permission_denied) X(invalid_option) X(unknown_interface) X(operation_not_supported)      \
  X(address_in_use) X(address_not_available) X(unexpected)
// clang-format on
DIAL_DECLARE_ERROR_SET(setsockopt_error, DIAL_SETSOCKOPT_ERRORS);

/// The names dial::getsockopt can return (modelled on Zig's GetSockOptError). The set is not
/// called `getsockopt_error`: that name is taken by the function above that completes a
/// non-blocking connect, and a type of the same name would be hidden by it (reachable only as
/// `enum dial::getsockopt_error`). These are the failures of the getsockopt call itself.
///   InvalidOption          EINVAL: a buffer length the option does not accept.
///   InvalidProtocolOption  ENOPROTOOPT: the option (or the level) is unknown.
///   SystemResources        ENOMEM, ENOBUFS.
///   AccessDenied           EACCES: not allowed to read this option.
///   BufferTooSmall         ERANGE: the value does not fit; `*len` holds the size it needs
///                          (SO_PEERGROUPS).
///   OperationNotSupported  EOPNOTSUPP: the option does not apply to this socket type.
///   Unexpected             anything else.
// clang-format off
#define DIAL_GETSOCKOPT_CALL_ERRORS(X)                                                        \
  X(invalid_option) X(invalid_protocol_option) X(system_resources) X(access_denied)           \
  X(buffer_too_small) X(operation_not_supported) X(unexpected)
// clang-format on
DIAL_DECLARE_ERROR_SET(getsockopt_call_error, DIAL_GETSOCKOPT_CALL_ERRORS);

namespace detail {
DIAL_API int setsockopt_native(socket_t sock, int level, int name, const void* value,
                               socklen_t len);
DIAL_API int getsockopt_native(socket_t sock, int level, int name, void* value, socklen_t* len);
[[gnu::cold]] DIAL_API setsockopt_error setsockopt_failed() noexcept;
[[gnu::cold]] DIAL_API getsockopt_call_error getsockopt_failed() noexcept;
}  // namespace detail

/// Sets a socket option: `value` points at `len` bytes (an int for most options).
[[nodiscard]] inline std::expected<void, setsockopt_error> setsockopt(socket_t sock, int level,
                                                                      int name, const void* value,
                                                                      socklen_t len) noexcept {
  if (detail::setsockopt_native(sock, level, name, value, len) == 0) [[likely]]
    return {};
  return std::unexpected(detail::setsockopt_failed());
}

/// Reads a socket option into `value`; `*len` holds the buffer's size on entry and the value's
/// size on return.
[[nodiscard]] inline std::expected<void, getsockopt_call_error> getsockopt(
    socket_t sock, int level, int name, void* value, socklen_t* len) noexcept {
  if (detail::getsockopt_native(sock, level, name, value, len) == 0) [[likely]]
    return {};
  return std::unexpected(detail::getsockopt_failed());
}

/// setsockopt's table: an errno (or WSA code) to its name.
[[nodiscard]] DIAL_API setsockopt_error setsockopt_error_from_native(int code) noexcept;
/// getsockopt's table: an errno (or WSA code) to its name.
[[nodiscard]] DIAL_API getsockopt_call_error getsockopt_call_error_from_native(int code) noexcept;

// ---- send, sendto --------------------------------------------------------------------------

/// The names dial::send and dial::sendto can return. One set serves both: send is sendto
/// without an address, and the conditions Zig treats as sendto-only are real for send too (a
/// Unix socket that is not connected, a connected UDP socket whose route went away). Modelled on
/// Zig's SendToError.
///   AccessDenied               EACCES: a broadcast destination without SO_BROADCAST; no write
///                              permission on a Unix destination path.
///   WouldBlock                 EAGAIN: the send buffer is full on a non-blocking socket, or
///                              SO_SNDTIMEO expired with nothing sent.
///   FastOpenAlreadyInProgress  EALREADY: a TCP Fast Open connect is already in progress.
///   ConnectionResetByPeer      ECONNRESET: the peer reset the connection.
///   ConnectionTimedOut         ETIMEDOUT: the connection timed out (retransmissions or
///                              keepalives went unanswered), reported by the next send.
///   ConnectionRefused          ECONNREFUSED: an earlier datagram of a connected UDP socket met
///                              ICMP port unreachable.
///   MessageTooBig              EMSGSIZE: the datagram is too big to be sent atomically.
///   SystemResources            ENOBUFS, ENOMEM.
///   BrokenPipe                 EPIPE: the connection is shut down for sending (by this side,
///                              or the peer closed and reset it). Never raises SIGPIPE.
///   NetworkUnreachable         ENETUNREACH, EHOSTUNREACH: no route to the destination.
///   NetworkSubsystemFailed     ENETDOWN: the outgoing interface is down.
///   AddressFamilyNotSupported  EAFNOSUPPORT: the destination's family does not match.
///   InvalidAddress             EINVAL: the destination is not usable from this socket (port 0,
///                              off-host from a socket bound to loopback): Zig's
///                              UnreachableAddress.
///   SymLinkLoop, PathTooLong, FileNotFound, NotDir
///                              ELOOP, ENAMETOOLONG, ENOENT, ENOTDIR: the Unix destination path.
///   SocketNotConnected         ENOTCONN: a Unix socket that is not connected, and no address.
///   AddressNotAvailable        EADDRNOTAVAIL: no usable local address for the destination.
///   Unexpected                 anything else.
// clang-format off
#define DIAL_SEND_ERRORS(X)                                                                    \
  X(access_denied) X(would_block) X(fast_open_already_in_progress)                             \
  X(connection_reset_by_peer) X(connection_timed_out) X(connection_refused) X(message_too_big) \
  X(system_resources) X(broken_pipe) X(network_unreachable) X(network_subsystem_failed)        \
  X(address_family_not_supported) X(invalid_address) X(sym_link_loop) X(path_too_long)         \
  X(file_not_found) X(not_dir) X(socket_not_connected) X(address_not_available) X(unexpected)
// clang-format on
DIAL_DECLARE_ERROR_SET(send_error, DIAL_SEND_ERRORS);

namespace detail {
DIAL_API std::ptrdiff_t send_native(socket_t sock, const void* data, std::size_t size, int flags);
DIAL_API std::ptrdiff_t sendto_native(socket_t sock, const void* data, std::size_t size, int flags,
                                      const sockaddr* to, socklen_t len);
[[gnu::cold]] DIAL_API std::expected<std::size_t, send_error> sendto_failed(
    socket_t sock, std::span<const std::byte> data, int flags, const sockaddr* to,
    socklen_t len) noexcept;
}  // namespace detail

/// Sends bytes on a connected socket and returns how many were sent (a stream socket may send
/// fewer than given). Never raises SIGPIPE: MSG_NOSIGNAL is always added (Linux, the BSDs);
/// Apple systems lack it, and there dial::accept sets SO_NOSIGPIPE on the sockets it returns.
/// `flags` are MSG_* flags. EINTR is retried: an interrupted send has sent nothing (a partly
/// sent one returns its count). EDESTADDRREQ, EISCONN and EOPNOTSUPP trap: no destination for
/// an unconnected datagram socket, an address on a connected Unix stream socket, a flag the
/// socket type does not support.
[[nodiscard]] inline std::expected<std::size_t, send_error> send(socket_t sock,
                                                                 std::span<const std::byte> data,
                                                                 int flags = 0) noexcept {
  const std::ptrdiff_t n = detail::send_native(sock, data.data(), data.size(), flags);
  if (n >= 0) [[likely]]
    return static_cast<std::size_t>(n);
  return detail::sendto_failed(sock, data, flags, nullptr, 0);
}

/// Sends a datagram to `to`; the same rules as send. A null `to` with `len` 0 is send.
[[nodiscard]] inline std::expected<std::size_t, send_error> sendto(socket_t sock,
                                                                   std::span<const std::byte> data,
                                                                   const sockaddr* to,
                                                                   socklen_t len,
                                                                   int flags = 0) noexcept {
  const std::ptrdiff_t n = detail::sendto_native(sock, data.data(), data.size(), flags, to, len);
  if (n >= 0) [[likely]]
    return static_cast<std::size_t>(n);
  return detail::sendto_failed(sock, data, flags, to, len);
}

/// send's and sendto's table.
[[nodiscard]] DIAL_API send_error send_error_from_native(int code) noexcept;

// ---- recv, recvfrom ------------------------------------------------------------------------

/// The names dial::recv and dial::recvfrom can return (modelled on Zig's RecvFromError).
///   WouldBlock             EAGAIN: nothing to read on a non-blocking socket, or SO_RCVTIMEO
///                          expired.
///   ConnectionRefused      ECONNREFUSED: an earlier datagram of a connected UDP socket met ICMP
///                          port unreachable.
///   ConnectionResetByPeer  ECONNRESET: the peer reset the connection.
///   ConnectionTimedOut     ETIMEDOUT: the connection timed out (retransmissions, keepalives).
///   NetworkUnreachable     ENETUNREACH, EHOSTUNREACH: an ICMP unreachable reported on a
///                          connected socket.
///   SocketNotConnected     ENOTCONN: a stream socket that is not connected (or a listener).
///   SystemResources        ENOMEM, ENOBUFS.
///   Unexpected             anything else.
// clang-format off
#define DIAL_RECV_ERRORS(X)                                                                    \
  X(would_block) X(connection_refused) X(connection_reset_by_peer) X(connection_timed_out)     \
  X(network_unreachable) X(socket_not_connected) X(system_resources) X(unexpected)
// clang-format on
DIAL_DECLARE_ERROR_SET(recv_error, DIAL_RECV_ERRORS);

namespace detail {
DIAL_API std::ptrdiff_t recv_native(socket_t sock, void* buf, std::size_t size, int flags);
DIAL_API std::ptrdiff_t recvfrom_native(socket_t sock, void* buf, std::size_t size, int flags,
                                        sockaddr* from, socklen_t* len);
[[gnu::cold]] DIAL_API std::expected<std::size_t, recv_error> recvfrom_failed(
    socket_t sock, std::span<std::byte> buf, int flags, sockaddr* from, socklen_t* len) noexcept;
}  // namespace detail

/// Receives bytes and returns how many were read: 0 means the peer shut down its side (stream
/// sockets) or an empty datagram. EINTR is retried: nothing was read. EINVAL and EOPNOTSUPP
/// trap: both come only from `flags` the socket cannot honour (MSG_OOB on a datagram socket, or
/// with no urgent data pending: wait for poll_pri first).
[[nodiscard]] inline std::expected<std::size_t, recv_error> recv(socket_t sock,
                                                                 std::span<std::byte> buf,
                                                                 int flags = 0) noexcept {
  const std::ptrdiff_t n = detail::recv_native(sock, buf.data(), buf.size(), flags);
  if (n >= 0) [[likely]]
    return static_cast<std::size_t>(n);
  return detail::recvfrom_failed(sock, buf, flags, nullptr, nullptr);
}

/// Receives a datagram and its source address; `from` and `len` as for accept.
[[nodiscard]] inline std::expected<std::size_t, recv_error> recvfrom(socket_t sock,
                                                                     std::span<std::byte> buf,
                                                                     sockaddr* from, socklen_t* len,
                                                                     int flags = 0) noexcept {
  const std::ptrdiff_t n = detail::recvfrom_native(sock, buf.data(), buf.size(), flags, from, len);
  if (n >= 0) [[likely]]
    return static_cast<std::size_t>(n);
  return detail::recvfrom_failed(sock, buf, flags, from, len);
}

/// recv's and recvfrom's table.
[[nodiscard]] DIAL_API recv_error recv_error_from_native(int code) noexcept;

// ---- poll ----------------------------------------------------------------------------------

/// The names dial::poll can return (modelled on Zig's PollError).
///   SystemResources         ENOMEM, ENOBUFS: no memory for the kernel's descriptor tables.
///   ProcessFdQuotaExceeded  EINVAL: more entries than RLIMIT_NOFILE allows (the limit can be
///                           lowered from outside the process, with prlimit).
///   Unexpected              anything else.
// clang-format off
#define DIAL_POLL_ERRORS(X) X(system_resources) X(process_fd_quota_exceeded) X(unexpected)
// clang-format on
DIAL_DECLARE_ERROR_SET(poll_error, DIAL_POLL_ERRORS);

/// One entry of dial::poll, with the layout of the system's `struct pollfd` (WSAPOLLFD on
/// Windows), checked where the system header is included, so arrays of either can be passed.
/// An entry with a negative `fd` is skipped.
struct poll_fd {
  socket_t fd;    ///< the descriptor to watch
  short events;   ///< what to wait for: poll_in, poll_out, ...
  short revents;  ///< what happened; poll fills it in
};

// The bits of poll_fd::events and poll_fd::revents, as poll(2) names them.
#ifdef _WIN32
// WSAPoll's values.
inline constexpr short poll_in = 0x0300;    ///< POLLIN (POLLRDNORM | POLLRDBAND): data to read
inline constexpr short poll_pri = 0x0400;   ///< POLLPRI: urgent data to read
inline constexpr short poll_out = 0x0010;   ///< POLLOUT (POLLWRNORM): writing will not block
inline constexpr short poll_err = 0x0001;   ///< POLLERR: an error is pending (revents only)
inline constexpr short poll_hup = 0x0002;   ///< POLLHUP: hung up (revents only)
inline constexpr short poll_nval = 0x0004;  ///< POLLNVAL: not an open socket (revents only)
#else
// POSIX's values: the same on Linux, the BSDs and macOS (checked in src/posix/poll.cpp).
inline constexpr short poll_in = 0x001;    ///< POLLIN: data to read
inline constexpr short poll_pri = 0x002;   ///< POLLPRI: urgent data to read
inline constexpr short poll_out = 0x004;   ///< POLLOUT: writing will not block
inline constexpr short poll_err = 0x008;   ///< POLLERR: an error is pending (revents only)
inline constexpr short poll_hup = 0x010;   ///< POLLHUP: hung up (revents only)
inline constexpr short poll_nval = 0x020;  ///< POLLNVAL: not an open descriptor (revents only)
#endif

namespace detail {
/// poll's timeout as the kernel's `struct timespec` (checked in src/posix/poll.cpp). Linux's
/// ppoll writes the time that remains back into it when a signal interrupts the wait, so the
/// retry needs no clock on the success path; `start_ns` serves systems that do not (BSD, macOS).
struct poll_timeout {
  std::int64_t sec;
  std::int64_t nsec;
  std::int64_t start_ns;
};
DIAL_API int poll_native(poll_fd* fds, std::size_t count, poll_timeout* timeout);
[[gnu::cold]] DIAL_API std::expected<std::size_t, poll_error> poll_failed(
    std::span<poll_fd> fds, poll_timeout* timeout) noexcept;
}  // namespace detail

/// Waits until one of `fds` is ready or `timeout_ms` milliseconds pass (negative: no limit; 0:
/// do not wait). Returns how many entries have a non-zero `revents`; 0 means the time ran out.
/// EINTR is retried with the time that remains, never the whole timeout again. EFAULT traps.
[[nodiscard]] inline std::expected<std::size_t, poll_error> poll(std::span<poll_fd> fds,
                                                                 int timeout_ms) noexcept {
  detail::poll_timeout t{timeout_ms / 1000, timeout_ms % 1000 * 1000000, 0};
  const int n = detail::poll_native(fds.data(), fds.size(), timeout_ms < 0 ? nullptr : &t);
  if (n >= 0) [[likely]]
    return static_cast<std::size_t>(n);
  return detail::poll_failed(fds, timeout_ms < 0 ? nullptr : &t);
}

/// poll's table.
[[nodiscard]] DIAL_API poll_error poll_error_from_native(int code) noexcept;

}  // namespace dial

DIAL_REGISTER_ERROR_SET(dial::connect_error);
DIAL_REGISTER_ERROR_SET(dial::socket_error);
DIAL_REGISTER_ERROR_SET(dial::bind_error);
DIAL_REGISTER_ERROR_SET(dial::listen_error);
DIAL_REGISTER_ERROR_SET(dial::accept_error);
DIAL_REGISTER_ERROR_SET(dial::getsockname_error);
DIAL_REGISTER_ERROR_SET(dial::getpeername_error);
DIAL_REGISTER_ERROR_SET(dial::shutdown_error);
DIAL_REGISTER_ERROR_SET(dial::setsockopt_error);
DIAL_REGISTER_ERROR_SET(dial::getsockopt_call_error);
DIAL_REGISTER_ERROR_SET(dial::send_error);
DIAL_REGISTER_ERROR_SET(dial::recv_error);
DIAL_REGISTER_ERROR_SET(dial::poll_error);
