// src/linux/engine_impl.hpp: what the engine's common part and its two back-ends share.
#pragma once

#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <stop_token>
#include <vector>

#include "common/engine_deadlines.hpp"
#include "common/engine_rate.hpp"
#include "dial/engine.hpp"
#include "posix/socket_option_plan.hpp"

namespace dial::detail::eng {

using clock = deadline_clock;

/// A range of local ports, both ends included.
struct port_range {
  std::uint16_t low = 1;
  std::uint16_t high = 65535;
  [[nodiscard]] bool holds(std::uint16_t port) const noexcept {
    return port >= low && port <= high;
  }
  [[nodiscard]] std::uint32_t size() const noexcept { return std::uint32_t{high} - low + 1; }
};
inline constexpr std::size_t no_target = std::numeric_limits<std::size_t>::max();
inline constexpr std::uint32_t no_slot = no_slot_index;
/// Connects started between two looks at the clock and the completions: a loopback connect
/// completes while it is being submitted, so a result's `elapsed` is exact to one slice (about
/// 32 x 25 us), not to the whole in-flight window. (io_uring submits every 16 of them.)
inline constexpr unsigned fill_slice = 32;

/// What a slot is doing.
enum class slot_state : std::uint8_t {
  idle,        ///< free for the next target
  connecting,  ///< a connect is in flight
  timed_out,   ///< the deadline passed; the back-end is cancelling it (io_uring)
  canceled,    ///< stop was requested; the back-end is cancelling it (io_uring)
  checking,    ///< connected; the self-connect check is running (io_uring)
  closing,     ///< reported; its chain's linked CLOSE has still to complete (io_uring)
};

/// One connect in flight. Preallocated per worker; nothing else is allocated per connect.
struct slot {
  std::size_t target = no_target;  ///< index into run()'s targets
  clock::time_point start{};       ///< when the connect started (the deadline is start + timeout)
  std::uint32_t prev = no_slot;    ///< deadline list: the slot started just before this one
  std::uint32_t next = no_slot;    ///< deadline list: the slot started just after this one
  int fd = -1;                     ///< epoll: the socket; io_uring: unused (direct descriptor)
  std::uint32_t generation = 0;    ///< io_uring: counts starts, to tell stale completions
  slot_state state = slot_state::idle;  ///< what it is doing
  std::uint8_t family = 0;              ///< the family of the socket the slot holds
  bool has_file : 1 = false;            ///< io_uring: the direct descriptor still holds the socket
  bool reusable : 1 = false;      ///< io_uring: that socket's last connect was refused (reuse it)
  bool close_linked : 1 = false;  ///< io_uring: the chain ends with a CLOSE (its CQE frees it)
  bool reported : 1 = false;      ///< io_uring, close_linked: the result was delivered
  bool closed : 1 = false;        ///< io_uring, close_linked: the CLOSE's completion came
  bool bound : 1 = false;         ///< the socket is bound to bind_port (see bind_port)
  bool unbound_once : 1 = false;  ///< the next connect runs unbound (its bound one met TIME_WAIT)
  bool source_bound : 1 = false;  ///< bound to a source address, not the wildcard (port_picker)
  bool in_set : 1 = false;        ///< epoll: the socket is in the set (rearmed by a MOD)
  bool disconnected : 1 = false;  ///< epoll: its refusal dissolved the attempt (no AF_UNSPEC)
  bool reused : 1 = false;        ///< io_uring: this connect runs on the last one's refused socket
  /// The port this slot binds its sockets to while refusals dominate (0: none chosen yet): one
  /// port per slot for the engine's lifetime, so the engine holds at most one port per slot.
  std::uint16_t bind_port = 0;
  std::uint16_t source_gen = 0;  ///< source_bound: port_picker's question the source answered
};

/// The in-flight slots in start order (src/common/engine_deadlines.hpp, shared with Windows).
using deadline_list = basic_deadline_list<slot>;

/// The state of one run() shared by every worker thread.
struct run_shared {
  std::span<const address> targets;       ///< the targets
  engine_sink* sink = nullptr;            ///< where results go
  std::stop_token stop;                   ///< cancellation
  std::chrono::nanoseconds timeout{};     ///< per-connect deadline
  bool keep = false;                      ///< engine_options::keep_connections
  const sockopt_plan* options = nullptr;  ///< engine_options::socket (never null during run())
  int ip_protocol = 0;   ///< of IP sockets: IPPROTO_MPTCP (socket_options::multipath) or 0 (TCP)
  port_range ephemeral;  ///< the ephemeral ports of the namespace run() was called in

  /// Whether a refused IP socket is kept for the slot's next target (a plain TCP socket without
  /// options: see docs/engine.md, "Reusing refused sockets").
  [[nodiscard]] bool reuses_refused() const noexcept {
    return options->empty() && ip_protocol == 0;
  }
  /// Whether a socket for `a` may be bound to its slot's port while refusals dominate (a socket
  /// that is reused; not a kept one): docs/engine.md, "Bound ports".
  [[nodiscard]] bool binds_for(const address& a) const noexcept {
    return a.is_ip() && !keep && reuses_refused();
  }
  std::atomic<std::size_t> cursor{0};     ///< the next target to take
  std::atomic<std::size_t> delivered{0};  ///< results given to the sink
  std::mutex sink_mutex;                  ///< serialises sink calls

  start_rate rate;  ///< engine_options::rate
  /// Whether one more connect may start now (the rate); otherwise `until` is when it may.
  bool admit(clock::time_point& until) noexcept { return rate.admit(until); }

  /// The next target index, or no_target when all are taken.
  std::size_t take() noexcept {
    if (cursor.load(std::memory_order_relaxed) >= targets.size()) return no_target;
    const std::size_t i = cursor.fetch_add(1, std::memory_order_relaxed);
    return i < targets.size() ? i : no_target;
  }
};

/// A finished connect's outcome: success, or a name and the native code behind it.
struct outcome {
  std::expected<void, engine_connect_error> result;  ///< the name
  int native_code = 0;                               ///< the errno (0: success/Timeout/Canceled)
  bool self_connect = false;                         ///< local == peer (reported as refused)
};

/// Success.
inline outcome succeeded() noexcept { return {{}, 0, false}; }
/// A connect's (or SO_ERROR's) errno through connect's one table (connect_error_from_native).
outcome from_connect_errno(int code, std::string_view call) noexcept;
/// A socket() errno through socket's table (socket_error_from_native), widened.
outcome from_socket_errno(int code) noexcept;
/// A setsockopt errno (engine_options::socket) through setsockopt's table, widened.
outcome from_setsockopt_errno(int code) noexcept;
/// Timeout or Canceled.
outcome timed_out() noexcept;
outcome canceled() noexcept;
/// Whether a peer refused the connect (ConnectionRefused, not a self-connect reported so).
bool refused(const outcome& o) noexcept;
/// A loopback self-connect: ConnectionRefused (ECONNREFUSED) with the flag set.
outcome self_connected() noexcept;

/// Whether a connected socket is connected to itself (getsockname == target).
bool is_self_connect(int fd, const address& target) noexcept;

/// The network namespace's ephemeral ports (net.ipv4.ip_local_port_range), read at each run():
/// only a port in it can be a connect's own local port, so only a connect to one can be a
/// self-connect, and the engine binds its own sockets to ports in it (io_uring, while refusals
/// dominate).
port_range ephemeral_ports() noexcept;

/// 32 random bits (getrandom), for where a worker starts in the ephemeral range.
std::uint32_t random_seed() noexcept;

/// Whether refusals dominate a worker's recent results: refusals less other results, kept
/// within -8..8 so that the answer turns within a few results.
class refusal_trend {
 public:
  void note(bool refused) noexcept { n_ = std::clamp(n_ + (refused ? 1 : -1), -8, 8); }
  [[nodiscard]] bool dominant() const noexcept { return n_ > 0; }

 private:
  int n_ = 0;
};

/// The source address the kernel picks for a connect to `to` (its port aside): a UDP socket's
/// connect and getsockname, which send nothing. Empty where the kernel gives none.
std::optional<address> route_source(const address& to) noexcept;

/// The ports a worker's slots bind to: each slot keeps one (slot::bind_port) for the engine's
/// lifetime, taken from the ephemeral range from a random start (docs/engine.md, "Bound ports").
/// The address bound is the wildcard, or, for a loopback destination, the source the kernel
/// picks for it (route_source: 127.0.0.1 for 127.0.0.0/8 in the default local table). A socket
/// bound to its source address skips moving its bind bucket to that address at each connect and
/// back at each disconnect (__inet_bhash2_update_saddr): about 10% of a refused loopback
/// connect's time, measured (docs/engine.md). A destination's source is asked once it is the
/// destination of two binds in a row, and kept while the destination stays the same: a scan of
/// one host asks once, targets that change host at every connect never ask.
class port_picker {
 public:
  /// Slot `s`'s port, a fresh one when it has none or it left the range; and the address to
  /// bind for a connect to `to` at it (slot::source_bound says which kind it is).
  address take(slot& s, const port_range& r, const address& to) noexcept {
    if (s.bind_port == 0 || !r.holds(s.bind_port))
      s.bind_port = static_cast<std::uint16_t>(r.low + next_++ % r.size());
    s.source_bound = false;
    if (const address* source = source_for(to)) {
      s.source_bound = true;
      s.source_gen = gen_;
      return source->with_port(s.bind_port);
    }
    return to.family() == AF_INET6 ? address::ipv6({}, s.bind_port)
                                   : address::ipv4({}, s.bind_port);
  }

  /// Whether slot `s`'s socket may connect to `to` as it is bound: a wildcard or no bind fits
  /// every destination; a socket bound to a source address only the destination it was bound
  /// for (the bound address stays through the disconnect that reuses the socket, and another
  /// destination may need another source, or be unreachable from a loopback one).
  [[nodiscard]] bool fits(const slot& s, const address& to) const noexcept {
    if (!s.bound) return true;
    const bool known = source_ && to.with_port(0) == asked_;
    if (!s.source_bound) return !known;  // a wildcard bind gives way to the source once known
    return known && s.source_gen == gen_;
  }

 private:
  const address* source_for(const address& to) noexcept {
    if (!to.is_loopback() || to.is_v4_mapped()) return nullptr;
    const address host = to.with_port(0);
    if (host == asked_) return source_ ? &*source_ : nullptr;
    if (host != last_ || gen_ == max_questions) {  // once, or the questions are used up
      last_ = host;
      return nullptr;
    }
    ++gen_;  // a new question: sockets bound for the last answer no longer fit
    asked_ = host;
    source_ = route_source(to);
    return source_ ? &*source_ : nullptr;
  }

  // slot::source_gen tells the question apart; after this many questions none is asked, so a
  // generation never comes round again.
  static constexpr std::uint16_t max_questions = 0xFFFF;
  std::uint32_t next_ = random_seed();
  std::uint16_t gen_ = 0;          // questions asked
  address last_;                   // the destination (port 0) of the last bind without a source
  address asked_;                  // the destination whose source was asked last
  std::optional<address> source_;  // its answer (none: the wildcard)
};

/// A worker's finished results on their way to the sink: add() takes each as its connect
/// finishes, flush() gives those waiting to the sink under one lock (the sink's calls are
/// serialised) and counts them. A worker flushes at the end of each reap and expiry (before the
/// slots they freed start again) and, epoll, before every wait and before run() returns (its
/// connects answered inside connect() finish outside a reap), so a result
/// waits at most for the rest of the completions its worker is taking in, never for the
/// kernel; add() flushes when the batch is full. One lock per batch instead of per result:
/// with two threads on a loopback scan the lock and the sink's data moved between the CPUs at
/// every result (docs/engine.md, "Results").
class result_batch {
 public:
  result_batch() { pending_.reserve(capacity); }
  /// Slot s's result `o`. `kept` is the connected socket a keep_connections run hands over (-1:
  /// none); it is closed after on_result unless taken.
  void add(run_shared& run, const slot& s, const outcome& o, clock::time_point now, int kept = -1);
  void flush(run_shared& run) noexcept;

 private:
  static constexpr std::size_t capacity = 64;
  std::vector<engine_result> pending_;
};

/// One ring or epoll set, driven by one thread during run().
class worker {
 public:
  virtual ~worker() = default;
  /// Runs targets from `run` until none are left (or stop), then returns with no connect in
  /// flight and every socket closed.
  virtual void run(run_shared& run) = 0;
};

/// A create() failure: the name and the errno behind it.
struct create_failure {
  engine_create_error error;  ///< the name
  int native_code;            ///< the errno
};

/// The io_uring worker with `slots` slots, after the probe (ring, NOP round trip, opcodes; with
/// socket options, `steps` setsockopt calls per socket, a setsockopt through IORING_OP_URING_CMD
/// on a direct socket).
std::expected<std::unique_ptr<worker>, create_failure> make_uring_worker(std::uint32_t slots,
                                                                         std::size_t steps);
/// The epoll worker with `slots` slots.
std::expected<std::unique_ptr<worker>, create_failure> make_epoll_worker(std::uint32_t slots);

/// The per-ring limit of slots for io_uring (its direct-descriptor table is capped by
/// RLIMIT_NOFILE per ring), and the process-wide limit for epoll with `threads` epoll sets
/// (regular descriptors: RLIMIT_NOFILE less those open and those kept free, at least 1).
std::size_t uring_slots_per_ring_limit() noexcept;
std::size_t epoll_total_slots_limit(unsigned threads) noexcept;

}  // namespace dial::detail::eng
