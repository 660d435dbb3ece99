// src/windows/connect_until.cpp: connect with a deadline and a stop token over Winsock.
#include <algorithm>
#include <chrono>

#include "dial/dialer.hpp"
#include "windows/winsock.hpp"

namespace dial {
namespace {

using namespace std::chrono_literals;
using clock = deadline_clock;
using result = std::expected<void, connect_until_error>;

// How long one select may wait before the stop token is looked at again. Windows has no
// descriptor a stop_callback could make readable for select (it takes sockets only), so
// cancellation is noticed within one slice.
constexpr auto slice = 10ms;

result fail(connect_until_error e, int native) noexcept {
  detail::record_native(native);  // 0 for Timeout and Canceled: no OS code is behind them
  return std::unexpected(e);
}

bool set_non_blocking(socket_t s, bool on) noexcept {
  u_long v = on ? 1 : 0;
  return ::ioctlsocket(s, FIONBIO, &v) == 0;
}

enum class waited { ready, timeout, canceled, failed };

// Waits until the attempt ends (write set: connected; exception set: failed), the deadline, or
// a stop. select, not WSAPoll: WSAPoll did not report failed connects before Windows 10 2004.
waited wait_for(socket_t s, const std::stop_token& stop, clock::time_point deadline) noexcept {
  for (;;) {
    if (stop.stop_requested()) return waited::canceled;
    const auto now = clock::now();
    if (now >= deadline) return waited::timeout;
    const auto wait = std::min<clock::duration>(deadline - now, slice);
    const auto us = std::chrono::ceil<std::chrono::microseconds>(wait).count();
    timeval tv{0, static_cast<long>(us)};
    fd_set w, x;
    FD_ZERO(&w);
    FD_ZERO(&x);
    FD_SET(s, &w);
    FD_SET(s, &x);
    const int rc = ::select(0, nullptr, &w, &x, &tv);
    if (rc == SOCKET_ERROR) return waited::failed;
    if (rc > 0) return waited::ready;
  }
}

result wait_failed(waited w) noexcept {
  if (w == waited::timeout) return fail(connect_until_error::timeout, 0);
  if (w == waited::canceled) return fail(connect_until_error::canceled, 0);
  const int e = ::WSAGetLastError();
  detail::trap_if_not_a_socket("connect_until", e);
  return fail(
      e == WSAENOBUFS ? connect_until_error::system_resources : connect_until_error::unexpected, e);
}

// Readiness is a hint: only a peer name proves the connection exists (Asio does the same).
bool is_connected(socket_t s) noexcept {
  sockaddr_storage peer{};
  int len = sizeof peer;
  return ::getpeername(s, reinterpret_cast<sockaddr*>(&peer), &len) == 0;
}

// WSAEWOULDBLOCK: the attempt runs in the kernel; wait for it and read its outcome.
result complete(socket_t s, const std::stop_token& stop, clock::time_point deadline) noexcept {
  for (;;) {
    const waited w = wait_for(s, stop, deadline);
    if (w != waited::ready) return wait_failed(w);
    if (auto done = getsockopt_error(s); !done)
      return std::unexpected(widen<connect_until_error>(done.error()));
    if (is_connected(s)) return {};
    // A spurious wake-up: no error and no peer yet. Wait again.
  }
}

result attempt(socket_t s, const sockaddr* a, socklen_t n, clock::time_point deadline,
               const std::stop_token& stop) noexcept {
  auto r = dial::connect(s, a, n);
  if (r) return {};
  // Only WSAEWOULDBLOCK starts an attempt; WSAEINPROGRESS (WouldBlock too) started nothing.
  if (r.error() != connect_error::would_block || last_native_error() != WSAEWOULDBLOCK)
    return std::unexpected(widen<connect_until_error>(r.error()));
  return complete(s, stop, deadline);
}

}  // namespace

// Windows cannot tell whether a socket is blocking (FIONBIO can be set, never read): the socket
// is made non-blocking for the attempt and is blocking, Winsock's default, after a success.
std::expected<void, connect_until_error> connect_until(socket_t sock, const sockaddr* addr,
                                                       socklen_t len,
                                                       deadline_clock::time_point deadline,
                                                       std::stop_token stop) noexcept {
  if (stop.stop_requested()) return fail(connect_until_error::canceled, 0);
  if (!set_non_blocking(sock, true)) {
    const int e = ::WSAGetLastError();
    detail::trap_if_not_a_socket("connect_until", e);
    return fail(connect_until_error::unexpected, e);
  }
  result r = attempt(sock, addr, len, deadline, stop);
  if (r) set_non_blocking(sock, false);
  return r;
}

}  // namespace dial
