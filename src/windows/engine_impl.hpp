// src/windows/engine_impl.hpp: what the Windows engine's common part and its IOCP worker share.
#pragma once

#include "windows/winsock.hpp"  // first: <winsock2.h> before any <windows.h>

#include <mswsock.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <limits>
#include <memory>
#include <mutex>
#include <span>
#include <stop_token>

#include "common/engine_deadlines.hpp"
#include "common/engine_rate.hpp"
#include "dial/engine.hpp"

namespace dial::detail::eng {

using clock = deadline_clock;
inline constexpr std::size_t no_target = std::numeric_limits<std::size_t>::max();
inline constexpr std::uint32_t no_slot = no_slot_index;
/// Connects started between two looks at the clock and the completions (as on Linux): a
/// loopback connect completes while it is being started, so a result's `elapsed` is exact to
/// one slice, not to the whole in-flight window.
inline constexpr unsigned fill_slice = 32;

/// What a slot is doing.
enum class slot_state : std::uint8_t {
  idle,        ///< free for the next target
  connecting,  ///< a ConnectEx is in flight
  timed_out,   ///< the deadline passed; CancelIoEx was called and its completion is awaited
  canceled,    ///< stop was requested; CancelIoEx was called and its completion is awaited
};

/// One connect in flight. Preallocated per worker; nothing else is allocated per connect. Its
/// OVERLAPPED lives in a parallel array (the completion names it; its index is the slot's).
struct slot {
  std::size_t target = no_target;       ///< index into run()'s targets
  clock::time_point start{};            ///< when the connect started (deadline: + timeout)
  socket_t sock = invalid_socket;       ///< the overlapped socket
  std::uint32_t prev = no_slot;         ///< deadline list: the slot started just before
  std::uint32_t next = no_slot;         ///< deadline list: the slot started just after
  slot_state state = slot_state::idle;  ///< what it is doing
};

/// The slots in flight in start (= deadline) order.
using deadline_list = basic_deadline_list<slot>;

/// The state of one run() shared by every worker thread.
struct run_shared {
  std::span<const address> targets;         ///< the targets
  engine_sink* sink = nullptr;              ///< where results go
  std::stop_token stop;                     ///< cancellation
  std::chrono::nanoseconds timeout{};       ///< per-connect deadline
  bool keep = false;                        ///< engine_options::keep_connections
  const socket_options* options = nullptr;  ///< engine_options::socket (never null in run())
  start_rate rate;                          ///< engine_options::rate
  std::atomic<std::size_t> cursor{0};       ///< the next target to take
  std::atomic<std::size_t> delivered{0};    ///< results given to the sink
  std::mutex sink_mutex;                    ///< serialises sink calls

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
  int native_code = 0;        ///< the WSA (or Win32) code; 0: success/Timeout/Canceled
  bool self_connect = false;  ///< local == peer (reported as refused)
};

/// Success.
inline outcome succeeded() noexcept { return {{}, 0, false}; }
/// A ConnectEx (or bind) WSA code through connect's one table (connect_error_from_native).
outcome from_connect_code(int code, std::string_view call) noexcept;
/// A WSASocketW code through socket's table (socket_error_from_native), widened.
outcome from_socket_code(int code) noexcept;
/// A Win32 code of CreateIoCompletionPort (associating a socket with the port).
outcome from_port_code(DWORD code) noexcept;
/// Timeout or Canceled.
outcome timed_out() noexcept;
outcome canceled() noexcept;
/// A loopback self-connect: ConnectionRefused (WSAECONNREFUSED) with the flag set.
outcome self_connected() noexcept;

/// Whether a connected socket is connected to itself (getsockname == target).
bool is_self_connect(socket_t s, const address& target) noexcept;

/// Gives one result to the sink (serialised) and counts it. `sock` is the slot's socket, or
/// invalid_socket: with keep_connections a successful result hands it to the sink, and what the
/// sink does not take is closed after on_result; otherwise it is closed before. `sock` is
/// invalid_socket afterwards.
void deliver(run_shared& run, const slot& s, const outcome& o, clock::time_point now,
             socket_t& sock);

/// The ConnectEx pointers, per family (null where the family has no TCP provider).
struct connect_ex_table {
  LPFN_CONNECTEX inet = nullptr;   ///< AF_INET
  LPFN_CONNECTEX inet6 = nullptr;  ///< AF_INET6
};

/// One completion port, driven by one thread during run().
class worker {
 public:
  virtual ~worker() = default;
  /// Runs targets from `run` until none are left (or stop), then returns with no connect in
  /// flight and every socket closed or handed over.
  virtual void run(run_shared& run) = 0;
};

/// A create() failure: the name and the native code behind it.
struct create_failure {
  engine_create_error error;  ///< the name
  int native_code;            ///< the WSA or Win32 code
};

/// The IOCP worker with `slots` slots: a completion port of its own (one concurrent thread).
std::expected<std::unique_ptr<worker>, create_failure> make_iocp_worker(
    std::uint32_t slots, const connect_ex_table& fns);

}  // namespace dial::detail::eng
