// src/linux/engine_epoll.cpp: the epoll back-end: non-blocking connect, EPOLLOUT, SO_ERROR.
#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <utility>

#include "linux/engine_impl.hpp"

namespace dial::detail::eng {
namespace {

/// One epoll set and its slots. A slot's socket is registered with EPOLLOUT while its connect
/// is in progress; closing the socket removes it from the set.
class epoll_worker final : public worker {
 public:
  epoll_worker(int ep, std::uint32_t n) : ep_(ep), slots_(n), deadlines_(slots_) {
    free_.reserve(n);
    for (std::uint32_t i = n; i-- > 0;) free_.push_back(i);
  }
  ~epoll_worker() override { ::close(ep_); }
  epoll_worker(const epoll_worker&) = delete;
  epoll_worker& operator=(const epoll_worker&) = delete;

  void run(run_shared& run) override;

 private:
  void fill(run_shared& run, clock::time_point now);
  clock::time_point reap(run_shared& run, int timeout_ms);
  // Starts targets[t] in slot i; false when it finished at once (the slot is free again).
  bool start(run_shared& run, std::uint32_t i, std::size_t t, clock::time_point now);
  // reusable: a refused socket may be kept for reuse (it is in the set, or it was dissolved).
  void finish(run_shared& run, std::uint32_t i, const outcome& o, clock::time_point now,
              bool reusable = false);
  void close_idle() noexcept;
  void bind_port(const run_shared& run, slot& s, const address& to) noexcept;
  void complete(run_shared& run, std::uint32_t i, clock::time_point now);
  void expire(run_shared& run, clock::time_point now);
  void cancel_all(run_shared& run, clock::time_point now);
  int wait_ms(const run_shared& run, clock::time_point now) const noexcept;

  int ep_;
  std::vector<slot> slots_;
  std::vector<std::uint32_t> free_;  // stack of idle slots
  deadline_list deadlines_;
  std::size_t in_flight_ = 0;
  std::array<epoll_event, 512> events_{};
  bool rate_wait_ = false;        // fill() stopped for the rate: the next start is at token_at_
  clock::time_point token_at_{};  // when the rate lets the next connect start
  refusal_trend refusals_;        // while refusals dominate, sockets are bound (bind_port)
  port_picker ports_;             // the slots' own ports
  result_batch results_;          // finished results on their way to the sink
};

void epoll_worker::run(run_shared& run) {
  bool targets_left = true;
  for (;;) {
    clock::time_point now = clock::now();
    if (run.stop.stop_requested()) {
      cancel_all(run, now);
      close_idle();
      results_.flush(run);
      return;
    }
    if (targets_left && !free_.empty()) {
      fill(run, now);
      targets_left = run.cursor.load(std::memory_order_relaxed) < run.targets.size();
    }
    if (in_flight_ == 0) {
      if (!targets_left) {
        close_idle();
        results_.flush(run);
        return;
      }
      if (!rate_wait_) continue;  // every start finished at once: start more
    }
    results_.flush(run);  // before the wait: no result waits for the kernel
    now = reap(run, wait_ms(run, now));
    expire(run, now);
  }
}

void epoll_worker::fill(run_shared& run, clock::time_point now) {
  unsigned started = 0;
  rate_wait_ = false;
  while (!free_.empty()) {
    if (!run.admit(token_at_)) {  // engine_options::rate: wait until the next start is due
      rate_wait_ = true;
      return;
    }
    const std::size_t t = run.take();
    if (t == no_target) return;
    const std::uint32_t i = free_.back();
    free_.pop_back();
    start(run, i, t, now);
    if (++started % fill_slice == 0) now = reap(run, 0);  // take what this slice completed
  }
}

// Waits up to timeout_ms for readiness and completes every ready connect; returns the time the
// completions were stamped with.
clock::time_point epoll_worker::reap(run_shared& run, int timeout_ms) {
  const int n = ::epoll_wait(ep_, events_.data(), static_cast<int>(events_.size()), timeout_ms);
  const clock::time_point now = clock::now();
  for (int k = 0; k < n; ++k)
    complete(run, static_cast<std::uint32_t>(events_[static_cast<std::size_t>(k)].data.u32), now);
  results_.flush(run);  // before the freed slots start again
  return now;
}

bool epoll_worker::start(run_shared& run, std::uint32_t i, std::size_t t, clock::time_point now) {
  slot& s = slots_[i];
  s.target = t;
  s.start = now;
  s.state = slot_state::connecting;
  ++in_flight_;
  const address& a = run.targets[t];
  // A socket whose connect was refused is reused for a target of its family (and, bound to a
  // source address, of the destination it was bound for: port_picker::fits), after
  // connect(AF_UNSPEC) dissolved the last attempt (tcp_disconnect), unless the connect that
  // reported the refusal did so already (see below). A socket that is in the set is disarmed
  // (one-shot) and is armed again below. That saves socket(), close() and an ADD.
  bool reused = false;
  const bool dissolved = s.disconnected;
  s.disconnected = false;
  if (s.fd >= 0) {  // (never with socket options or MPTCP: finish() keeps no socket then)
    const sockaddr unspecified{AF_UNSPEC, {}};
    reused = s.family == a.family() && ports_.fits(s, a) &&
             (dissolved || ::connect(s.fd, &unspecified, sizeof(sa_family_t)) == 0);
    if (!reused) {
      dial::close(s.fd);
      s.fd = -1;
    }
  }
  if (!reused) {
    s.bound = false;
    s.source_bound = false;
    const auto sock =
        dial::socket(a.family(), SOCK_STREAM | SOCK_NONBLOCK, a.is_ip() ? run.ip_protocol : 0);
    if (!sock) {
      finish(
          run, i,
          {std::unexpected(widen<engine_connect_error>(sock.error())), last_native_error(), false},
          now);
      return false;
    }
    s.fd = *sock;
    s.in_set = false;
    s.family = static_cast<std::uint8_t>(a.family());
    if (auto o = apply_plan(s.fd, *run.options); !o) {  // engine_options::socket
      const int code = last_native_error();
      dial::close(s.fd);
      s.fd = -1;
      finish(run, i, {std::unexpected(widen<engine_connect_error>(o.error())), code, false}, now);
      return false;
    }
  }
  if (!s.bound && refusals_.dominant() && run.binds_for(a)) bind_port(run, s, a);
  sockaddr_storage ss;
  const socklen_t len = a.to_native(ss);
  auto c = dial::connect(s.fd, reinterpret_cast<const sockaddr*>(&ss), len);
  if (!c && s.bound && last_native_error() == EADDRNOTAVAIL) {
    // The slot's port already has a connection to this destination in TIME_WAIT (bind_port):
    // once more on a fresh socket the kernel finds a port for.
    const auto fresh = dial::socket(a.family(), SOCK_STREAM | SOCK_NONBLOCK, 0);  // (binds_for)
    if (fresh) {
      dial::close(s.fd);
      s.fd = *fresh;
      s.in_set = false;
      s.bound = false;
      s.source_bound = false;
      reused = false;  // a new descriptor: added to the set, not modified
      c = dial::connect(s.fd, reinterpret_cast<const sockaddr*>(&ss), len);
    }
  }
  bool pending = !c && last_native_error() == EINPROGRESS;
  if (pending && a.is_loopback()) {
    // On loopback the handshake, or the RST of a closed port, has run by the time connect
    // returns: the packets are processed on this CPU while the socket is locked and the socket
    // takes them when connect releases it, after it chose EINPROGRESS. So the same connect once
    // more answers at once: 0 when connected, the error when refused, or EALREADY while it is
    // in progress (a full backlog, a dropped SYN), which is watched as before. That saves the
    // ADD or MOD, the wait and SO_ERROR: docs/engine.md, "Asked again on loopback".
    auto again = dial::connect(s.fd, reinterpret_cast<const sockaddr*>(&ss), len);
    pending = !again && last_native_error() == EALREADY;
    if (!pending) c = again;
  }
  if (c) {  // Unix sockets connect at once; TCP to loopback when asked again
    finish(run, i, a.is_ip() && is_self_connect(s.fd, a) ? self_connected() : succeeded(), now);
    return false;
  }
  if (!pending) {  // a final answer (EAGAIN on a full Unix backlog is WouldBlock)
    // A connect that failed leaves its socket unconnected, as connect(AF_UNSPEC) would: a
    // refused one is reused as it is (finish keeps only those).
    s.disconnected = true;
    finish(run, i,
           {std::unexpected(widen<engine_connect_error>(c.error())), last_native_error(), false},
           now, true);
    return false;
  }
  epoll_event ev{};
  // One-shot: after its one event the registration stays disarmed, so a socket handed over by
  // keep_connections never reports to this set again (no EPOLL_CTL_DEL needed).
  ev.events = EPOLLOUT | EPOLLONESHOT;
  ev.data.u32 = i;
  if (::epoll_ctl(ep_, reused && s.in_set ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, s.fd, &ev) != 0) {
    // ENOMEM / ENOSPC (max_user_watches): the attempt cannot be watched.
    const int e = errno;
    finish(run, i,
           {std::unexpected(e == ENOMEM || e == ENOSPC ? engine_connect_error::system_resources
                                                       : engine_connect_error::unexpected),
            e, false},
           now);
    return false;
  }
  s.in_set = true;
  deadlines_.push(i);
  return true;
}

// While refusals dominate, a socket is bound to its slot's port before its connect, as io_uring
// does (see link_bind in engine_uring.cpp, and docs/engine.md, "Bound ports"): the port then
// stays with it through the refusals that reuse it, and its connects skip the kernel's port
// search. One port per slot for the engine's lifetime; SO_REUSEADDR rebinds it over a TIME_WAIT
// of its own. A port in use (EADDRINUSE) is no failure: the socket connects unbound, and the
// slot tries another port next time.
void epoll_worker::bind_port(const run_shared& run, slot& s, const address& to) noexcept {
  const address any = ports_.take(s, run.ephemeral, to);
  const int one = 1;
  (void)::setsockopt(s.fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_storage local;
  const socklen_t len = any.to_native(local);
  if (::bind(s.fd, reinterpret_cast<const sockaddr*>(&local), len) == 0) {
    s.bound = true;
  } else {
    s.bind_port = 0;  // another socket's: the next bind tries another port
    s.source_bound = false;
  }
}

void epoll_worker::finish(run_shared& run, std::uint32_t i, const outcome& o, clock::time_point now,
                          bool reusable) {
  slot& s = slots_[i];
  int kept = -1;
  if (run.keep && o.result && s.fd >= 0) {
    kept = std::exchange(s.fd, -1);  // handed over (its one-shot registration stays disarmed)
  } else if (s.fd >= 0 &&
             !(reusable && refused(o) && run.targets[s.target].is_ip() && run.reuses_refused())) {
    dial::close(s.fd);  // a refused socket stays for reuse (start())
    s.fd = -1;
  }
  results_.add(run, s, o, now, kept);
  refusals_.note(refused(o));
  s.state = slot_state::idle;
  s.target = no_target;
  --in_flight_;
  free_.push_back(i);
}

// The sockets kept for reuse, closed when a run ends (closing removes them from the set).
void epoll_worker::close_idle() noexcept {
  for (const std::uint32_t i : free_)
    if (slots_[i].fd >= 0) {
      dial::close(slots_[i].fd);
      slots_[i].fd = -1;
    }
}

void epoll_worker::complete(run_shared& run, std::uint32_t i, clock::time_point now) {
  slot& s = slots_[i];
  deadlines_.remove(i);
  const auto r = dial::getsockopt_error(s.fd);
  if (!r) {
    finish(run, i,
           {std::unexpected(widen<engine_connect_error>(r.error())), last_native_error(), false},
           now, true);
    return;
  }
  const address& a = run.targets[s.target];
  finish(run, i, is_self_connect(s.fd, a) ? self_connected() : succeeded(), now);
}

void epoll_worker::expire(run_shared& run, clock::time_point now) {
  for (std::uint32_t i = deadlines_.head(); i != no_slot; i = deadlines_.head()) {
    if (now - slots_[i].start < run.timeout) break;
    deadlines_.remove(i);
    finish(run, i, timed_out(), now);
  }
  results_.flush(run);  // before the freed slots start again
}

void epoll_worker::cancel_all(run_shared& run, clock::time_point now) {
  for (std::uint32_t i = deadlines_.head(); i != no_slot; i = deadlines_.head()) {
    deadlines_.remove(i);
    finish(run, i, canceled(), now);
  }
}

// Until the next deadline, at most 10 ms so that a stop request is seen promptly.
int epoll_worker::wait_ms(const run_shared& run, clock::time_point now) const noexcept {
  constexpr std::chrono::milliseconds slice{10};
  const std::uint32_t h = deadlines_.head();
  clock::time_point until = now + slice;
  if (rate_wait_) until = std::min(until, token_at_);
  if (h != no_slot) until = std::min(until, slots_[h].start + run.timeout);
  const auto left = until - now;
  if (left <= clock::duration::zero()) return 0;
  const auto ms = std::chrono::ceil<std::chrono::milliseconds>(left);
  return static_cast<int>(std::min(ms, slice).count());
}

}  // namespace

std::expected<std::unique_ptr<worker>, create_failure> make_epoll_worker(std::uint32_t slots) {
  const int ep = ::epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) {
    const int e = errno;
    engine_create_error name = engine_create_error::unexpected;
    if (e == EMFILE) name = engine_create_error::process_fd_quota_exceeded;
    if (e == ENFILE) name = engine_create_error::system_fd_quota_exceeded;
    if (e == ENOMEM) name = engine_create_error::system_resources;
    if (e == ENOSYS || e == EPERM) name = engine_create_error::backend_unavailable;
    return std::unexpected(create_failure{name, e});
  }
  return std::make_unique<epoll_worker>(ep, slots);
}

}  // namespace dial::detail::eng
