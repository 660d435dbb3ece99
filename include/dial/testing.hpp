// dial/testing.hpp: connect faults on demand (refused, dropped, delayed, any errno) for chosen
// destinations, in this process for a scope or for a command (docs/fault.md). Linux only.
#pragma once

#if !defined(__linux__)
#error "dial/testing.hpp needs Linux: dial::testing works through seccomp user notification"
#endif

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dial/address.hpp"
#include "dial/error.hpp"
#include "dial/export.hpp"

namespace dial::testing {

/// What a rule does to a connect(2) it applies to.
enum class fault_action : std::uint8_t {
  refuse,  ///< fails at once with ECONNREFUSED
  drop,    ///< the SYN is lost: ETIMEDOUT after `duration` (none: until the program gives up)
  delay,   ///< the real connect is made, `duration` later
  fail,    ///< fails at once with `error`, any errno (`dial fault --errno`)
};

/// Why a destination did not parse: a name of dial's one list (an address-parse name such as
/// InvalidIpv4 or MissingPort, or a resolver's name such as UnknownHostName for a host name that
/// did not resolve) and the byte offset in the text where the problem is.
struct destination_parse_failure {
  error_id error;      ///< dial::name(error) is "InvalidPort", "UnknownHostName", ...
  std::size_t offset;  ///< bytes from the start of the text
};

/// Where a rule applies. The forms (docs/fault.md): `a.b.c.d:PORT` and `[v6addr]:PORT` (one
/// address); `NAME:PORT` (every address NAME resolves to, resolved once, now); `a.b.c.d/N:PORT`
/// and `[v6addr]/N:PORT` (a network, N bits of prefix); `*:PORT` (any IPv4 or IPv6 address);
/// `unix:/path` and `unix:@name` (one Unix socket, its path as the program spells it).
/// An IPv4-mapped IPv6 address (\::ffff:127.0.0.1, from an AF_INET6 socket) is matched as the
/// IPv4 address it carries, by IPv4 and IPv6 rules alike.
class DIAL_API destination {
 public:
  /// Parses and, for a host name, resolves (dial::resolve with its defaults: /etc/hosts first).
  [[nodiscard]] static std::expected<destination, destination_parse_failure> parse(
      std::string_view text);
  /// Whether a connect to `to` goes where this destination says.
  [[nodiscard]] bool matches(const address& to) const noexcept;
  /// The text it was parsed from.
  [[nodiscard]] const std::string& text() const noexcept { return text_; }

 private:
  struct network {
    address base;
    unsigned prefix = 0;  // bits compared
  };
  enum class form : std::uint8_t { networks, any_ip, unix_socket };
  form form_ = form::networks;
  std::vector<network> networks_;
  std::uint16_t port_ = 0;
  address unix_{};
  std::string text_;
};

/// One rule: what happens to a connect to `to`, for a fraction `rate` of the matching ones.
struct fault_rule {
  destination to;                              ///< where it applies
  fault_action action = fault_action::refuse;  ///< what it does
  /// drop: ETIMEDOUT after this (none: never, until the program gives up); delay: the wait.
  std::optional<std::chrono::nanoseconds> duration{};
  int error = 0;       ///< fail: the errno the program sees
  double rate = 1.0;   ///< 0-1: which fraction of the matching connects the rule takes
  std::string text{};  ///< how dial fault spells it: "--refuse 127.0.0.1:5432"
};

/// The errno called `name` on Linux ("EHOSTUNREACH", also the aliases EWOULDBLOCK, EDEADLOCK
/// and ENOTSUP); none for a name Linux does not have.
[[nodiscard]] DIAL_API std::optional<int> errno_from_name(std::string_view name) noexcept;

/// The name of an errno ("ECONNREFUSED"); "" for a value without one.
[[nodiscard]] DIAL_API std::string_view errno_name(int code) noexcept;

/// Rules as a value, first match wins; a connect no rule takes is left alone. The builders
/// parse destinations with destination::parse and throw std::invalid_argument (saying the name
/// and offset) for a malformed one, since a test's literal is the programmer's to fix.
class DIAL_API fault_plan {
 public:
  /// Connects to `to` fail at once with ECONNREFUSED.
  fault_plan& refuse(std::string_view to);
  /// Connects to `to` are lost: ETIMEDOUT after `after` (none: held until the program gives up).
  /// What a non-blocking connect sees: docs/fault.md.
  fault_plan& drop(std::string_view to,
                   std::optional<std::chrono::nanoseconds> after = std::nullopt);
  /// Connects to `to` are made for real, `by` later.
  fault_plan& delay(std::string_view to, std::chrono::nanoseconds by);
  /// Connects to `to` fail at once with errno `error` (EHOSTUNREACH, EACCES, ...).
  fault_plan& fail(std::string_view to, int error);
  /// The same with the errno by name; an unknown name throws std::invalid_argument.
  fault_plan& fail(std::string_view to, std::string_view errno_name);
  /// The next rule added takes only a fraction `p` (0-1) of its matching connects; the others
  /// go on to the later rules. Which ones: a hash of (seed, rule, nth matching connect).
  fault_plan& rate(double p);
  /// The seed of every rate decision (default 0): the same seed, the same decisions.
  fault_plan& seed(std::uint64_t s) noexcept;
  /// Adds a rule made elsewhere (dial fault's parser); the pending rate() does not apply.
  fault_plan& add(fault_rule rule);

  /// The rules, in the order they are tried.
  [[nodiscard]] const std::vector<fault_rule>& rules() const noexcept { return rules_; }
  /// The seed of the rate decisions.
  [[nodiscard]] std::uint64_t seed() const noexcept { return seed_; }

 private:
  fault_plan& add_parsed(std::string_view to, fault_rule rule);
  std::vector<fault_rule> rules_;
  std::uint64_t seed_ = 0;
  double next_rate_ = 1.0;
};

/// What the supervisor did with one intercepted call.
struct fault_event {
  std::uint64_t index = 0;   ///< 0, 1, 2, ...: the calls in the order the supervisor saw them
  int tid = 0;               ///< the calling thread's id (its process's pid when single-threaded)
  std::string destination;   ///< "127.0.0.1:5432", "[::1]:80", "unix:/run/x.sock"; "-" for none
  std::size_t rule = 0;      ///< 1-based index of the rule that took it; 0: none
  std::string_view outcome;  ///< "continue", "refuse", "drop", "delay", "errno", "io_uring",
                             ///< "gone" (the caller died before it was answered)
  int error = 0;             ///< the errno the call returns (0: the real call is made)
  std::optional<std::chrono::nanoseconds> duration{};  ///< drop, delay: the rule's duration
  std::string_view how{};  ///< drop: "held" (blocking) or "pending" (non-blocking, real SYNs)
  std::chrono::nanoseconds at{};  ///< when, since the supervisor started
};

/// Applies a plan to every thread of this process while it lives (threads started later and
/// forked children included); connects nobody's rule takes go on untouched. The first scope of a
/// process installs, for the rest of its life, a seccomp filter (no_new_privs set, all threads
/// synchronised) whose connects a supervisor thread answers; later scopes swap the plan. Scopes
/// nest: the inner one's plan applies until it ends. When a scope ends, connects it still holds
/// (drops, delays) end at once as if their time had come. Throws std::system_error when the
/// kernel refuses the filter (Linux before 5.7, a seccomp policy that forbids it).
class DIAL_API fault_scope {
 public:
  /// Makes `plan` the one that applies, until this scope ends.
  explicit fault_scope(fault_plan plan);
  /// Ends the scope: the plan before it applies again (none: every connect goes on).
  ~fault_scope();
  fault_scope(const fault_scope&) = delete;
  fault_scope& operator=(const fault_scope&) = delete;

  /// Every decision made under this scope so far (a copy).
  [[nodiscard]] std::vector<fault_event> events() const;

 private:
  std::uint64_t id_;
};

/// How run_with_faults reports and what it may refuse.
struct run_options {
  /// Called for every decision (from the supervising thread, in order).
  std::function<void(const fault_event&)> on_event{};
  /// io_uring_setup fails with ENOSYS, so that a program falls back to calls the filter sees
  /// (connects through io_uring are not intercepted); otherwise it only shows as an event.
  bool deny_io_uring = false;
};

/// Why run_with_faults could not run the command: the name, the OS code and the step.
struct run_failure {
  error_id error;         ///< BackendUnavailable: the kernel refused the filter; ...
  int native = 0;         ///< the errno
  std::string_view step;  ///< "seccomp", "fork", "exec", ...
};

/// Runs `argv` (argv[0] looked up in PATH) with its connects under `plan`, as `dial fault`
/// does: the child sets no_new_privs and installs the filter before exec, this process answers
/// every notification of it and of its children and threads, passes SIGINT, SIGTERM, SIGHUP
/// and SIGQUIT sent to this process on to it (not a terminal's: those reach the command's
/// process group directly), and returns when the command has ended and nothing holds the filter any
/// more. The result is the command's exit status, 128 + the signal when a signal ended it, 127
/// when it could not be run (exec failed: said on standard error). The signals are blocked in
/// the calling thread while it runs and taken through a signalfd; in a threaded caller the other
/// threads should block them too, or the kernel may deliver one to them instead. Does not
/// correspond to a single system call.
[[nodiscard]] DIAL_API std::expected<int, run_failure> run_with_faults(
    const fault_plan& plan, std::span<char* const> argv, const run_options& options = {});

}  // namespace dial::testing
