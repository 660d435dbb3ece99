// dial/sys.hpp: layer 1, one function per socket call, each with its own closed error set.
#pragma once

#include <cstdint>
#include <expected>

#include "dial/error.hpp"

// The system's own address type, declared but not defined here: public headers include no
// system socket headers (<sys/socket.h>, <winsock2.h>). Callers pass a pointer they built.
struct sockaddr;

namespace dial {

#ifdef _WIN32
using socket_t = std::uintptr_t;  ///< Winsock's SOCKET
using socklen_t = int;            ///< Winsock's int address length
inline constexpr socket_t invalid_socket = ~socket_t{0};
#else
using socket_t = int;             ///< a POSIX file descriptor
using socklen_t = std::uint32_t;  ///< the kernel's socklen_t (checked in src/posix)
inline constexpr socket_t invalid_socket = -1;
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
#define DIAL_CONNECT_ERRORS(X)                                                                    \
  X(access_denied)                                                                                \
  X(permission_denied) X(address_in_use) X(address_not_available) X(address_family_not_supported) \
      X(would_block) X(connection_pending) X(connection_refused) X(connection_reset_by_peer)      \
          X(connection_timed_out) X(network_unreachable) X(file_not_found) X(system_resources)    \
              X(unexpected)
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
[[nodiscard]] std::expected<void, connect_error> getsockopt_error(socket_t sock) noexcept;

/// The mapping connect uses, exposed for callers that run the system call themselves (io_uring
/// completions, their own event loop): a native code (errno, or a WSA code on Windows) to its
/// name. It records the code for last_native_error() and traps on programmer-error codes, with
/// `call` naming the operation in the trap report. `code` must not be 0 or EINTR.
[[nodiscard]] connect_error connect_error_from_native(int code,
                                                      std::string_view call = "connect") noexcept;

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
#define DIAL_SOCKET_ERRORS(X)                                                                   \
  X(access_denied)                                                                              \
  X(address_family_not_supported) X(protocol_family_not_available) X(process_fd_quota_exceeded) \
      X(system_fd_quota_exceeded) X(system_resources) X(protocol_not_supported)                 \
          X(socket_type_not_supported) X(unexpected)
DIAL_DECLARE_ERROR_SET(socket_error, DIAL_SOCKET_ERRORS);

/// Creates a socket, close-on-exec (not inheritable on Windows) whatever `type` says. `type` may
/// also carry SOCK_NONBLOCK. The returned descriptor is the caller's to close with dial::close.
[[nodiscard]] inline std::expected<socket_t, socket_error> socket(int domain, int type,
                                                                  int protocol) noexcept;

/// The mapping socket uses, exposed like connect_error_from_native.
[[nodiscard]] socket_error socket_error_from_native(int code) noexcept;

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
int connect_native(socket_t sock, const sockaddr* addr, socklen_t len);
[[gnu::cold]] std::expected<void, connect_error> connect_failed(socket_t sock, const sockaddr* addr,
                                                                socklen_t len) noexcept;
socket_t socket_native(int domain, int type, int protocol);
[[gnu::cold]] socket_error socket_failed() noexcept;
int close_native(socket_t sock);
[[gnu::cold]] void close_failed() noexcept;
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

}  // namespace dial

DIAL_REGISTER_ERROR_SET(dial::connect_error);
DIAL_REGISTER_ERROR_SET(dial::socket_error);
