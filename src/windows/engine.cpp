// src/windows/engine.cpp: the Windows engine's common part: options, ConnectEx, threads, results.
#include "windows/engine_impl.hpp"

#include <ws2tcpip.h>

#include <algorithm>
#include <new>
#include <thread>
#include <vector>

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

// ---- outcomes: every code goes through the core's one table per call -----------------------

outcome from_connect_code(int code, std::string_view call) noexcept {
  const connect_error e = connect_error_from_native(code, call);
  return {std::unexpected(widen<engine_connect_error>(e)), code, false};
}

outcome from_socket_code(int code) noexcept {
  const socket_error e = socket_error_from_native(code);
  return {std::unexpected(widen<engine_connect_error>(e)), code, false};
}

// CreateIoCompletionPort's failures when a socket is associated with the port: Windows documents
// none in particular; a handle table or non-paged pool that is full is what can happen.
outcome from_port_code(DWORD code) noexcept {
  const int c = static_cast<int>(code);
  record_native(c);
  switch (code) {
    case ERROR_NOT_ENOUGH_MEMORY:
    case ERROR_OUTOFMEMORY:
    case ERROR_NO_SYSTEM_RESOURCES:
      return {std::unexpected(engine_connect_error::system_resources), c, false};
    default:
      report_unexpected("CreateIoCompletionPort", c);
      return {std::unexpected(engine_connect_error::unexpected), c, false};
  }
}

outcome timed_out() noexcept { return {std::unexpected(engine_connect_error::timeout), 0, false}; }

outcome canceled() noexcept { return {std::unexpected(engine_connect_error::canceled), 0, false}; }

outcome self_connected() noexcept {
  return {std::unexpected(engine_connect_error::connection_refused), WSAECONNREFUSED, true};
}

bool is_self_connect(socket_t s, const address& target) noexcept {
  sockaddr_storage local{};
  int len = sizeof local;
  if (::getsockname(s, reinterpret_cast<sockaddr*>(&local), &len) != 0) return false;
  const auto a =
      address::from_native(reinterpret_cast<const sockaddr*>(&local), static_cast<socklen_t>(len));
  return a && *a == target;
}

void deliver(run_shared& run, const slot& s, const outcome& o, clock::time_point now,
             socket_t& sock) {
  socket_t handed = invalid_socket;
  if (run.keep && o.result && sock != invalid_socket)
    handed = sock;
  else if (sock != invalid_socket)
    dial::close(sock);
  sock = invalid_socket;
  const engine_result r{s.target,
                        run.targets[s.target],
                        o.result,
                        o.native_code,
                        std::chrono::duration_cast<std::chrono::nanoseconds>(now - s.start),
                        o.self_connect,
                        handed};
  {
    const std::lock_guard lock(run.sink_mutex);
    run.sink->on_result(r);
  }
  if (r.kept != invalid_socket) dial::close(r.kept);  // not taken by on_result
  run.delivered.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace detail::eng

// ---- the engine ------------------------------------------------------------------------------

struct engine::impl {
  std::size_t concurrency = 0;
  std::chrono::nanoseconds timeout{};
  bool keep = false;
  double rate = 0;
  socket_options options;  // engine_options::socket
  std::vector<std::unique_ptr<detail::eng::worker>> workers;
};

namespace {
using detail::eng::connect_ex_table;
using detail::eng::create_failure;

/// At most this many connects in flight over all threads: every one holds a local port of its
/// own from its bind (the wildcard address, port 0), and a host has fewer than 65 536.
constexpr std::size_t max_concurrency = 65535;

unsigned default_threads() noexcept {
  const unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : n;
}

// A socket() failure while looking for ConnectEx at create(): the socket's name where create's
// set has one, otherwise TCP is not there to use (BackendUnavailable).
create_failure probe_socket_failure(int code) noexcept {
  switch (socket_error_from_native(code)) {
    case socket_error::process_fd_quota_exceeded:
      return {engine_create_error::process_fd_quota_exceeded, code};
    case socket_error::system_resources: return {engine_create_error::system_resources, code};
    default: return {engine_create_error::backend_unavailable, code};
  }
}

// ConnectEx of the provider behind `family`'s TCP sockets (WSAIoctl with
// SIO_GET_EXTENSION_FUNCTION_POINTER on a socket of the family, which is then closed).
std::expected<LPFN_CONNECTEX, create_failure> find_connect_ex(int family) {
  const auto s = dial::socket(family, SOCK_STREAM, IPPROTO_TCP);
  if (!s) return std::unexpected(probe_socket_failure(last_native_error()));
  GUID guid = WSAID_CONNECTEX;
  LPFN_CONNECTEX fn = nullptr;
  DWORD bytes = 0;
  const int rc = ::WSAIoctl(*s, SIO_GET_EXTENSION_FUNCTION_POINTER, &guid, sizeof guid, &fn,
                            sizeof fn, &bytes, nullptr, nullptr);
  const int code = rc == 0 ? 0 : ::WSAGetLastError();
  dial::close(*s);
  if (rc != 0 || fn == nullptr)  // a layered provider without ConnectEx
    return std::unexpected(create_failure{engine_create_error::backend_unavailable, code});
  return fn;
}

// IPv4's ConnectEx is required; IPv6's only where the host has IPv6 (a target of a family
// without it then fails at its socket(), as a single connect would).
std::expected<connect_ex_table, create_failure> find_connect_ex_table() {
  auto v4 = find_connect_ex(AF_INET);
  if (!v4) return std::unexpected(v4.error());
  connect_ex_table t;
  t.inet = *v4;
  if (auto v6 = find_connect_ex(AF_INET6)) t.inet6 = *v6;
  return t;
}

// The workers, `total` slots split evenly over `threads`.
std::expected<std::vector<std::unique_ptr<detail::eng::worker>>, create_failure> make_workers(
    unsigned threads, std::size_t total, const connect_ex_table& fns) {
  std::vector<std::unique_ptr<detail::eng::worker>> ws;
  ws.reserve(threads);
  std::size_t left = total;
  for (unsigned t = 0; t < threads; ++t) {
    const std::size_t share = left / (threads - t);
    left -= share;
    auto w = detail::eng::make_iocp_worker(static_cast<std::uint32_t>(share), fns);
    if (!w) return std::unexpected(w.error());
    ws.push_back(std::move(*w));
  }
  return ws;
}

// engine_options::socket as create() checks it, like Linux's: a value no kernel accepts, or an
// option Winsock does not have (SO_MARK), is InvalidOption; the rest is for Winsock per socket.
bool valid(const socket_options& o) noexcept {
  const auto non_negative = [](auto d) { return d.count() >= 0; };
  return !o.mark && (!o.user_timeout || non_negative(*o.user_timeout)) &&
         (!o.keepalive ||
          (non_negative(o.keepalive->idle) && non_negative(o.keepalive->interval))) &&
         (!o.send_buffer || *o.send_buffer > 0) && (!o.receive_buffer || *o.receive_buffer > 0);
}

bool valid(const engine_options& o) noexcept {
  return o.concurrency != 0 && o.timeout.count() >= 0 && detail::eng::valid_rate(o.rate) &&
         valid(o.socket) &&
         (o.backend == engine_backend::automatic || o.backend == engine_backend::io_uring ||
          o.backend == engine_backend::epoll);
}

std::expected<engine, engine_create_error> failed(create_failure f) {
  detail::record_native(f.native_code);
  return std::unexpected(f.error);
}
}  // namespace

std::expected<engine, engine_create_error> engine::create(const engine_options& o) {
  if (!valid(o)) return std::unexpected(engine_create_error::invalid_option);
  // Windows has one back-end, IOCP, and `automatic` is its name: io_uring and epoll are Linux's.
  if (o.backend != engine_backend::automatic)
    return failed({engine_create_error::backend_unavailable, ERROR_NOT_SUPPORTED});
  try {
    auto p = std::make_unique<impl>();
    p->timeout = o.timeout;
    p->keep = o.keep_connections;
    p->rate = o.rate;
    p->options = o.socket;
    p->concurrency = std::min(o.concurrency, max_concurrency);
    const auto fns = find_connect_ex_table();
    if (!fns) return failed(fns.error());
    const unsigned t = o.threads == 0 ? default_threads() : o.threads;
    const auto threads = static_cast<unsigned>(std::min<std::size_t>(t, p->concurrency));
    auto ws = make_workers(threads, p->concurrency, *fns);
    if (!ws) return failed(ws.error());
    p->workers = std::move(*ws);
    return engine(std::move(p));
  } catch (const std::bad_alloc&) {
    return failed({engine_create_error::system_resources, ERROR_NOT_ENOUGH_MEMORY});
  }
}

engine::engine(std::unique_ptr<impl> p) noexcept : impl_(std::move(p)) {}
engine::engine(engine&&) noexcept = default;
engine& engine::operator=(engine&&) noexcept = default;
engine::~engine() = default;

engine_backend engine::backend() const noexcept { return engine_backend::automatic; }
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
  shared.rate.set(impl_->rate);
  auto& ws = impl_->workers;
  // As on Linux: the caller's thread drives the first worker, the others get a thread each
  // (fewer when there are fewer targets); a thread that cannot start leaves its share to the rest.
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
