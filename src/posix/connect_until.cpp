// src/posix/connect_until.cpp: connect with a deadline and a stop token (Linux, BSD, macOS).
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "common/native.hpp"
#include "dial/dialer.hpp"
#include "posix/stop_waker.hpp"

namespace dial {
namespace {

using namespace std::chrono_literals;
using clock = deadline_clock;
using result = std::expected<void, connect_until_error>;

result fail(connect_until_error e, int native) noexcept {
  detail::record_native(native);  // 0 for Timeout and Canceled: no OS code is behind them
  return std::unexpected(e);
}

using detail::stop_waker;

enum class waited { ready, hung_up, timeout, canceled, failed };

// Waits until `events` on `s` (or only the deadline when s < 0), the deadline, or a stop. A
// waker without a descriptor (none could be made) makes the poll wake in slices to look.
waited wait_for(int s, short events, const stop_waker& waker, const std::stop_token& stop,
                clock::time_point deadline) noexcept {
  for (;;) {
    if (stop.stop_requested()) return waited::canceled;
    pollfd p[2] = {{s, events, 0}, {waker.fd(), POLLIN, 0}};
    const int rc = ::poll(p, waker.fd() >= 0 ? 2 : 1, waker.timeout_ms(deadline));
    if (rc < 0) {
      if (errno == EINTR) continue;
      return waited::failed;
    }
    if (stop.stop_requested()) return waited::canceled;
    if (rc > 0 && (p[0].revents & POLLHUP) != 0) return waited::hung_up;
    if (rc > 0 && p[0].revents != 0) return waited::ready;
    if (clock::now() >= deadline) return waited::timeout;
  }
}

result wait_failed(waited w) noexcept {
  if (w == waited::timeout) return fail(connect_until_error::timeout, 0);
  if (w == waited::canceled) return fail(connect_until_error::canceled, 0);
  const int e = errno;
  return fail(e == ENOMEM ? connect_until_error::system_resources : connect_until_error::unexpected,
              e);
}

// Readiness is a hint: only a peer name proves the connection exists (Asio does the same).
bool is_connected(socket_t s) noexcept {
  sockaddr_storage peer{};
  ::socklen_t len = sizeof peer;
  return ::getpeername(s, reinterpret_cast<sockaddr*>(&peer), &len) == 0;
}

// EINPROGRESS: the attempt runs in the kernel; wait for it and read its outcome. Readiness is
// re-checked: no error and no peer is a spurious wake-up, and the wait goes on. A hang-up with
// neither (the connection came and went, its error already consumed) would poll ready forever,
// so it ends the attempt as a reset.
result complete(socket_t s, const stop_waker& waker, const std::stop_token& stop,
                clock::time_point deadline) noexcept {
  for (;;) {
    const waited w = wait_for(s, POLLOUT, waker, stop, deadline);
    if (w != waited::ready && w != waited::hung_up) return wait_failed(w);
    if (auto done = getsockopt_error(s); !done)
      return std::unexpected(widen<connect_until_error>(done.error()));
    if (is_connected(s)) return {};
    if (w == waited::hung_up) return fail(connect_until_error::connection_reset_by_peer, 0);
  }
}

// EAGAIN: nothing is in progress (a full Unix backlog, no port to autobind). Retry, pausing
// longer each time, until it goes through or the deadline passes.
result retry(socket_t s, const sockaddr* a, socklen_t n, const stop_waker& waker,
             const std::stop_token& stop, clock::time_point deadline) noexcept {
  auto pause = std::chrono::milliseconds(1);
  for (;;) {
    const auto until = std::min(deadline, clock::now() + pause);
    const waited w = wait_for(-1, 0, waker, stop, until);
    if (w == waited::canceled || w == waited::failed) return wait_failed(w);
    auto r = dial::connect(s, a, n);
    if (r) return {};
    if (r.error() != connect_error::would_block)
      return std::unexpected(widen<connect_until_error>(r.error()));
    if (clock::now() >= deadline) return fail(connect_until_error::timeout, 0);
    pause = std::min(pause * 2, std::chrono::milliseconds(50));
  }
}

result attempt(socket_t s, const sockaddr* a, socklen_t n, clock::time_point deadline,
               const std::stop_token& stop) noexcept {
  auto r = dial::connect(s, a, n);
  if (r) return {};
  if (r.error() != connect_error::would_block)
    return std::unexpected(widen<connect_until_error>(r.error()));
  const bool in_progress = last_native_error() == EINPROGRESS;
  const stop_waker waker(stop);
  if (in_progress) return complete(s, waker, stop, deadline);
  return retry(s, a, n, waker, stop, deadline);
}

}  // namespace

std::expected<void, connect_until_error> connect_until(socket_t sock, const sockaddr* addr,
                                                       socklen_t len,
                                                       deadline_clock::time_point deadline,
                                                       std::stop_token stop) noexcept {
  if (stop.stop_requested()) return fail(connect_until_error::canceled, 0);
  const int flags = ::fcntl(sock, F_GETFL);
  if (flags < 0) {
    if (errno == EBADF)
      detail::trap("connect_until", EBADF, "EBADF", "sock is not an open file descriptor");
    return fail(connect_until_error::unexpected, errno);
  }
  const bool was_blocking = (flags & O_NONBLOCK) == 0;
  if (was_blocking && ::fcntl(sock, F_SETFL, flags | O_NONBLOCK) != 0)
    return fail(connect_until_error::unexpected, errno);
  result r = attempt(sock, addr, len, deadline, stop);
  if (was_blocking) {  // on failure too: the documented state is "as it came in"
    const int native = last_native_error();
    ::fcntl(sock, F_SETFL, flags);
    detail::record_native(native);
  }
  return r;
}

}  // namespace dial
