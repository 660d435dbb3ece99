// tests/support/portable_support.hpp: what the portable tests need from the OS, behind names
// that mean the same on Linux and on Windows. The tests include no system header: every #ifdef
// lives in portable_support.cpp, so a test reads the same on both platforms and names errors,
// never codes.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>

#include "dial/address.hpp"
#include "dial/error.hpp"
#include "dial/socket.hpp"
#include "dial/sys.hpp"

namespace dial::portable {

/// The system's constants, for dial::socket.
extern const int af_inet;
extern const int af_inet6;
extern const int sock_stream;
extern const int sock_dgram;
extern const int ipproto_tcp;
extern const int ipproto_udp;
extern const int af_unix;
extern const int sol_socket;
extern const int so_reuseaddr;
extern const int so_rcvbuf;

/// A family no system knows (for AddressFamilyNotSupported).
inline constexpr int af_unknown = 9999;

/// An IP socket address with its exact length, stored without the system's types.
struct endpoint {
  alignas(8) std::array<std::byte, 128> storage{};
  socklen_t len = 0;
  [[nodiscard]] const sockaddr* sa() const noexcept;
  [[nodiscard]] sockaddr* sa() noexcept;
};

/// The loopback address of `family` (127.0.0.1 or ::1) and `port`.
[[nodiscard]] endpoint loopback(int family, std::uint16_t port);

/// The system address of `a` (dial::address::to_native into a real sockaddr_storage).
[[nodiscard]] endpoint to_endpoint(const address& a);

/// dial::address::from_native of an endpoint's bytes and length.
[[nodiscard]] std::expected<address, address_native_error> from_endpoint(const endpoint& e);

/// The sa_family field of an endpoint.
[[nodiscard]] int family_of(const endpoint& e);

/// An endpoint of `len` bytes and the largest buffer: for getsockname, accept, recvfrom.
[[nodiscard]] inline endpoint buffer() {
  endpoint e;
  e.len = static_cast<socklen_t>(e.storage.size());
  return e;
}

/// A socket owned by the test: the library's owner (dial::close on destruction), itself tested by
/// socket_owner_test.cpp.
using owned_socket = dial::owned_socket;

/// A new TCP socket made with dial::socket, optionally non-blocking; throws on failure.
[[nodiscard]] owned_socket tcp_socket(int family, bool nonblocking = false);

/// A new UDP socket made with dial::socket; throws on failure.
[[nodiscard]] owned_socket udp_socket(int family);

/// Makes a socket non-blocking: fcntl(O_NONBLOCK) on POSIX, ioctlsocket(FIONBIO) on Windows
/// (Winsock has no SOCK_NONBLOCK to ask dial::socket for).
void set_nonblocking(socket_t s);

/// Whether a child process would inherit the socket: no FD_CLOEXEC on POSIX, HANDLE_FLAG_INHERIT
/// on Windows.
[[nodiscard]] bool is_inheritable(socket_t s);

/// Whether `s` is in blocking mode. POSIX reads O_NONBLOCK. Windows cannot read the mode, so `s`
/// must be connected with nothing to read: a recv with a 100 ms SO_RCVTIMEO tells (a blocking
/// socket waits for the timeout, a non-blocking one answers at once). Throws when it cannot tell.
[[nodiscard]] bool is_blocking(socket_t s);

/// The port of an IP endpoint.
[[nodiscard]] std::uint16_t port_of(const endpoint& e);

/// A TCP listener on loopback with an ephemeral port (or `port`; throws when it is taken).
struct listener {
  owned_socket sock;
  endpoint where;
};
[[nodiscard]] listener tcp_listener(int family, int backlog = 16, std::uint16_t port = 0);

/// A loopback port nobody listens on: bound, never listening, so the port stays reserved and
/// answers SYNs with a reset. Keep it alive while using the address. `port` 0: an ephemeral one.
[[nodiscard]] listener closed_port(int family, std::uint16_t port = 0);

/// A listener whose accept queue is full (backlog 0, one connection queued): a further connect
/// stays in progress (the kernel drops its SYNs) until the queued one is accepted.
struct full_listener {
  listener l;
  owned_socket queued;
};
[[nodiscard]] full_listener full_tcp_listener(int family, std::uint16_t port = 0);

/// Waits until `s` is writable or has failed (a non-blocking connect finished); false on timeout.
[[nodiscard]] bool wait_connected(socket_t s, std::chrono::milliseconds limit);

/// An open handle that is not a socket (a pipe on POSIX, an event on Windows), closed on
/// destruction.
class not_a_socket {
 public:
  not_a_socket();
  not_a_socket(const not_a_socket&) = delete;
  not_a_socket& operator=(const not_a_socket&) = delete;
  ~not_a_socket();
  [[nodiscard]] socket_t get() const noexcept { return h_; }

 private:
  socket_t h_;
  socket_t other_ = invalid_socket;  // the pipe's other end on POSIX
};

/// Death-test predicate: the child ended as dial's default trap ends a process, with abort():
/// killed by SIGABRT on POSIX, exit code 3 on Windows (the C runtime's abort).
[[nodiscard]] bool aborted(int status);

/// True when the Windows build runs under wine rather than Windows (wine's ntdll exports
/// wine_get_version). Only for expectations where wine is known to answer otherwise
/// (docs/spec-differences.md); false on POSIX.
[[nodiscard]] bool under_wine();

}  // namespace dial::portable
