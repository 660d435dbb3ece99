// src/windows/dialer_os.cpp: the Winsock answers to src/common/dialer_os.hpp, and the wake-up
// socket (src/windows/wake_socket.hpp) that the stop waker and the resolver share.
#include "common/sockets.hpp"

#include "common/dialer_os.hpp"
#include "windows/wake_socket.hpp"

namespace dial::detail {
namespace {

// bind, getsockname, connect and FIONBIO: each fails only with a WSA code the caller keeps.
int connect_to_itself(socket_t s) noexcept {
  sockaddr_in self{};
  self.sin_family = AF_INET;
  self.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int len = sizeof self;
  auto* sa = reinterpret_cast<sockaddr*>(&self);
  u_long on = 1;
  if (::bind(s, sa, len) != 0 || ::getsockname(s, sa, &len) != 0 || ::connect(s, sa, len) != 0 ||
      ::ioctlsocket(s, FIONBIO, &on) != 0)
    return ::WSAGetLastError();
  return 0;
}

}  // namespace

socket_t no_socket() noexcept { return INVALID_SOCKET; }

// Windows cannot read FIONBIO, only set it: the socket is made blocking again on every path,
// Winsock's default (a socket that came in non-blocking leaves blocking; docs/dialer.md).
std::expected<bool, int> enter_non_blocking(socket_t s) noexcept {
  u_long on = 1;
  if (::ioctlsocket(s, FIONBIO, &on) == 0) return true;
  const int e = ::WSAGetLastError();
  trap_if_not_a_socket("connect_until", e);
  record_native(e);
  return std::unexpected(e);
}

void leave_non_blocking(socket_t s) noexcept {
  const int saved = ::WSAGetLastError();
  u_long off = 0;
  (void)::ioctlsocket(s, FIONBIO, &off);
  ::WSASetLastError(saved);
}

std::expected<socket_t, int> make_wake_socket() noexcept {
  // socket_native starts Winsock if nobody has yet, and makes the socket not inheritable.
  const socket_t s = socket_native(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
  if (s == INVALID_SOCKET) return std::unexpected(::WSAGetLastError());
  if (const int e = connect_to_itself(s); e != 0) {
    ::closesocket(s);
    return std::unexpected(e);
  }
  return s;
}

void wake_socket_send(socket_t s) noexcept {
  const char one = 1;
  (void)::send(s, &one, 1, 0);  // WSAEWOULDBLOCK: the buffer is full, so it is readable already
}

void wake_socket_drain(socket_t s) noexcept {
  char sink[16];
  while (::recv(s, sink, sizeof sink, 0) > 0) {  // ends at WSAEWOULDBLOCK: non-blocking
  }
}

stop_waker::stop_waker(const std::stop_token& stop) noexcept
    : read_(INVALID_SOCKET), write_(INVALID_SOCKET) {
  if (!stop.stop_possible()) return;
  auto s = make_wake_socket();
  if (!s) {
    error_ = s.error();
    return;
  }
  read_ = write_ = *s;  // one socket: what it sends to itself it reads
  callback_.emplace(stop, wake{write_});
}

stop_waker::~stop_waker() {
  callback_.reset();  // first: the callback must not send on a closed socket
  if (read_ != INVALID_SOCKET) ::closesocket(read_);
}

void stop_waker::wake::operator()() const noexcept { wake_socket_send(fd); }

}  // namespace dial::detail
