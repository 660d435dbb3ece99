// src/windows/engine_iocp.cpp: the IOCP worker: bind, ConnectEx, completions, CancelIoEx.
#include <ws2tcpip.h>

#include <array>
#include <vector>

#include "windows/engine_impl.hpp"

namespace dial::detail::eng {
namespace {

/// One completion port and its slots. Every socket is associated with the port (key 0) and
/// completes through it, also when ConnectEx returns TRUE at once (the port's
/// FILE_SKIP_COMPLETION_PORT_ON_SUCCESS mode is not set): a slot that started a ConnectEx always
/// gets exactly one completion packet, and is reused or its socket closed only after it.
class iocp_worker final : public worker {
 public:
  iocp_worker(HANDLE port, std::uint32_t n, const connect_ex_table& fns)
      : port_(port), slots_(n), overlapped_(n), deadlines_(slots_), fns_(fns) {
    free_.reserve(n);
    for (std::uint32_t i = n; i-- > 0;) free_.push_back(i);
  }
  ~iocp_worker() override { ::CloseHandle(port_); }
  iocp_worker(const iocp_worker&) = delete;
  iocp_worker& operator=(const iocp_worker&) = delete;

  void run(run_shared& run) override;

 private:
  void fill(run_shared& run, clock::time_point now);
  clock::time_point reap(run_shared& run, DWORD timeout_ms);
  void start(run_shared& run, std::uint32_t i, std::size_t t, clock::time_point now);
  // A socket of `a`'s family, bound to its wildcard address and associated with the port.
  std::expected<socket_t, outcome> open_socket(const run_shared& run, const address& a);
  void finish(run_shared& run, std::uint32_t i, const outcome& o, clock::time_point now);
  void complete(run_shared& run, const OVERLAPPED_ENTRY& e, clock::time_point now);
  outcome connected(run_shared& run, std::uint32_t i);
  void cancel(std::uint32_t i, slot_state why) noexcept;
  void expire(run_shared& run, clock::time_point now);
  void cancel_all();
  DWORD wait_ms(const run_shared& run, clock::time_point now) const noexcept;

  HANDLE port_;
  std::vector<slot> slots_;
  std::vector<OVERLAPPED> overlapped_;  // overlapped_[i] is slot i's
  std::vector<std::uint32_t> free_;     // stack of idle slots
  deadline_list deadlines_;             // the slots in state `connecting`
  std::size_t in_flight_ = 0;           // started and not finished (cancelled ones included)
  connect_ex_table fns_;
  std::array<OVERLAPPED_ENTRY, 256> entries_{};
  bool rate_wait_ = false;        // fill() stopped for the rate: the next start is at token_at_
  clock::time_point token_at_{};  // when the rate lets the next connect start
};

void iocp_worker::run(run_shared& run) {
  bool targets_left = true;
  bool stopping = false;
  for (;;) {
    clock::time_point now = clock::now();
    if (!stopping && run.stop.stop_requested()) {
      cancel_all();  // then wait for every cancelled completion before returning
      stopping = true;
      targets_left = false;
    }
    if (targets_left && !free_.empty()) {
      fill(run, now);
      targets_left = run.cursor.load(std::memory_order_relaxed) < run.targets.size();
    }
    if (in_flight_ == 0) {
      if (!targets_left) return;
      if (!rate_wait_) continue;  // every start finished at once: start more
    }
    now = reap(run, wait_ms(run, now));
    expire(run, now);
  }
}

void iocp_worker::fill(run_shared& run, clock::time_point now) {
  unsigned started = 0;
  rate_wait_ = false;
  while (!free_.empty()) {
    if (!run.rate.admit(token_at_)) {  // engine_options::rate: wait until the next start is due
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

// Waits up to timeout_ms for completions and handles each; returns the time they were stamped
// with. Called with a connect in flight (a packet to wait for) or to sleep until the rate's next
// start.
clock::time_point iocp_worker::reap(run_shared& run, DWORD timeout_ms) {
  ULONG n = 0;
  const BOOL ok = ::GetQueuedCompletionStatusEx(
      port_, entries_.data(), static_cast<ULONG>(entries_.size()), &n, timeout_ms, FALSE);
  const clock::time_point now = clock::now();
  if (!ok) return now;  // WAIT_TIMEOUT
  for (ULONG k = 0; k < n; ++k) complete(run, entries_[k], now);
  return now;
}

std::expected<socket_t, outcome> iocp_worker::open_socket(const run_shared& run, const address& a) {
  const auto s = dial::socket(a.family(), SOCK_STREAM, IPPROTO_TCP);  // overlapped, not inherited
  if (!s)
    return std::unexpected(
        outcome{std::unexpected(widen<engine_connect_error>(s.error())), last_native_error()});
  if (auto o = apply_socket_options(*s, a.family(), *run.options); !o) {  // engine_options::socket
    const int code = last_native_error();
    dial::close(*s);
    return std::unexpected(outcome{std::unexpected(widen<engine_connect_error>(o.error())), code});
  }
  // ConnectEx wants a bound socket: the family's wildcard address, port 0, as connect() would
  // bind implicitly. Its codes are connect's (WSAENOBUFS/WSAEADDRINUSE: no ephemeral port left).
  sockaddr_storage any{};
  any.ss_family = static_cast<ADDRESS_FAMILY>(a.family());
  const int len = a.family() == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
  if (::bind(*s, reinterpret_cast<const sockaddr*>(&any), len) != 0) {
    const int code = ::WSAGetLastError();
    dial::close(*s);
    return std::unexpected(from_connect_code(code, "bind"));
  }
  if (::CreateIoCompletionPort(reinterpret_cast<HANDLE>(*s), port_, 0, 0) == nullptr) {
    const DWORD code = ::GetLastError();
    dial::close(*s);
    return std::unexpected(from_port_code(code));
  }
  return *s;
}

void iocp_worker::start(run_shared& run, std::uint32_t i, std::size_t t, clock::time_point now) {
  slot& s = slots_[i];
  s.target = t;
  s.start = now;
  s.state = slot_state::connecting;
  ++in_flight_;
  const address& a = run.targets[t];
  // Winsock's AF_UNIX has no ConnectEx (and wine has no AF_UNIX): the name socket() gives a
  // family without a TCP provider, without asking.
  const LPFN_CONNECTEX connect_ex = a.family() == AF_INET    ? fns_.inet
                                    : a.family() == AF_INET6 ? fns_.inet6
                                                             : nullptr;
  if (a.is_unix()) return finish(run, i, from_socket_code(WSAEAFNOSUPPORT), now);
  auto sock = open_socket(run, a);
  if (!sock) return finish(run, i, sock.error(), now);
  s.sock = *sock;
  if (connect_ex == nullptr) return finish(run, i, from_socket_code(WSAEAFNOSUPPORT), now);
  sockaddr_storage ss;
  const socklen_t len = a.to_native(ss);
  overlapped_[i] = OVERLAPPED{};
  DWORD sent = 0;
  if (!connect_ex(s.sock, reinterpret_cast<const sockaddr*>(&ss), static_cast<int>(len), nullptr, 0,
                  &sent, &overlapped_[i])) {
    const int code = ::WSAGetLastError();
    // Failed at once: no packet will come.
    if (code != ERROR_IO_PENDING) return finish(run, i, from_connect_code(code, "ConnectEx"), now);
  }
  deadlines_.push(i);  // TRUE (done at once) or pending: the packet comes through the port
}

void iocp_worker::finish(run_shared& run, std::uint32_t i, const outcome& o,
                         clock::time_point now) {
  slot& s = slots_[i];
  deliver(run, s, o, now, s.sock);
  s.state = slot_state::idle;
  s.target = no_target;
  --in_flight_;
  free_.push_back(i);
}

void iocp_worker::complete(run_shared& run, const OVERLAPPED_ENTRY& e, clock::time_point now) {
  const auto i = static_cast<std::uint32_t>(e.lpOverlapped - overlapped_.data());
  slot& s = slots_[i];
  // A cancelled connect ends as it was cancelled, whatever its packet says (it may have
  // completed before CancelIoEx reached it), as io_uring's does on Linux.
  if (s.state == slot_state::timed_out) return finish(run, i, timed_out(), now);
  if (s.state == slot_state::canceled) return finish(run, i, canceled(), now);
  deadlines_.remove(i);
  finish(run, i, connected(run, i), now);
}

// The outcome of slot i's finished ConnectEx. WSAGetOverlappedResult turns the packet's status
// into the WSA code connect() would have given.
outcome iocp_worker::connected(run_shared& run, std::uint32_t i) {
  slot& s = slots_[i];
  DWORD bytes = 0;
  DWORD flags = 0;
  if (!::WSAGetOverlappedResult(s.sock, &overlapped_[i], &bytes, FALSE, &flags))
    return from_connect_code(::WSAGetLastError(), "ConnectEx");
  // Until this, the socket has no connected state for getsockname, getpeername, shutdown.
  if (::setsockopt(s.sock, SOL_SOCKET, SO_UPDATE_CONNECT_CONTEXT, nullptr, 0) != 0) {
    const int code = ::WSAGetLastError();
    record_native(code);
    report_unexpected("setsockopt(SO_UPDATE_CONNECT_CONTEXT)", code);
    return {std::unexpected(engine_connect_error::unexpected), code, false};
  }
  if (is_self_connect(s.sock, run.targets[s.target])) return self_connected();
  if (run.keep) {
    u_long on = 1;  // a kept socket is handed over non-blocking, as on Linux
    if (::ioctlsocket(s.sock, FIONBIO, &on) != 0) {
      const int code = ::WSAGetLastError();
      record_native(code);
      report_unexpected("ioctlsocket(FIONBIO)", code);
      return {std::unexpected(engine_connect_error::unexpected), code, false};
    }
  }
  return succeeded();
}

// Asks for slot i's ConnectEx to end; its packet (ERROR_OPERATION_ABORTED, or the result it
// reached first) finishes the slot. ERROR_NOT_FOUND: it has completed and the packet is queued.
// Any other failure: closing the socket cancels every operation on it, and the packet still
// comes.
void iocp_worker::cancel(std::uint32_t i, slot_state why) noexcept {
  slot& s = slots_[i];
  deadlines_.remove(i);
  s.state = why;
  if (::CancelIoEx(reinterpret_cast<HANDLE>(s.sock), &overlapped_[i]) ||
      ::GetLastError() == ERROR_NOT_FOUND)
    return;
  dial::close(s.sock);
  s.sock = invalid_socket;
}

void iocp_worker::expire(run_shared& run, clock::time_point now) {
  for (std::uint32_t i = deadlines_.head(); i != no_slot; i = deadlines_.head()) {
    if (now - slots_[i].start < run.timeout) return;
    cancel(i, slot_state::timed_out);
  }
}

void iocp_worker::cancel_all() {
  for (std::uint32_t i = deadlines_.head(); i != no_slot; i = deadlines_.head())
    cancel(i, slot_state::canceled);
}

// Until the next deadline, at most 10 ms so that a stop request is seen promptly (as on Linux).
// Only cancelled connects in flight: their packets are what is waited for.
DWORD iocp_worker::wait_ms(const run_shared& run, clock::time_point now) const noexcept {
  constexpr std::chrono::milliseconds slice{10};
  const std::uint32_t h = deadlines_.head();
  clock::time_point until = now + slice;
  if (rate_wait_) until = std::min(until, token_at_);
  if (h != no_slot) until = std::min(until, slots_[h].start + run.timeout);
  const auto left = until - now;
  if (left <= clock::duration::zero()) return 0;
  const auto ms = std::chrono::ceil<std::chrono::milliseconds>(left);
  return static_cast<DWORD>(std::min(ms, slice).count());
}

create_failure port_failure(DWORD code) noexcept {
  const int c = static_cast<int>(code);
  switch (code) {
    case ERROR_NOT_ENOUGH_MEMORY:
    case ERROR_OUTOFMEMORY:
    case ERROR_NO_SYSTEM_RESOURCES: return {engine_create_error::system_resources, c};
    case ERROR_TOO_MANY_OPEN_FILES: return {engine_create_error::process_fd_quota_exceeded, c};
    default:
      report_unexpected("CreateIoCompletionPort", c);
      return {engine_create_error::unexpected, c};
  }
}

}  // namespace

std::expected<std::unique_ptr<worker>, create_failure> make_iocp_worker(
    std::uint32_t slots, const connect_ex_table& fns) {
  // One thread drives the port, so NumberOfConcurrentThreads is 1.
  const HANDLE port = ::CreateIoCompletionPort(INVALID_HANDLE_VALUE, nullptr, 0, 1);
  if (port == nullptr) return std::unexpected(port_failure(::GetLastError()));
  try {
    return std::make_unique<iocp_worker>(port, slots, fns);
  } catch (...) {
    ::CloseHandle(port);
    throw;
  }
}

}  // namespace dial::detail::eng
