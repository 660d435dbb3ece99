// src/linux/engine_uring.cpp: the io_uring back-end: direct-descriptor socket, connect, close.
#include <fcntl.h>
#include <liburing.h>
#include <unistd.h>

#include <bit>
#include <cerrno>

#include "common/native.hpp"
#include "linux/engine_impl.hpp"

namespace dial::detail::eng {
namespace {

// IORING_OP_FIXED_FD_INSTALL (Linux 6.8): installs a direct descriptor as a regular one. Newer
// than Debian 12's liburing headers, so spelled here; the probe checks the kernel has it.
constexpr unsigned op_fixed_fd_install = 54;
// IORING_OP_BIND (Linux 6.11), likewise newer than Debian 12's liburing: addr is the address,
// off (addr2) its length.
constexpr unsigned op_bind = 56;

// IORING_OP_URING_CMD's socket command SOCKET_URING_OP_SETSOCKOPT (Linux 6.7): setsockopt on a
// (direct) socket, in a chain. Its fields overlay the SQE as the kernel's header spells them
// (level and optname in addr, optlen in file_index, optval in addr3); Debian 12's liburing
// predates them.
constexpr std::uint32_t socket_cmd_setsockopt = 3;

void prep_setsockopt(io_uring_sqe* e, std::uint32_t file, const sockopt_step& step,
                     const sockopt_plan& plan) noexcept {
  io_uring_prep_rw(IORING_OP_URING_CMD, e, static_cast<int>(file), nullptr, 0, 0);
  e->cmd_op = socket_cmd_setsockopt;
  e->addr = std::uint64_t{static_cast<std::uint32_t>(step.level)} |
            std::uint64_t{static_cast<std::uint32_t>(step.name)} << 32;
  e->file_index = static_cast<std::uint32_t>(plan.length(step));
  e->addr3 = reinterpret_cast<std::uintptr_t>(plan.value(step));
  e->flags |= IOSQE_FIXED_FILE;
}

// Chains handed to the kernel per io_uring_enter while filling: a loopback connect completes
// inside its submission, so small submissions keep the kernel's work (and the peer's, on the
// other CPU) flowing instead of arriving in bursts. On a quiet machine (docs/benchmarks.md, the
// variants sweep and the engine at 8, 16 and 32) 16 per submit was the fastest shape of the raw
// loop and of the engine; 4, which a sweep on a shared machine had picked, was 3-6% slower.
constexpr unsigned submit_slice = 16;

// What a completion is for: user_data = slot << 32 | generation (24 bits) << 8 | kind.
enum class kind : std::uint8_t {
  connect = 1,
  socket = 2,
  cancel = 3,
  close = 4,
  install = 5,
  close_linked = 7,
  sockopt = 8,
  bind = 9,
  reuseaddr = 10
};

constexpr std::uint64_t tag(std::uint32_t slot_index, std::uint32_t gen, kind k) noexcept {
  return std::uint64_t{slot_index} << 32 | std::uint64_t{gen & 0xFFFFFFu} << 8 |
         static_cast<std::uint8_t>(k);
}

/// One ring, its direct-descriptor table (slot i's socket is direct descriptor i) and its
/// slots. A connect is one linked chain: [CLOSE i, hard link] -> SOCKET i -> [setsockopt i per
/// option] -> CONNECT fixed i [-> CLOSE i or FIXED_FD_INSTALL i]; the steps before the CONNECT
/// post a completion only when they fail (IOSQE_CQE_SKIP_SUCCESS), and then nothing after them
/// in the chain posts one: the kernel skips the completions of the links it cancels when the
/// failed entry had SKIP_SUCCESS (measured on 6.18: docs/kernel-facts.md), so a failed step's
/// completion ends its connect.
class uring_worker final : public worker {
 public:
  uring_worker(io_uring ring, std::uint32_t n, bool can_bind)
      : ring_(ring),
        slots_(n),
        addrs_(ring_.sq.ring_entries),
        deadlines_(slots_),
        can_bind_(can_bind) {
    free_.reserve(n);
    for (std::uint32_t i = n; i-- > 0;) free_.push_back(i);
  }
  ~uring_worker() override { io_uring_queue_exit(&ring_); }
  uring_worker(const uring_worker&) = delete;
  uring_worker& operator=(const uring_worker&) = delete;

  void run(run_shared& run) override;

 private:
  io_uring_sqe* sqe() noexcept;
  void reserve(unsigned n) noexcept;
  void fill(run_shared& run, clock::time_point now);
  void reap(run_shared& run, clock::time_point now);
  void start(run_shared& run, std::uint32_t i, std::size_t t, clock::time_point now);
  void chain(const run_shared& run, std::uint32_t i, const address& a, bool reuse);
  void link_bind(const run_shared& run, std::uint32_t i, const address& a);
  void on_cqe(run_shared& run, std::uint64_t data, int res, clock::time_point now);
  void on_connect(run_shared& run, std::uint32_t i, int res, clock::time_point now);
  void on_kept(run_shared& run, std::uint32_t i, int res, clock::time_point now);
  void on_close_linked(run_shared& run, std::uint32_t i, clock::time_point now);
  void on_step_failed(run_shared& run, std::uint32_t i, kind k, int res, clock::time_point now);
  void release(std::uint32_t i);
  void finish(run_shared& run, std::uint32_t i, const outcome& o, clock::time_point now,
              int kept = -1);
  void cancel(std::uint32_t i, slot_state why) noexcept;
  void close_file(std::uint32_t i) noexcept;
  void expire(const run_shared& run, clock::time_point now) noexcept;
  __kernel_timespec wait_time(const run_shared& run, clock::time_point now) const noexcept;

  io_uring ring_;
  std::vector<slot> slots_;
  // The connect addresses, one per submission-queue entry: the kernel copies a linked CONNECT's
  // address while io_uring_enter submits it (Linux 6.1: io_req_prep_async for a link member;
  // 6.10+: at prep), so an address lives only as long as its entry, not its connect, and the
  // memory is the SQ's size (at most 4096 x 128 B), not the slots' (docs/engine.md).
  std::vector<sockaddr_storage> addrs_;
  std::vector<std::uint32_t> free_;  // stack of idle slots
  deadline_list deadlines_;
  std::size_t in_flight_ = 0;
  bool targets_left_ = true;
  refusal_trend refusals_;        // while refusals dominate, sockets are kept for reuse and bound
  bool rate_wait_ = false;        // fill() stopped for the rate: the next start is at token_at_
  clock::time_point token_at_{};  // when the rate lets the next connect start
  bool can_bind_ = false;         // the kernel has IORING_OP_BIND (6.11)
  port_picker ports_;             // the slots' own ports (link_bind)
  result_batch results_;          // finished results on their way to the sink
};

io_uring_sqe* uring_worker::sqe() noexcept {
  io_uring_sqe* e = io_uring_get_sqe(&ring_);
  if (e != nullptr) return e;
  io_uring_submit(&ring_);  // the SQ is full: hand it to the kernel and take a fresh entry
  return io_uring_get_sqe(&ring_);
}

// Makes room for a chain of n entries: a chain must not be split across submissions.
void uring_worker::reserve(unsigned n) noexcept {
  if (io_uring_sq_space_left(&ring_) < n) io_uring_submit(&ring_);
}

void uring_worker::run(run_shared& run) {
  targets_left_ = true;
  bool stopping = false;
  // The ring's descriptor registered with this thread for the run: each io_uring_enter then
  // skips a descriptor lookup. Per thread (the kernel keeps it in the task's io_uring context),
  // so it is registered by the thread that drives the ring and dropped before run() returns.
  // Optional: where the kernel refuses it, io_uring_enter takes the plain descriptor.
  const bool registered = io_uring_register_ring_fd(&ring_) == 1;
  for (;;) {
    clock::time_point now = clock::now();
    if (!stopping && run.stop.stop_requested()) {
      stopping = true;
      targets_left_ = false;
      for (std::uint32_t i = deadlines_.head(); i != no_slot; i = deadlines_.head())
        cancel(i, slot_state::canceled);
    }
    if (targets_left_ && !free_.empty()) fill(run, now);
    if (in_flight_ == 0 && !targets_left_) break;
    __kernel_timespec ts = wait_time(run, now);
    io_uring_cqe* cqe = nullptr;
    const int rc = io_uring_submit_and_wait_timeout(&ring_, &cqe, 1, &ts, nullptr);
    if (rc < 0 && rc != -ETIME && rc != -EINTR && rc != -EBUSY && rc != -EAGAIN) {
      record_native(-rc);
      report_unexpected("io_uring_submit_and_wait_timeout", -rc);
    }
    now = clock::now();
    reap(run, now);
    expire(run, now);
  }
  for (std::uint32_t i = 0; i < slots_.size(); ++i)
    if (slots_[i].has_file) close_file(i);
  io_uring_submit(&ring_);  // CLOSE of a direct descriptor runs inline, during the submit
  if (registered) io_uring_unregister_ring_fd(&ring_);
}

void uring_worker::fill(run_shared& run, clock::time_point now) {
  unsigned started = 0;
  rate_wait_ = false;
  while (!free_.empty()) {
    if (!run.admit(token_at_)) {  // engine_options::rate: wait until the next start is due
      rate_wait_ = true;
      return;
    }
    const std::size_t t = run.take();
    if (t == no_target) {
      targets_left_ = false;
      for (const std::uint32_t i : free_)
        if (slots_[i].has_file) close_file(i);
      return;
    }
    const std::uint32_t i = free_.back();
    free_.pop_back();
    start(run, i, t, now);
    ++started;
    if (started % submit_slice == 0) io_uring_submit(&ring_);
    if (started % fill_slice == 0) {  // take what the slice completed
      now = clock::now();
      reap(run, now);
    }
  }
}

// Takes every completion the ring holds (none is waited for).
void uring_worker::reap(run_shared& run, clock::time_point now) {
  unsigned head = 0;
  unsigned seen = 0;
  io_uring_cqe* cqe = nullptr;
  io_uring_for_each_cqe(&ring_, head, cqe) {
    on_cqe(run, cqe->user_data, cqe->res, now);
    ++seen;
  }
  io_uring_cq_advance(&ring_, seen);
  // Every result comes from a completion, so it is in this batch: given to the sink here, before
  // the slots it freed start again and before any wait.
  results_.flush(run);
}

void uring_worker::start(run_shared& run, std::uint32_t i, std::size_t t, clock::time_point now) {
  slot& s = slots_[i];
  s.target = t;
  s.start = now;
  s.state = slot_state::connecting;
  s.generation = (s.generation + 1) & 0xFFFFFFu;
  ++in_flight_;
  const address& a = run.targets[t];
  const bool reuse = s.has_file && s.reusable && s.family == a.family() && ports_.fits(s, a);
  s.reusable = false;
  chain(run, i, a, reuse);
  deadlines_.push(i);
}

// The connect of slot i's target `a`, one linked chain, on a fresh socket or (reuse) on the
// slot's socket whose last connect was refused. A refused TCP socket is reusable as it is: the
// kernel reports the refusal from __inet_stream_connect's error path (io_uring's CONNECT asks
// connect again once its poll fires), and that path has already dissolved the attempt
// (tcp_disconnect: the state, a source address the connect chose; the socket is SS_UNCONNECTED,
// as after connect(AF_UNSPEC)), so the next connect runs on the same socket with nothing before
// it. That saves a socket's creation and release, most of a refused connect's kernel time
// (docs/engine.md: a scan of closed ports). Should a reused socket not be disconnected after all
// (EISCONN, EALREADY), the target starts again on a fresh socket (on_connect).
void uring_worker::chain(const run_shared& run, std::uint32_t i, const address& a, bool reuse) {
  slot& s = slots_[i];
  const sockopt_plan& options = *run.options;
  reserve(7 + static_cast<unsigned>(options.steps().size()));
  s.reused = reuse;
  if (!reuse) {
    if (s.has_file) {  // the previous socket of this slot: closed first, whatever happens
      io_uring_sqe* c = sqe();
      io_uring_prep_close_direct(c, i);
      c->flags |= IOSQE_IO_HARDLINK | IOSQE_CQE_SKIP_SUCCESS;
      io_uring_sqe_set_data64(c, tag(i, s.generation, kind::close));
    }
    // An IP socket is blocking: io_uring issues the connect non-blocking itself and polls for
    // the result; a socket opened O_NONBLOCK would complete with EINPROGRESS if io-wq ever ran
    // it. A Unix socket is opened O_NONBLOCK: its connect never waits for a handshake (it
    // succeeds or fails at once), and a full backlog must be EAGAIN (WouldBlock) as on epoll,
    // not a poll that lasts until the deadline.
    io_uring_sqe* so = sqe();
    const int type = a.is_unix() ? SOCK_STREAM | SOCK_NONBLOCK : SOCK_STREAM;
    io_uring_prep_socket_direct(so, a.family(), type, a.is_ip() ? run.ip_protocol : 0, i, 0);
    so->flags |= IOSQE_IO_LINK | IOSQE_CQE_SKIP_SUCCESS;
    io_uring_sqe_set_data64(so, tag(i, s.generation, kind::socket));
    s.family = static_cast<std::uint8_t>(a.family());
    for (const sockopt_step& step : options.steps()) {  // engine_options::socket
      io_uring_sqe* o = sqe();
      prep_setsockopt(o, i, step, options);
      o->flags |= IOSQE_IO_LINK | IOSQE_CQE_SKIP_SUCCESS;
      io_uring_sqe_set_data64(o, tag(i, s.generation, kind::sockopt));
    }
    s.bound = false;
    s.source_bound = false;
  }
  link_bind(run, i, a);
  io_uring_sqe* co = sqe();
  sockaddr_storage& to = addrs_[static_cast<std::size_t>(co - ring_.sq.sqes)];
  const auto len = static_cast<unsigned>(a.to_native(to));
  io_uring_prep_connect(co, static_cast<int>(i), reinterpret_cast<const sockaddr*>(&to), len);
  co->flags |= IOSQE_FIXED_FILE;
  io_uring_sqe_set_data64(co, tag(i, s.generation, kind::connect));
  // The socket is closed in the kernel right after its connect, hard-linked in the same chain,
  // when nothing needs it afterwards: not kept, no self-connect check (a port outside the
  // ephemeral range), and refusals are rare lately (a refused socket is worth keeping for
  // reuse). A success then posts one completion, the CLOSE's, and the slot is free only once
  // it came (docs/engine.md).
  s.close_linked =
      !run.keep && a.is_ip() && !run.ephemeral.holds(a.port()) && !refusals_.dominant();
  s.reported = false;
  s.closed = false;
  if (s.close_linked) {
    co->flags |= IOSQE_IO_HARDLINK | IOSQE_CQE_SKIP_SUCCESS;
    io_uring_sqe* c = sqe();
    io_uring_prep_close_direct(c, i);
    io_uring_sqe_set_data64(c, tag(i, s.generation, kind::close_linked));
    s.has_file = false;
    s.reusable = false;
    return;
  }
  if (run.keep) {
    // keep_connections: a connected socket becomes a regular descriptor in the same chain, so a
    // success posts one completion, the install's (its result is the descriptor).
    co->flags |= IOSQE_IO_LINK | IOSQE_CQE_SKIP_SUCCESS;
    io_uring_sqe* in = sqe();
    io_uring_prep_rw(static_cast<int>(op_fixed_fd_install), in, static_cast<int>(i), nullptr, 0, 0);
    in->flags |= IOSQE_FIXED_FILE;
    io_uring_sqe_set_data64(in, tag(i, s.generation, kind::install));
  }
  s.has_file = true;
}

// While refusals dominate (a scan of closed ports), a socket that is not bound yet is bound to
// its slot's port (at the wildcard address, or at the source of a loopback destination:
// port_picker) before its connect (a fresh one, or one reused after an unbound connect: the
// refusal gave that port back). A bound port stays with the socket through a refusal (and the
// kernel's disconnect of the refused attempt), where an unbound one is looked for by the kernel's
// port search
// (__inet_hash_connect) at every connect and given back when the RST closes the socket
// (inet_put_port): about 16% of a refused connect's kernel time, measured (docs/engine.md).
// Each slot keeps one port for the engine's lifetime (chosen from a random place in the
// ephemeral range, the next one while the chosen one is in use), so the engine never holds more
// ports than slots. SO_REUSEADDR lets the slot's next socket bind its port again while a
// connection the port made is in TIME_WAIT; a connect to that same destination would then fail
// with EADDRNOTAVAIL, and runs again unbound (on_connect). Both entries are hard-linked: a
// failure (EADDRINUSE: the port is another socket's) posts its CQE, which only moves the slot
// to another port, and the CONNECT runs unbound as it would have.
void uring_worker::link_bind(const run_shared& run, std::uint32_t i, const address& a) {
  slot& s = slots_[i];
  const bool unbound = s.unbound_once;
  s.unbound_once = false;
  if (s.bound || unbound || !can_bind_ || !refusals_.dominant() || !run.binds_for(a)) return;
  const address any = ports_.take(s, run.ephemeral, a);
  static const sockopt_step reuse{SOL_SOCKET, SO_REUSEADDR, 1, false};
  static const sockopt_plan none;
  io_uring_sqe* r = sqe();
  prep_setsockopt(r, i, reuse, none);
  r->flags |= IOSQE_IO_HARDLINK | IOSQE_CQE_SKIP_SUCCESS;
  io_uring_sqe_set_data64(r, tag(i, s.generation, kind::reuseaddr));
  io_uring_sqe* b = sqe();
  sockaddr_storage& local = addrs_[static_cast<std::size_t>(b - ring_.sq.sqes)];
  const auto len = static_cast<unsigned>(any.to_native(local));
  io_uring_prep_rw(static_cast<int>(op_bind), b, static_cast<int>(i), &local, 0, len);
  b->flags |= IOSQE_FIXED_FILE | IOSQE_IO_HARDLINK | IOSQE_CQE_SKIP_SUCCESS;
  io_uring_sqe_set_data64(b, tag(i, s.generation, kind::bind));
  s.bound = true;  // until a failed BIND says otherwise
}

void uring_worker::on_cqe(run_shared& run, std::uint64_t data, int res, clock::time_point now) {
  const auto i = static_cast<std::uint32_t>(data >> 32);
  const auto gen = static_cast<std::uint32_t>(data >> 8) & 0xFFFFFFu;
  const auto k = static_cast<kind>(data & 0xFF);
  if (i >= slots_.size()) return;
  slot& s = slots_[i];
  if (gen != s.generation || s.state == slot_state::idle) return;  // stale, or a failed CLOSE
  switch (k) {
    case kind::connect: on_connect(run, i, res, now); return;
    case kind::bind:  // the port is another socket's: the CONNECT runs unbound all the same
      s.bound = false;
      s.source_bound = false;
      s.bind_port = 0;  // the next bind tries another port
      return;
    case kind::reuseaddr: return;  // (never seen) the BIND then fails if the port is in use
    case kind::socket:
    case kind::sockopt: return on_step_failed(run, i, k, res, now);
    case kind::install:
      if (run.keep) return on_kept(run, i, res, now);
      {
        outcome o = succeeded();
        if (res >= 0) {  // a regular descriptor for the connected socket: ask getsockname
          if (is_self_connect(res, run.targets[s.target])) o = self_connected();
          ::close(res);
        }  // else (EMFILE...): the check is skipped and the connect reported as it completed
        finish(run, i, o, now);
      }
      return;
    case kind::close_linked: return on_close_linked(run, i, now);
    case kind::cancel:
    case kind::close: return;  // a cancel that found nothing (ENOENT, EALREADY); a CLOSE failure
  }
}

void uring_worker::on_connect(run_shared& run, std::uint32_t i, int res, clock::time_point now) {
  slot& s = slots_[i];
  if (s.state == slot_state::connecting) deadlines_.remove(i);
  if (s.state == slot_state::timed_out) return finish(run, i, timed_out(), now);
  if (s.state == slot_state::canceled) return finish(run, i, canceled(), now);
  if (s.state == slot_state::connecting &&
      ((res == -EADDRNOTAVAIL && s.bound) || ((res == -EISCONN || res == -EALREADY) && s.reused))) {
    // The target again, on a fresh socket (the slot's one is closed first): EADDRNOTAVAIL, the
    // slot's port already has a connection to this destination in TIME_WAIT (see link_bind),
    // so the kernel finds a port this time; EISCONN or EALREADY, a reused socket was not
    // disconnected after all (never seen: see chain).
    s.has_file = true;
    s.reusable = false;
    s.unbound_once = res == -EADDRNOTAVAIL;
    s.generation = (s.generation + 1) & 0xFFFFFFu;
    chain(run, i, run.targets[s.target], false);
    deadlines_.push(i);  // behind later starts: expired at most one timeout late
    return;
  }
  if (res < 0) {
    const outcome o = from_connect_errno(-res, "io_uring connect");
    // (Not an MPTCP socket: only plain TCP's disconnect is measured to leave it reusable.)
    s.reusable = refused(o) && run.targets[s.target].is_ip() && run.reuses_refused();
    return finish(run, i, o, now);
  }
  const address& a = run.targets[s.target];
  if (!a.is_ip() || !run.ephemeral.holds(a.port())) return finish(run, i, succeeded(), now);
  // Only a port the kernel could pick as our own local port can be a self-connect: make the
  // direct descriptor a regular one for one getsockname.
  s.state = slot_state::checking;
  io_uring_sqe* e = sqe();
  io_uring_prep_rw(static_cast<int>(op_fixed_fd_install), e, static_cast<int>(i), nullptr, 0, 0);
  e->flags |= IOSQE_FIXED_FILE;
  io_uring_sqe_set_data64(e, tag(i, s.generation, kind::install));
}

// keep_connections: the install linked after the connect completed. ECANCELED: the connect
// failed or was canceled, and its own completion reports it.
void uring_worker::on_kept(run_shared& run, std::uint32_t i, int res, clock::time_point now) {
  slot& s = slots_[i];
  if (res == -ECANCELED) return;
  if (s.state == slot_state::connecting) deadlines_.remove(i);
  if (res < 0) {  // connected, but no descriptor to hand over (EMFILE at RLIMIT_NOFILE, ...)
    const socket_error e = socket_error_from_native(-res);
    return finish(run, i, {std::unexpected(widen<engine_connect_error>(e)), -res, false}, now);
  }
  const address& a = run.targets[s.target];
  outcome o = succeeded();
  if (s.state == slot_state::timed_out) o = timed_out();  // the deadline passed first
  if (s.state == slot_state::canceled) o = canceled();
  if (o.result && a.is_ip() && run.ephemeral.holds(a.port()) && is_self_connect(res, a))
    o = self_connected();
  if (!o.result) {
    ::close(res);
    return finish(run, i, o, now);
  }
  // An IP socket was opened blocking (see start()); a kept socket is non-blocking as documented.
  if (a.is_ip()) ::fcntl(res, F_SETFL, ::fcntl(res, F_GETFL) | O_NONBLOCK);
  finish(run, i, o, now, res);
}

// The linked CLOSE completed (whatever its result: ECANCELED when the chain broke earlier). The
// connect's success posted nothing, so a result not yet reported is a success, unless the
// deadline or a stop came first, or the socket step failed.
void uring_worker::on_close_linked(run_shared& run, std::uint32_t i, clock::time_point now) {
  slot& s = slots_[i];
  s.closed = true;
  if (s.reported) return release(i);
  if (s.state == slot_state::connecting) deadlines_.remove(i);
  if (s.state == slot_state::timed_out) return finish(run, i, timed_out(), now);
  if (s.state == slot_state::canceled) return finish(run, i, canceled(), now);
  finish(run, i, succeeded(), now);
}

// A step before the CONNECT failed: SOCKET (no socket in the slot now) or a setsockopt (the
// socket is in the slot). Nothing else of the chain posts a completion (see the class comment).
void uring_worker::on_step_failed(run_shared& run, std::uint32_t i, kind k, int res,
                                  clock::time_point now) {
  slot& s = slots_[i];
  s.closed = true;  // a linked CLOSE was cancelled with the rest: nothing more will come
  s.has_file = k != kind::socket;
  if (s.state == slot_state::connecting) deadlines_.remove(i);
  if (s.state == slot_state::timed_out) return finish(run, i, timed_out(), now);
  if (s.state == slot_state::canceled) return finish(run, i, canceled(), now);
  finish(run, i, k == kind::sockopt ? from_setsockopt_errno(-res) : from_socket_errno(-res), now);
}

void uring_worker::finish(run_shared& run, std::uint32_t i, const outcome& o, clock::time_point now,
                          int kept) {
  slot& s = slots_[i];
  results_.add(run, s, o, now, kept);
  refusals_.note(refused(o));
  if (s.close_linked && !s.closed) {  // the slot is free once its CLOSE completed
    s.reported = true;
    s.state = slot_state::closing;
    return;
  }
  release(i);
}

void uring_worker::release(std::uint32_t i) {
  slot& s = slots_[i];
  s.close_linked = false;
  s.state = slot_state::idle;
  s.target = no_target;
  --in_flight_;
  free_.push_back(i);
  // Closed now unless the next start of this slot (this same round) closes it in its chain.
  if (!targets_left_ && s.has_file) close_file(i);
}

void uring_worker::cancel(std::uint32_t i, slot_state why) noexcept {
  slot& s = slots_[i];
  deadlines_.remove(i);
  s.state = why;
  io_uring_sqe* e = sqe();
  io_uring_prep_cancel64(e, tag(i, s.generation, kind::connect), 0);
  e->flags |= IOSQE_CQE_SKIP_SUCCESS;
  io_uring_sqe_set_data64(e, tag(i, s.generation, kind::cancel));
}

void uring_worker::close_file(std::uint32_t i) noexcept {
  slot& s = slots_[i];
  io_uring_sqe* c = sqe();
  io_uring_prep_close_direct(c, i);
  c->flags |= IOSQE_CQE_SKIP_SUCCESS;
  io_uring_sqe_set_data64(c, tag(i, s.generation, kind::close));
  s.has_file = false;
}

void uring_worker::expire(const run_shared& run, clock::time_point now) noexcept {
  for (std::uint32_t i = deadlines_.head(); i != no_slot; i = deadlines_.head()) {
    if (now - slots_[i].start < run.timeout) return;
    cancel(i, slot_state::timed_out);
  }
}

// Until the next deadline, at most 10 ms so that a stop request is seen promptly.
__kernel_timespec uring_worker::wait_time(const run_shared& run,
                                          clock::time_point now) const noexcept {
  std::chrono::nanoseconds left = std::chrono::milliseconds{10};
  if (rate_wait_ && targets_left_)
    left = std::clamp(std::chrono::duration_cast<std::chrono::nanoseconds>(token_at_ - now),
                      std::chrono::nanoseconds{0}, left);
  const std::uint32_t h = deadlines_.head();
  if (h != no_slot) {
    const auto d =
        std::chrono::duration_cast<std::chrono::nanoseconds>(slots_[h].start + run.timeout - now);
    left = std::clamp(d, std::chrono::nanoseconds{0}, left);
  }
  __kernel_timespec ts{};
  ts.tv_sec = 0;
  ts.tv_nsec = left.count();
  return ts;
}

// ---- the probe ---------------------------------------------------------------------------------

create_failure failure(int code) noexcept {
  engine_create_error e = engine_create_error::unexpected;
  switch (code) {
    case ENOSYS:
    case EPERM:
    case EACCES:
    case EOPNOTSUPP: e = engine_create_error::backend_unavailable; break;
    case EMFILE: e = engine_create_error::process_fd_quota_exceeded; break;
    case ENFILE: e = engine_create_error::system_fd_quota_exceeded; break;
    case ENOMEM:
    case EAGAIN: e = engine_create_error::system_resources; break;
    default: break;
  }
  return {e, code};
}

// The SQ holds what is queued between two submissions: submit_slice chains (at most 6 entries
// each with a bound port, 4 and one per socket option with options) and one more, at least 64
// entries. A small SQ keeps the
// entries and their connect addresses in cache: they are reused every few chains, where a 4 096
// entry SQ walked 768 KiB of them cyclically. Larger bursts (a stop cancelling every slot, the
// check installs of a reap) submit whenever the SQ fills (sqe()). The CQ holds one completion per
// slot and some room: a connect posts one completion, and a burst beyond the CQ waits in the
// kernel's overflow list (IORING_FEAT_NODROP), never lost. 16 B per CQ entry is most of a slot's
// cost (docs/engine.md).
int init_ring(io_uring& ring, std::uint32_t slots, std::size_t steps) noexcept {
  // CLOSE, SOCKET, [SO_REUSEADDR, BIND | a setsockopt per option], CONNECT, CLOSE or INSTALL.
  const auto chain = static_cast<unsigned>(steps == 0 ? 6 : 4 + steps);
  const unsigned sq = std::clamp(std::bit_ceil(submit_slice * chain + chain), 64u, 4096u);
  const unsigned cq = std::clamp(std::bit_ceil(slots + 64u), 2u * sq, 65536u);
  io_uring_params p{};
  p.flags = IORING_SETUP_CQSIZE | IORING_SETUP_SUBMIT_ALL | IORING_SETUP_COOP_TASKRUN;
  p.cq_entries = cq;
  int rc = io_uring_queue_init_params(sq, &ring, &p);
  if (rc == -EINVAL) {  // a kernel without SUBMIT_ALL / COOP_TASKRUN
    p = {};
    p.flags = IORING_SETUP_CQSIZE;
    p.cq_entries = cq;
    rc = io_uring_queue_init_params(sq, &ring, &p);
  }
  return rc;
}

// A NOP round trip: a seccomp profile may allow io_uring_setup and refuse io_uring_enter.
int nop_round_trip(io_uring& ring) noexcept {
  io_uring_sqe* e = io_uring_get_sqe(&ring);
  if (e == nullptr) return -EAGAIN;
  io_uring_prep_nop(e);
  io_uring_sqe_set_data64(e, 7);
  int rc = io_uring_submit_and_wait(&ring, 1);
  if (rc < 0) return rc;
  io_uring_cqe* cqe = nullptr;
  rc = io_uring_peek_cqe(&ring, &cqe);
  if (rc < 0) return rc;
  const int res = cqe->res;
  const bool ours = cqe->user_data == 7;
  io_uring_cqe_seen(&ring, cqe);
  return !ours ? -EIO : res;
}

// Every opcode the back-end uses; a kernel without one is refused (automatic falls back).
int probe_opcodes(io_uring& ring) noexcept {
  io_uring_probe* p = io_uring_get_probe_ring(&ring);
  if (p == nullptr) return -ENOSYS;
  bool ok = true;
  for (const unsigned op :
       {unsigned{IORING_OP_SOCKET}, unsigned{IORING_OP_CONNECT}, unsigned{IORING_OP_CLOSE},
        unsigned{IORING_OP_ASYNC_CANCEL}, op_fixed_fd_install})
    ok = ok && io_uring_opcode_supported(p, static_cast<int>(op)) != 0;
  io_uring_free_probe(p);
  return ok ? 0 : -ENOSYS;
}

// IORING_OP_BIND (Linux 6.11): optional, the engine binds nothing without it.
bool probe_bind(io_uring& ring) noexcept {
  io_uring_probe* p = io_uring_get_probe_ring(&ring);
  if (p == nullptr) return false;
  const bool ok = io_uring_opcode_supported(p, static_cast<int>(op_bind)) != 0;
  io_uring_free_probe(p);
  return ok;
}

}  // namespace

// engine_options::socket: a setsockopt command on a direct socket (SO_KEEPALIVE off, which a
// new socket already is), in a chain as the engine links it, then the socket closed. A kernel
// before 6.7 has IORING_OP_URING_CMD without the socket command (EOPNOTSUPP) or no socket
// commands at all (ENOTTY, EINVAL).
int probe_setsockopt(io_uring& ring) noexcept {
  static const sockopt_step off{SOL_SOCKET, SO_KEEPALIVE, 0, false};
  static const sockopt_plan empty;
  io_uring_sqe* so = io_uring_get_sqe(&ring);
  io_uring_sqe* o = io_uring_get_sqe(&ring);
  io_uring_sqe* c = io_uring_get_sqe(&ring);
  if (so == nullptr || o == nullptr || c == nullptr) return -EAGAIN;
  io_uring_prep_socket_direct(so, AF_INET, SOCK_STREAM, 0, 0, 0);
  so->flags |= IOSQE_IO_LINK;
  io_uring_sqe_set_data64(so, 1);
  prep_setsockopt(o, 0, off, empty);
  o->flags |= IOSQE_IO_HARDLINK;
  io_uring_sqe_set_data64(o, 2);
  io_uring_prep_close_direct(c, 0);
  io_uring_sqe_set_data64(c, 3);
  int rc = io_uring_submit_and_wait(&ring, 3);
  if (rc < 0) return rc;
  int result = -EIO;
  for (int seen = 0; seen < 3; ++seen) {
    io_uring_cqe* cqe = nullptr;
    rc = io_uring_wait_cqe(&ring, &cqe);
    if (rc < 0) return rc;
    if (cqe->user_data == 2) result = cqe->res;
    if (cqe->user_data == 1 && cqe->res < 0) result = cqe->res;
    io_uring_cqe_seen(&ring, cqe);
  }
  if (result == -EOPNOTSUPP || result == -ENOTTY || result == -EINVAL) return -ENOSYS;
  return result;
}

std::expected<std::unique_ptr<worker>, create_failure> make_uring_worker(std::uint32_t slots,
                                                                         std::size_t steps) {
  const bool sockopts = steps != 0;
  io_uring ring{};
  int rc = init_ring(ring, slots, steps);
  if (rc < 0) return std::unexpected(failure(-rc));
  rc = nop_round_trip(ring);
  if (rc == 0) rc = probe_opcodes(ring);
  if (rc == 0) rc = io_uring_register_files_sparse(&ring, slots);
  if (rc == 0 && sockopts) rc = probe_setsockopt(ring);
  if (rc < 0) {
    io_uring_queue_exit(&ring);
    return std::unexpected(failure(-rc));
  }
  return std::make_unique<uring_worker>(ring, slots, probe_bind(ring));
}

}  // namespace dial::detail::eng
