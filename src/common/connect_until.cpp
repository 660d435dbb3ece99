// src/common/connect_until.cpp: connect with a deadline and a stop token, for every OS family;
// what differs between them is behind src/common/dialer_os.hpp.
#include "common/sockets.hpp"

#include <algorithm>

#include "common/dialer_os.hpp"
#include "common/native.hpp"
#include "common/socket_owner_os.hpp"
#include "dial/dialer.hpp"

namespace dial {

static_assert(is_subset_v<connect_until_error, poll_error>);

namespace {

using clock = deadline_clock;
using result = std::expected<void, connect_until_error>;
using detail::stop_waker;

result fail(connect_until_error e, int native) noexcept {
  detail::record_native(native);  // 0 for Timeout and Canceled: no OS code is behind them
  return std::unexpected(e);
}

enum class waited { ready, hung_up, timeout, canceled, failed };

// Waits until the attempt on `s` ends (or only the deadline when `s` is no socket), the
// deadline, or a stop. A failed wait leaves poll's name in `why`.
waited wait_for(socket_t s, const stop_waker& waker, const std::stop_token& stop,
                clock::time_point deadline, connect_until_error& why) noexcept {
  for (;;) {  // ends when ready, at the deadline or on a stop; a spurious wake-up goes round
    if (stop.stop_requested()) return waited::canceled;
    poll_fd p[2] = {{s, poll_out, 0}, {waker.fd(), poll_in, 0}};
    const bool watch = s != detail::no_socket();
    std::span<poll_fd> set(watch ? p : p + 1, (watch ? 1u : 0u) + (waker.has_fd() ? 1u : 0u));
    auto n = dial::poll(set, waker.timeout_ms(deadline));
    if (!n) {
      why = widen<connect_until_error>(n.error());
      return waited::failed;
    }
    if (stop.stop_requested()) return waited::canceled;
    if (watch && (p[0].revents & (poll_hup | poll_err)) != 0) return waited::hung_up;
    if (watch && p[0].revents != 0) return waited::ready;
    if (clock::now() >= deadline) return waited::timeout;
  }
}

result wait_failed(waited w, connect_until_error why) noexcept {
  if (w == waited::timeout) return fail(connect_until_error::timeout, 0);
  if (w == waited::canceled) return fail(connect_until_error::canceled, 0);
  return std::unexpected(why);  // poll's table recorded the code
}

// The attempt runs in the kernel: wait for it and read its outcome. Readiness is re-checked: no
// error and no peer is a spurious wake-up, and the wait goes on. A hang-up with neither (the
// connection came and went, its error already consumed) would poll ready forever, so it ends
// the attempt as a reset.
result complete(socket_t s, const stop_waker& waker, const std::stop_token& stop,
                clock::time_point deadline) noexcept {
  for (;;) {
    connect_until_error why = connect_until_error::unexpected;
    const waited w = wait_for(s, waker, stop, deadline, why);
    if (w != waited::ready && w != waited::hung_up) return wait_failed(w, why);
    if (auto done = getsockopt_error(s); !done)
      return std::unexpected(widen<connect_until_error>(done.error()));
    if (detail::is_connected(s)) return {};
    if (w == waited::hung_up) return fail(connect_until_error::connection_reset_by_peer, 0);
  }
}

// EAGAIN: nothing is in progress (a full Unix backlog, no port to autobind). Retry, pausing
// longer each time, until it goes through or the deadline passes.
result retry(socket_t s, const sockaddr* a, socklen_t n, const stop_waker& waker,
             const std::stop_token& stop, clock::time_point deadline) noexcept {
  auto pause = std::chrono::milliseconds(1);
  for (;;) {  // each turn waits at least `pause`; ends at the deadline
    const auto until = std::min(deadline, clock::now() + pause);
    connect_until_error why = connect_until_error::unexpected;
    const waited w = wait_for(detail::no_socket(), waker, stop, until, why);
    if (w == waited::canceled || w == waited::failed) return wait_failed(w, why);
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
  const bool in_progress = detail::owner_attempt_in_progress(last_native_error());
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
  auto entered = detail::enter_non_blocking(sock);
  if (!entered) return fail(connect_until_error::unexpected, entered.error());
  result r = attempt(sock, addr, len, deadline, stop);
  if (*entered) detail::leave_non_blocking(sock);  // on failure too: "as it came in"
  return r;
}

}  // namespace dial
