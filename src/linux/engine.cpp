// src/linux/engine.cpp: the engine's common part: options, probe and fallback, threads, results.
#include <dirent.h>
#include <netinet/in.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <thread>

#include "common/native.hpp"
#include "linux/engine_impl.hpp"

namespace dial {

std::string_view name(engine_backend b) noexcept {
  switch (b) {
    case engine_backend::automatic: return "automatic";
    case engine_backend::io_uring: return "io_uring";
    case engine_backend::epoll: return "epoll";
  }
  return {};
}

namespace detail::eng {

// ---- outcomes: every errno goes through the core's one table per call ----------------------

outcome from_connect_errno(int code, std::string_view call) noexcept {
  const connect_error e = connect_error_from_native(code, call);
  return {std::unexpected(widen<engine_connect_error>(e)), code, false};
}

outcome from_socket_errno(int code) noexcept {
  const socket_error e = socket_error_from_native(code);
  return {std::unexpected(widen<engine_connect_error>(e)), code, false};
}

outcome from_setsockopt_errno(int code) noexcept {
  const setsockopt_error e = setsockopt_error_from_native(code);
  return {std::unexpected(widen<engine_connect_error>(e)), code, false};
}

outcome timed_out() noexcept { return {std::unexpected(engine_connect_error::timeout), 0, false}; }

outcome canceled() noexcept { return {std::unexpected(engine_connect_error::canceled), 0, false}; }

bool refused(const outcome& o) noexcept {
  return !o.result && o.result.error() == engine_connect_error::connection_refused &&
         !o.self_connect;
}

outcome self_connected() noexcept {
  return {std::unexpected(engine_connect_error::connection_refused), ECONNREFUSED, true};
}

bool is_self_connect(int fd, const address& target) noexcept {
  const auto local = local_address(fd);
  return local && *local == target;
}

std::optional<address> route_source(const address& to) noexcept {
  if (!to.is_ip()) return std::nullopt;
  const auto udp = dial::socket(to.family(), SOCK_DGRAM, 0);
  if (!udp) return std::nullopt;
  const owned_socket probe(*udp);
  sockaddr_storage peer{};
  const socklen_t len = to.to_native(peer);
  // A UDP connect only looks the route up and sets the source address; nothing is sent.
  if (!dial::connect(probe.get(), reinterpret_cast<const sockaddr*>(&peer), len))
    return std::nullopt;
  const auto local = local_address(probe.get());
  if (!local || local->is_unspecified()) return std::nullopt;
  return local->with_port(0);
}

port_range ephemeral_ports() noexcept {
  port_range r;
  if (std::FILE* f = std::fopen("/proc/sys/net/ipv4/ip_local_port_range", "re")) {
    unsigned lo = 0, hi = 0;
    if (std::fscanf(f, "%u %u", &lo, &hi) == 2 && lo >= 1 && lo <= hi && hi <= 65535) {
      r.low = static_cast<std::uint16_t>(lo);
      r.high = static_cast<std::uint16_t>(hi);
    }
    std::fclose(f);
  }
  return r;
}

std::uint32_t random_seed() noexcept {
  std::uint32_t seed = 0;
  if (::getrandom(&seed, sizeof seed, GRND_NONBLOCK) != sizeof seed)
    seed = static_cast<std::uint32_t>(::getpid()) * 2654435761u;
  return seed;
}

void result_batch::add(run_shared& run, const slot& s, const outcome& o, clock::time_point now,
                       int kept) {
  pending_.push_back({s.target, run.targets[s.target], o.result, o.native_code,
                      std::chrono::duration_cast<std::chrono::nanoseconds>(now - s.start),
                      o.self_connect});
  pending_.back().kept = kept;
  if (pending_.size() == capacity) flush(run);
}

void result_batch::flush(run_shared& run) noexcept {
  if (pending_.empty()) return;
  {
    const std::lock_guard lock(run.sink_mutex);
    for (const engine_result& r : pending_) run.sink->on_result(r);
  }
  for (const engine_result& r : pending_)
    if (r.kept >= 0) dial::close(r.kept);  // not taken
  run.delivered.fetch_add(pending_.size(), std::memory_order_relaxed);
  pending_.clear();
}

// ---- limits ----------------------------------------------------------------------------------

namespace {
std::size_t nofile_soft_limit() noexcept {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY) return 1u << 20;
  return static_cast<std::size_t>(rl.rlim_cur);
}

// The descriptors open now: the highest open one bounds what a new one can get.
std::size_t open_descriptors() noexcept {
  std::size_t n = 0;
  if (DIR* d = ::opendir("/proc/self/fd")) {
    while (::readdir(d) != nullptr) ++n;
    ::closedir(d);
  }
  return n;
}
}  // namespace

// Kept free at `limit`: one descriptor per thread for the engine (its epoll set or ring, or the
// self-connect check's transient one) and a share for the caller, an eighth of the limit
// between 8 and 64. A fixed 64 would leave one slot (no concurrency) at a limit of 70 or less.
std::size_t reserved_descriptors(std::size_t limit, unsigned threads) noexcept {
  return std::clamp<std::size_t>(limit / 8, 8, 64) + threads;
}

std::size_t uring_slots_per_ring_limit() noexcept {
  // IORING_REGISTER_FILES refuses a table larger than RLIMIT_NOFILE (EMFILE); 32768 keeps the
  // CQ ring within IORING_MAX_CQ_ENTRIES with room for two entries per slot.
  const std::size_t lim = nofile_soft_limit();
  return std::min<std::size_t>(lim, 32768);
}

std::size_t epoll_total_slots_limit(unsigned threads) noexcept {
  const std::size_t lim = nofile_soft_limit();
  const std::size_t used = open_descriptors() + reserved_descriptors(lim, threads);
  return lim > used ? lim - used : 1;
}

}  // namespace detail::eng

// ---- the engine ------------------------------------------------------------------------------

struct engine::impl {
  engine_backend backend = engine_backend::epoll;
  std::size_t concurrency = 0;
  std::chrono::nanoseconds timeout{};
  bool keep = false;
  double rate = 0;
  detail::sockopt_plan options;  // engine_options::socket, checked once
  int ip_protocol = 0;           // IPPROTO_MPTCP for engine_options::socket.multipath, else 0
  std::vector<std::unique_ptr<detail::eng::worker>> workers;
};

namespace {
using detail::eng::create_failure;

// engine_options::socket.multipath: the protocol of the engine's IP sockets, decided once as
// open_socket decides it per socket. A kernel that refuses MPTCP sockets (net.mptcp.enabled=0,
// or built without it: ProtocolNotSupported) gets TCP sockets; any other failure of the probe
// (the descriptor limit, ...) says nothing about MPTCP, so it is asked for and each connect
// reports what its own socket() gave.
int ip_protocol_for(const socket_options& o) noexcept {
  if (!o.multipath) return 0;
  auto probe = dial::socket(AF_INET, SOCK_STREAM, detail::ipproto_mptcp);
  if (probe) dial::close(*probe);
  return !probe && probe.error() == socket_error::protocol_not_supported ? 0
                                                                         : detail::ipproto_mptcp;
}

unsigned default_threads() noexcept {
  const unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : n;
}

// The workers of one back-end, `total` slots split evenly over `threads`.
std::expected<std::vector<std::unique_ptr<detail::eng::worker>>, create_failure> make_workers(
    engine_backend b, unsigned threads, std::size_t total, std::size_t steps) {
  std::vector<std::unique_ptr<detail::eng::worker>> ws;
  ws.reserve(threads);
  std::size_t left = total;
  for (unsigned t = 0; t < threads; ++t) {
    const std::size_t share = left / (threads - t);
    left -= share;
    const auto n = static_cast<std::uint32_t>(share);
    auto w = b == engine_backend::io_uring ? detail::eng::make_uring_worker(n, steps)
                                           : detail::eng::make_epoll_worker(n);
    if (!w) return std::unexpected(w.error());
    ws.push_back(std::move(*w));
  }
  return ws;
}

// Threads are capped so that every one has at least one slot.
unsigned effective_threads(const engine_options& o, std::size_t concurrency) noexcept {
  const unsigned t = o.threads == 0 ? default_threads() : o.threads;
  return static_cast<unsigned>(std::min<std::size_t>(t, concurrency));
}

std::size_t clamp_concurrency(engine_backend b, std::size_t wanted, unsigned threads) noexcept {
  const std::size_t limit = b == engine_backend::io_uring
                                ? detail::eng::uring_slots_per_ring_limit() * threads
                                : detail::eng::epoll_total_slots_limit(threads);
  return std::max<std::size_t>(1, std::min(wanted, limit));
}
}  // namespace

std::expected<engine, engine_create_error> engine::create(const engine_options& o) {
  if (o.concurrency == 0 || o.timeout.count() < 0 || !detail::eng::valid_rate(o.rate) ||
      (o.backend != engine_backend::automatic && o.backend != engine_backend::io_uring &&
       o.backend != engine_backend::epoll))
    return std::unexpected(engine_create_error::invalid_option);
  auto plan = detail::sockopt_plan::make(o.socket);
  if (!plan) return std::unexpected(engine_create_error::invalid_option);  // its code recorded
  auto p = std::make_unique<impl>();
  p->options = *plan;
  p->ip_protocol = ip_protocol_for(o.socket);
  p->timeout = o.timeout;
  p->keep = o.keep_connections;
  p->rate = o.rate;
  create_failure last{engine_create_error::unexpected, 0};
  for (const engine_backend b : {engine_backend::io_uring, engine_backend::epoll}) {
    if (o.backend != engine_backend::automatic && o.backend != b) continue;
    const unsigned threads = effective_threads(o, o.concurrency);
    const std::size_t conc = clamp_concurrency(b, o.concurrency, threads);
    auto ws = make_workers(b, effective_threads(o, conc), conc, p->options.steps().size());
    if (ws) {
      p->backend = b;
      p->concurrency = conc;
      p->workers = std::move(*ws);
      return engine(std::move(p));
    }
    last = ws.error();
    // automatic falls back to epoll when io_uring is refused or short of memory.
    if (last.error != engine_create_error::backend_unavailable &&
        last.error != engine_create_error::system_resources)
      break;
  }
  detail::record_native(last.native_code);
  return std::unexpected(last.error);
}

engine::engine(std::unique_ptr<impl> p) noexcept : impl_(std::move(p)) {}
engine::engine(engine&&) noexcept = default;
engine& engine::operator=(engine&&) noexcept = default;
engine::~engine() = default;

engine_backend engine::backend() const noexcept { return impl_->backend; }
unsigned engine::threads() const noexcept { return static_cast<unsigned>(impl_->workers.size()); }
std::size_t engine::concurrency() const noexcept { return impl_->concurrency; }

std::size_t engine::run(std::span<const address> targets, engine_sink& sink, std::stop_token stop) {
  detail::eng::run_shared shared;
  shared.targets = targets;
  shared.sink = &sink;
  shared.stop = std::move(stop);
  shared.timeout = impl_->timeout;
  shared.keep = impl_->keep;
  shared.options = &impl_->options;
  shared.ip_protocol = impl_->ip_protocol;
  shared.ephemeral = detail::eng::ephemeral_ports();  // this thread's namespace, now
  shared.rate.set(impl_->rate);  // a 10 ms burst: starts come in slices, not one wake-up each
  auto& ws = impl_->workers;
  // The caller's thread drives the first worker; the others get a thread each (fewer when
  // there are fewer targets than workers). A thread that cannot start leaves its share to the
  // rest: the cursor is shared.
  const std::size_t n = std::min(ws.size(), std::max<std::size_t>(1, targets.size()));
  std::vector<std::jthread> threads;
  threads.reserve(n);
  for (std::size_t t = 1; t < n; ++t) {
    try {
      threads.emplace_back([&shared, w = ws[t].get()] { w->run(shared); });
    } catch (const std::system_error&) {
      break;
    }
  }
  ws[0]->run(shared);
  threads.clear();  // joins
  return shared.delivered.load();
}

}  // namespace dial
