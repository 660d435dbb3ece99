// src/testing/fault_supervisor.hpp: the seccomp filter and the supervisor that answers it, shared
// by fault_scope (a thread of this process) and run_with_faults (`dial fault`).
#pragma once

#include <linux/filter.h>
#include <poll.h>

#include <chrono>
#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "dial/testing.hpp"

struct seccomp_notif;

namespace dial::testing::detail {

/// The addrlen of the supervisor's own connects (127: a length no program passes, and enough
/// for sockaddr_in and sockaddr_in6). The in-process filter lets exactly these through, so the
/// supervisor thread, under its own filter, never waits for itself.
inline constexpr unsigned own_connect_length = 127;

struct filter_options {
  bool pass_own_connects = false;  ///< connects of own_connect_length bytes are not notified
};

/// The BPF program of the filter: connect and io_uring_setup notify, everything else passes
/// (other architectures' calls too). Or the errno.
using filter_program = std::vector<sock_filter>;
[[nodiscard]] std::expected<filter_program, int> compile_filter(const filter_options& options);

/// Sets no_new_privs and installs `prog` on the calling thread (all_threads: on every thread of
/// the process, TSYNC). Only system calls: safe in a child forked from a threaded process. The
/// listener, close-on-exec, or the errno.
[[nodiscard]] std::expected<int, int> load_filter(const filter_program& prog,
                                                  bool all_threads) noexcept;

/// Called with every decision.
using event_sink = std::function<void(const fault_event&)>;

/// Answers the notifications of one listener: reads each connect's address from the caller's
/// memory, applies the plan, holds what must wait (drops, delays) with its due time.
class supervisor {
 public:
  using clock = std::chrono::steady_clock;

  explicit supervisor(int listener) noexcept;
  ~supervisor();
  supervisor(const supervisor&) = delete;
  supervisor& operator=(const supervisor&) = delete;

  /// The plan from now on (null: every call continues) and where its decisions go. Held calls
  /// are not touched; rate counters start again.
  void set_plan(std::shared_ptr<const fault_plan> plan, event_sink sink, bool deny_io_uring);

  enum class wake : std::uint8_t { extra, hangup };
  /// Serves notifications and due times until one of `extra` has events (their revents set) or
  /// the listener hangs up (nobody holds the filter any more; held calls are gone with it).
  [[nodiscard]] wake serve(std::span<pollfd> extra);

  /// Ends every held call now: drops with ETIMEDOUT, delays with the real connect.
  void release_held() noexcept;

 private:
  struct held {
    std::uint64_t id;
    clock::time_point due;  // max(): until the program gives up
    int error;              // 0: continue (the real call)
  };
  struct blackhole;

  void handle(const seccomp_notif& n);
  void handle_connect(const seccomp_notif& n, fault_event& e);
  void decide(const seccomp_notif& n, fault_event& e, const fault_rule& rule);
  [[nodiscard]] std::optional<int> pending_connect(const seccomp_notif& n, const fault_rule& r);
  void carry_out(std::uint64_t id, const fault_event& e);
  void answer(std::uint64_t id, int error, bool proceed) noexcept;
  void hold(std::uint64_t id, std::optional<std::chrono::nanoseconds> d, int error);
  void answer_due();
  void sweep();
  [[nodiscard]] int poll_timeout_ms() const;

  int listener_;
  clock::time_point start_ = clock::now();
  clock::time_point last_sweep_ = start_;
  std::shared_ptr<const fault_plan> plan_;
  event_sink sink_;
  bool deny_io_uring_ = false;
  std::vector<std::uint64_t> matched_;  // per rule: connects it matched so far
  std::uint64_t seen_ = 0;
  std::vector<held> held_;
  std::unique_ptr<blackhole> v4_;
  std::unique_ptr<blackhole> v6_;
};

/// Whether the rate decision takes the nth matching connect of rule `rule` (0-based).
[[nodiscard]] bool rate_takes(std::uint64_t seed, std::size_t rule, std::uint64_t nth,
                              double rate) noexcept;

}  // namespace dial::testing::detail
