// tests/unit/happy_eyeballs_model_test.cpp: the race machine against a reference, in virtual time.
//
// A simulator drives dial::happy_eyeballs exactly as a real driver would, but over an event queue
// in virtual milliseconds: DNS answers, attempt outcomes, a stop, a driver failure and echoes
// (the same answer or outcome delivered twice) arrive at planned instants; next() is asked after
// every event and whenever a wait's `until` comes (the timer first when both fall on one
// instant). Beside the machine the simulator keeps its own model of the race (which answers came
// when, which address is due next, what is in flight) and checks every action and the final
// report against it. The plans are random (a fixed seed: DIAL_MODEL_SEED replays one,
// DIAL_MODEL_TIMELINES sets how many) or written by hand with exact timestamps (Scenario*).
//
// A failure message names the seed and the rule broken:
//   [1] no attempt before AAAA has answered, or A has and resolution_delay has passed since;
//   [2] attempts attempt_delay apart (clamped to 10 ms) unless none was in flight;
//   [3] the order: sorted and interleaved before the first attempt, late answers re-sorted and
//       re-interleaved with the untried addresses one by one;
//   [4] the first success wins, every other attempt in flight gets one cancel_attempt;
//   [5] the deadline and the stop to the millisecond; no wait reaches past the deadline;
//   [6] no wait with nothing to wait for, and finished at once when nothing is left;
//   [7] the report: every attempt and every answer once, with its own outcome;
//   [8] the error: the first attempt's, the lookups' combined one, or the local resource error.
// Unnumbered checks: attempts start exactly when due (a wait never passes the next due time),
// alone, in_flight(), awaiting_answers(), and that events after the end change nothing.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <expected>
#include <iostream>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "dial/happy_eyeballs.hpp"

#if defined(__SANITIZE_ADDRESS__)
#define DIAL_MODEL_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define DIAL_MODEL_SANITIZED 1
#endif
#endif

namespace {

using dial::address;
using dial::address_kind;
using dial::attempt_id;
using dial::race_action;
using dial::race_report;
using dial::race_step;
using dial::resolve_error;
using error = dial::connect_to_host_error;
using time_point = dial::happy_eyeballs::time_point;
using std::chrono::milliseconds;

constexpr std::uint16_t port = 443;
constexpr time_point forever = time_point::max();
// Virtual time: the race begins at t0, and every instant is a whole millisecond after it.
constexpr time_point t0 = time_point{} + std::chrono::hours(1);

constexpr time_point at_ms(std::int64_t ms) { return t0 + milliseconds(ms); }
std::int64_t ms_of(time_point t) {
  return std::chrono::duration_cast<milliseconds>(t - t0).count();
}
std::string text(time_point t) { return t == forever ? "max" : "+" + std::to_string(ms_of(t)); }
std::string text(const address& a) { return a.to_string(); }
std::string text(const std::expected<void, error>& o) {
  return o ? "Connected" : std::string(dial::name(o.error()));
}
std::string text(const std::expected<attempt_id, error>& r) {
  return r ? "attempt " + std::to_string(*r) : std::string(dial::name(r.error()));
}
std::string text(const std::vector<address>& v) {
  std::string s = "[";
  for (const address& a : v) s += (s.size() > 1 ? ", " : "") + a.to_string();
  return s + "]";
}

address v6(std::uint8_t hi, std::uint8_t lo) {  // 2001:db8::hi:lo
  return address::ipv6({0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, hi, lo}, port);
}
address v6(std::uint8_t n) { return v6(0, n); }
address v4(std::uint8_t n) { return address::ipv4({192, 0, 2, n}, port); }  // 192.0.2.n
const address loop6 = address::loopback_ipv6(port);
const address loop4 = address::loopback_ipv4(port);

// ---- the reference: RFC 6724 order for this test's addresses, and family interleaving --------

// The rank sort_destinations gives the addresses these tests use: ::1 has precedence 50,
// 2001:db8::/32 falls under ::/0 (40), IPv4 is ::ffff:0:0/96 (35) where loopback's smaller
// scope (2, against 14) puts 127.0.0.1 before 192.0.2.0/24.
int reference_rank(const address& a) {
  if (a.kind() == address_kind::ipv6) return a.is_loopback() ? 0 : 1;
  return a.is_loopback() ? 2 : 3;
}

std::vector<address> reference_sort(std::vector<address> v) {
  std::stable_sort(v.begin(), v.end(), [](const address& x, const address& y) {
    return reference_rank(x) < reference_rank(y);
  });
  return v;
}

// RFC 8305 section 4: `count` addresses of the first address's family, then one of each family
// in turn, the other family first; the rest of whichever family is left at the end.
std::vector<address> reference_interleave(const std::vector<address>& sorted, unsigned count) {
  std::vector<address> out;
  if (sorted.empty()) return out;
  std::vector<address> family[2];  // [0]: the first address's family
  for (const address& a : sorted) family[a.kind() == sorted.front().kind() ? 0 : 1].push_back(a);
  std::size_t next[2] = {0, 0};
  for (unsigned k = 0; k < std::max(1u, count) && next[0] < family[0].size(); ++k)
    out.push_back(family[0][next[0]++]);
  for (int turn = 1; out.size() < sorted.size(); turn = 1 - turn)
    if (next[turn] < family[turn].size()) out.push_back(family[turn][next[turn]++]);
  return out;
}

bool is_local_resource_error(error e) {  // the four names happy_eyeballs::on_failed lists
  return e == error::process_fd_quota_exceeded || e == error::system_fd_quota_exceeded ||
         e == error::system_resources || e == error::out_of_memory;
}

// ---- a plan: everything one timeline's network and caller will do --------------------------

enum class fate : std::uint8_t {
  fails_at_once,  // connect() itself fails: reported right after the start, before next()
  fails_later,    // the attempt fails `after_ms` after its start
  connects,       // the attempt connects `after_ms` after its start
  never,          // no outcome ever comes (a dropped SYN)
};

struct outcome_plan {
  fate how = fate::never;
  std::int64_t after_ms = 0;
  error err = error::connection_refused;
  int native = 0;
};

struct answer_plan {
  bool arrives = false;  // false: the answer never comes
  std::int64_t at_ms = 0;
  std::expected<std::vector<address>, resolve_error> result;
  int native = 0;  // the resolver's code behind a failure
};

struct plan {
  std::uint64_t seed = 0;  // 0 for a hand-written scenario
  std::int64_t attempt_delay_ms = 250;
  std::int64_t resolution_delay_ms = 50;
  unsigned first_family_count = 1;
  std::optional<std::int64_t> deadline_ms;
  std::optional<std::int64_t> stop_ms;
  std::optional<std::int64_t> abort_ms;  // the driver itself fails (its wait, say)
  error abort_error = error::system_resources;
  int abort_native = 0;
  // Every answer and outcome is delivered a second time this long after the first: a duplicate
  // answer, a completion racing its own close. The machine must ignore the echo.
  std::optional<std::int64_t> echo_after_ms;
  answer_plan aaaa, a;
  std::vector<std::pair<address, outcome_plan>> outcomes;  // an address not listed: never

  [[nodiscard]] outcome_plan outcome_of(const address& to) const {
    for (const auto& [where, o] : outcomes)
      if (where == to) return o;
    return {};
  }
};

std::string describe(const answer_plan& p) {
  if (!p.arrives) return "never arrives";
  const std::string what = p.result ? text(*p.result)
                                    : std::string(dial::name(p.result.error())) + " (native " +
                                          std::to_string(p.native) + ")";
  return "at +" + std::to_string(p.at_ms) + ": " + what;
}

std::string describe(const outcome_plan& o) {
  const std::string err =
      std::string(dial::name(o.err)) + " (native " + std::to_string(o.native) + ")";
  switch (o.how) {
    case fate::fails_at_once: return "fails inside connect() with " + err;
    case fate::fails_later: return "fails after " + std::to_string(o.after_ms) + " ms with " + err;
    case fate::connects: return "connects after " + std::to_string(o.after_ms) + " ms";
    case fate::never: return "never completes";
  }
  return "?";
}

std::string describe(const plan& p) {
  std::string s =
      "plan: attempt_delay " + std::to_string(p.attempt_delay_ms) + " ms, resolution_delay " +
      std::to_string(p.resolution_delay_ms) + " ms, first_address_family_count " +
      std::to_string(p.first_family_count) + ", deadline " +
      (p.deadline_ms ? "+" + std::to_string(*p.deadline_ms) : "none") + ", stop " +
      (p.stop_ms ? "+" + std::to_string(*p.stop_ms) : "none") + ", abort " +
      (p.abort_ms ? "+" + std::to_string(*p.abort_ms) + " " + std::string(dial::name(p.abort_error))
                  : "none") +
      ", echoes " + (p.echo_after_ms ? std::to_string(*p.echo_after_ms) + " ms later" : "none") +
      "\n";
  s += "  AAAA " + describe(p.aaaa) + "\n  A    " + describe(p.a) + "\n";
  for (const auto& [where, o] : p.outcomes)
    s += "  " + where.to_string() + " " + describe(o) + "\n";
  return s;
}

// ---- random plans ------------------------------------------------------------------------------

class random_source {
 public:
  explicit random_source(std::uint64_t seed) : rng_(seed) {}
  std::int64_t in(std::int64_t lo, std::int64_t hi) {
    return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng_);
  }
  bool chance(int percent) { return in(0, 99) < percent; }
  template <class T>
  T pick(const std::vector<T>& from) {
    return from[static_cast<std::size_t>(in(0, static_cast<std::int64_t>(from.size()) - 1))];
  }

 private:
  std::mt19937_64 rng_;
};

struct random_plan_maker {
  random_source r;
  bool coarse;  // every instant a multiple of 50 ms: many events share one

  std::int64_t when(std::int64_t lo, std::int64_t hi) {
    return coarse ? 50 * r.in((lo + 49) / 50, hi / 50) : r.in(lo, hi);
  }

  std::vector<address> addresses(address_kind family) {
    const auto n = static_cast<std::size_t>(r.in(1, 8));
    std::vector<address> out;
    while (out.size() < n) {
      const auto hi = static_cast<std::uint8_t>(r.in(0, 1)),
                 lo = static_cast<std::uint8_t>(r.in(1, 254));
      const address a = family == address_kind::ipv6 ? v6(hi, lo) : v4(lo);
      if (std::find(out.begin(), out.end(), a) == out.end()) out.push_back(a);
    }
    if (r.chance(20))  // a loopback address somewhere in the answer: the sort must move it
      out[static_cast<std::size_t>(r.in(0, static_cast<std::int64_t>(n) - 1))] =
          family == address_kind::ipv6 ? loop6 : loop4;
    return out;
  }

  answer_plan answer(address_kind family) {
    answer_plan p;
    const std::int64_t roll = r.in(0, 99);
    p.arrives = roll >= 8;
    p.at_ms = when(0, 500);
    if (roll >= 32) {
      p.result = addresses(family);
    } else if (roll >= 30) {
      p.result = std::vector<address>{};  // a success with no address
    } else if (roll >= 8) {
      p.result = std::unexpected(r.pick<resolve_error>(
          {resolve_error::host_lacks_network_addresses, resolve_error::host_lacks_network_addresses,
           resolve_error::unknown_host_name, resolve_error::temporary_name_server_failure,
           resolve_error::name_server_failure}));
      p.native = static_cast<int>(r.in(1, 30));
    }
    return p;
  }

  outcome_plan outcome() {
    outcome_plan o;
    const std::int64_t roll = r.in(0, 99);
    if (roll < 2) {
      o.how = fate::fails_at_once;
      o.err = r.pick<error>({error::process_fd_quota_exceeded, error::system_fd_quota_exceeded,
                             error::system_resources, error::out_of_memory});
    } else if (roll < 17) {
      o.how = fate::fails_at_once;
      o.err = r.pick<error>({error::network_unreachable, error::access_denied,
                             error::address_not_available, error::permission_denied});
    } else if (roll < 48) {
      o.how = fate::fails_later;
      o.err = r.pick<error>(
          {error::connection_refused, error::connection_timed_out, error::connection_reset_by_peer,
           error::network_unreachable, error::connection_refused, error::connection_timed_out,
           error::connection_refused, error::connection_timed_out, error::system_resources});
    } else if (roll < 78) {
      o.how = fate::connects;
    }
    o.after_ms = when(0, 1000);
    if (o.how != fate::connects) o.native = static_cast<int>(r.in(1, 150));
    return o;
  }

  plan make(std::uint64_t seed) {
    plan p;
    p.seed = seed;
    p.attempt_delay_ms = when(0, 300);
    p.resolution_delay_ms = when(0, 100);
    p.first_family_count = static_cast<unsigned>(r.in(0, 3));
    if (r.chance(50)) p.deadline_ms = when(1, 3000);
    if (r.chance(30)) p.stop_ms = when(0, 3000);
    if (r.chance(3)) {
      p.abort_ms = when(0, 2000);
      p.abort_error = r.pick<error>({error::system_resources, error::unexpected});
      p.abort_native = static_cast<int>(r.in(1, 150));
    }
    if (r.chance(15)) p.echo_after_ms = when(0, 300);
    p.aaaa = answer(address_kind::ipv6);
    p.a = answer(address_kind::ipv4);
    for (const answer_plan* ap : {&p.aaaa, &p.a})
      if (ap->result)
        for (const address& where : *ap->result) p.outcomes.emplace_back(where, outcome());
    return p;
  }
};

plan random_plan(std::uint64_t seed) {
  random_source r(seed);
  const bool coarse = r.chance(25);
  return random_plan_maker{r, coarse}.make(seed);
}

// ---- the simulator and its model of the race ---------------------------------------------------

enum class ending : std::uint8_t { none, won, local_error, stopped, aborted, deadline, exhausted };
constexpr const char* ending_names[] = {"still on",
                                        "won",
                                        "local resource error",
                                        "stopped",
                                        "aborted",
                                        "deadline",
                                        "nothing left (every address failed or none came)"};

struct run_result {
  std::string violation;                  // the first check that failed; empty when all held
  std::vector<std::string> trace;         // every action and event (only when tracing)
  std::optional<time_point> finished_at;  // none: the race waits, rightly, for ever
  ending how = ending::none;
  std::expected<attempt_id, error> result = std::unexpected(error::unexpected);
  int native = 0;
  race_report report;
  std::vector<std::pair<std::int64_t, attempt_id>> cancels;  // when, which
};

// One attempt as the simulation saw it.
struct sim_attempt {
  address to;
  time_point start{}, end{};
  bool live = true;          // started, no outcome yet
  bool owes_cancel = false;  // the race ended while it was live: one cancel_attempt is due
  bool cancelled = false;    // and it came
  std::expected<void, error> outcome;
  int native = 0;
};

enum class event_kind : std::uint8_t {
  aaaa,
  a,
  outcome,
  stop,
  abort,
  echo_aaaa,
  echo_a,
  echo_outcome
};

struct event {
  time_point at;
  std::uint64_t seq;  // ties keep the order events were planned in
  event_kind kind;
  attempt_id id;
};

class simulation {
 public:
  static constexpr std::size_t step_cap = 2000;  // 16 addresses need far fewer steps

  simulation(const plan& p, bool tracing)
      : p_(p),
        tracing_(tracing),
        // RFC 8305 section 5: never below 10 ms, whatever the options say.
        attempt_delay_(std::max(milliseconds(p.attempt_delay_ms), milliseconds(10))),
        resolution_delay_(milliseconds(p.resolution_delay_ms)),
        deadline_(p.deadline_ms ? at_ms(*p.deadline_ms) : forever),
        machine_(options(p), t0) {
    if (p.aaaa.arrives) push(at_ms(p.aaaa.at_ms), event_kind::aaaa, 0);
    if (p.a.arrives) push(at_ms(p.a.at_ms), event_kind::a, 0);
    if (p.stop_ms) push(at_ms(*p.stop_ms), event_kind::stop, 0);
    if (p.abort_ms) push(at_ms(*p.abort_ms), event_kind::abort, 0);
  }

  run_result run() {
    race_action act = ask();
    for (std::size_t steps = 0; out_.violation.empty(); ++steps) {
      if (!check(steps < step_cap, [] { return "the simulation hit its step cap"; })) break;
      if (act.step == race_step::finished) {
        on_finished();
        break;
      }
      if (act.step == race_step::start_attempt) on_start(act);
      if (act.step == race_step::cancel_attempt) on_cancel(act);
      if (act.step == race_step::wait && !on_wait(act)) break;
      if (!out_.violation.empty()) break;
      act = ask();
    }
    out_.how = ending_;
    out_.report = machine_.report();
    return std::move(out_);
  }

 private:
  static dial::connect_to_host_options options(const plan& p) {
    dial::connect_to_host_options o;
    o.attempt_delay = milliseconds(p.attempt_delay_ms);
    o.resolution_delay = milliseconds(p.resolution_delay_ms);
    o.first_address_family_count = p.first_family_count;
    o.deadline = p.deadline_ms ? at_ms(*p.deadline_ms) : forever;
    return o;
  }

  template <class Say>
  bool check(bool ok, const Say& say) {
    if (!ok && out_.violation.empty()) out_.violation = "at " + text(now_) + ": " + say();
    return ok;
  }

  void trace(const std::string& line) {
    if (tracing_) out_.trace.push_back(text(now_) + " " + line);
  }

  void push(time_point at, event_kind kind, attempt_id id) {
    events_.push_back({at, seq_++, kind, id});
  }

  [[nodiscard]] bool answers_outstanding() const { return !aaaa_in_ || !a_in_; }
  [[nodiscard]] bool may_connect() const {
    return started_ || aaaa_in_ || (a_in_ && now_ >= a_at_ + resolution_delay_);
  }
  [[nodiscard]] bool attempt_due() const {
    return !untried_.empty() && may_connect() &&
           (live_ == 0 || now_ >= last_start_ + attempt_delay_);
  }
  // When the next attempt falls due if no event comes first.
  [[nodiscard]] time_point next_due() const {
    if (untried_.empty()) return forever;
    if (!started_ && !aaaa_in_) return a_at_ + resolution_delay_;
    return last_start_ + attempt_delay_;
  }

  // The model's side of next(now): the deadline, and an exhausted race, end it here.
  race_action ask() {
    if (ending_ == ending::none && now_ >= deadline_)
      end_race(ending::deadline, std::unexpected(error::timeout), {0});
    if (ending_ == ending::none && live_ == 0 && !answers_outstanding() && untried_.empty())
      end_exhausted();
    const race_action act = machine_.next(now_);
    if (tracing_) trace(action_text(act));
    return act;
  }

  static std::string action_text(const race_action& act) {
    switch (act.step) {
      case race_step::start_attempt:
        return "next(): start_attempt " + std::to_string(act.attempt) + " " + text(act.to) +
               (act.alone ? " (alone)" : "");
      case race_step::cancel_attempt:
        return "next(): cancel_attempt " + std::to_string(act.attempt);
      case race_step::wait: return "next(): wait until " + text(act.until);
      case race_step::finished: return "next(): finished";
    }
    return "?";
  }

  void end_race(ending why, std::expected<attempt_id, error> result, std::vector<int> natives) {
    ending_ = why;
    ended_at_ = now_;
    expected_result_ = result;
    expected_natives_ = std::move(natives);
    const error closed = why == ending::deadline ? error::timeout : error::canceled;
    for (sim_attempt& at : attempts_) {
      if (!at.live) continue;
      at.live = false;
      at.end = now_;
      at.outcome = std::unexpected(closed);
      at.native = 0;
      at.owes_cancel = true;
      ++cancels_owed_;
    }
    live_ = 0;
  }

  // [8] every address failed: the first attempt's error; no address at all: the lookups'
  // combined failure (UnknownHostName if either family said so, HostLacksNetworkAddresses only
  // if both did, else the first other error, as docs/errors.md states).
  void end_exhausted() {
    if (!attempts_.empty()) {
      const sim_attempt& first = attempts_.front();
      if (!check(!first.outcome, [] { return "an exhausted race has a connected attempt"; }))
        return;
      return end_race(ending::exhausted, std::unexpected(first.outcome.error()), {first.native});
    }
    std::optional<resolve_error> other;
    bool unknown = false;
    for (const dial::lookup_event& l : lookups_) {
      if (l.outcome) continue;
      unknown = unknown || l.outcome.error() == resolve_error::unknown_host_name;
      if (!other && l.outcome.error() != resolve_error::host_lacks_network_addresses)
        other = l.outcome.error();
    }
    const resolve_error e = unknown ? resolve_error::unknown_host_name
                            : other ? *other
                                    : resolve_error::host_lacks_network_addresses;
    std::vector<int> natives;  // both families may have said the same: either's code will do
    for (const dial::lookup_event& l : lookups_)
      if (!l.outcome && l.outcome.error() == e) natives.push_back(l.native);
    if (natives.empty()) natives.push_back(0);
    end_race(ending::exhausted, std::unexpected(dial::widen<error>(e)), natives);
  }

  void on_start(const race_action& act) {
    const attempt_id id = attempts_.size();
    const bool ok =
        check(ending_ == ending::none,
              [&] {
                return std::string("[4][5] an attempt started after the race ended (") +
                       ending_names[static_cast<int>(ending_)] + ")";
              }) &&
        check(act.attempt == id,
              [&] {
                return "[7] start_attempt id " + std::to_string(act.attempt) + ", expected " +
                       std::to_string(id);
              }) &&
        check(aaaa_in_ || (a_in_ && now_ >= a_at_ + resolution_delay_),
              [&] {
                return "[1] an attempt started before AAAA answered and before resolution_delay "
                       "had passed since A (A " +
                       (a_in_ ? "at " + text(a_at_) : std::string("not in")) + ")";
              }) &&
        check(!untried_.empty(), [] { return "[6] an attempt started with no address left"; }) &&
        check(act.to == untried_.front(),
              [&] {
                return "[3] started " + text(act.to) + ", the reference order is " + text(untried_);
              }) &&
        check(live_ == 0 || now_ >= last_start_ + attempt_delay_, [&] {
          return "[2] started " + std::to_string(ms_of(now_) - ms_of(last_start_)) +
                 " ms after the previous attempt, with " + std::to_string(live_) +
                 " in flight (attempt delay " + std::to_string(attempt_delay_.count()) + " ms)";
        });
    if (!ok) return;
    const bool alone = live_ == 0 && untried_.size() == 1 && !answers_outstanding();
    if (!check(act.alone == alone, [&] {
          return "start_attempt says alone=" + std::to_string(act.alone) + ", the model says " +
                 std::to_string(alone);
        }))
      return;
    untried_.erase(untried_.begin());
    attempts_.push_back({act.to, now_, now_, true, false, false, {}, 0});
    ++live_;
    started_ = true;
    last_start_ = now_;
    const outcome_plan o = p_.outcome_of(act.to);
    if (o.how == fate::fails_at_once) return settle(id, std::unexpected(o.err), o.native);
    if (o.how != fate::never) push(now_ + milliseconds(o.after_ms), event_kind::outcome, id);
  }

  // An attempt's outcome reaches the machine (right after its start, or as an event).
  void settle(attempt_id id, std::expected<void, error> outcome, int native) {
    sim_attempt& at = attempts_[id];
    at.live = false;
    at.end = now_;
    at.outcome = outcome;
    at.native = native;
    --live_;
    trace("on_" + std::string(outcome ? "connected" : "failed") + " " + std::to_string(id) + " " +
          text(outcome));
    echo(event_kind::echo_outcome, id);
    if (outcome) {
      machine_.on_connected(id, now_);
      return end_race(ending::won, id, {0});
    }
    machine_.on_failed(id, outcome.error(), native, now_);
    if (is_local_resource_error(outcome.error()))
      end_race(ending::local_error, std::unexpected(outcome.error()), {native});
  }

  void on_cancel(const race_action& act) {
    const attempt_id id = act.attempt;
    const bool ok =
        check(ending_ != ending::none,
              [&] {
                return "[4] cancel_attempt " + std::to_string(id) + " while the race is still on";
              }) &&
        check(id < attempts_.size() && attempts_[id].owes_cancel && !attempts_[id].cancelled, [&] {
          return "[4] cancel_attempt " + std::to_string(id) +
                 ": not in flight when the race ended, or cancelled already";
        });
    if (!ok) return;
    attempts_[id].cancelled = true;
    --cancels_owed_;
    out_.cancels.emplace_back(ms_of(now_), id);
    std::erase_if(events_,
                  [&](const event& e) { return e.kind == event_kind::outcome && e.id == id; });
  }

  // Checks a wait and advances virtual time; false when the run is over (a violation, or the
  // race rightly waits for something that will never come).
  bool on_wait(const race_action& act) {
    const bool ok =
        check(ending_ == ending::none,
              [&] {
                if (ending_ == ending::exhausted)
                  return std::string(
                      "[6] waits although nothing is in flight, no answer is outstanding and no "
                      "address is left (it must say finished at once)");
                if (ending_ == ending::deadline) return std::string("[5] waits past the deadline");
                return std::string("[4][5] waits instead of ending the race (") +
                       ending_names[static_cast<int>(ending_)] + ")";
              }) &&
        check(act.until > now_,
              [&] { return "waits until " + text(act.until) + ", not in the future (a spin)"; }) &&
        check(act.until <= deadline_,
              [&] {
                return "[5] waits until " + text(act.until) + ", after the deadline " +
                       text(deadline_);
              }) &&
        check(
            act.until != forever || live_ > 0 || answers_outstanding(),
            [] { return "[6] waits for ever with nothing in flight and no answer outstanding"; }) &&
        check(!attempt_due(),
              [&] { return "waits although the next attempt is due (" + text(untried_) + ")"; }) &&
        check(act.until <= next_due(),
              [&] {
                return "waits until " + text(act.until) + ", but the next attempt is due at " +
                       text(next_due());
              }) &&
        check(machine_.in_flight() == live_ &&
                  machine_.awaiting_answers() == answers_outstanding() && !machine_.finished(),
              [&] {
                return "in_flight()/awaiting_answers()/finished() disagree with the model: " +
                       std::to_string(machine_.in_flight()) + " in flight, model " +
                       std::to_string(live_);
              });
    if (!ok) return false;
    const auto first = std::min_element(events_.begin(), events_.end(), [](auto& x, auto& y) {
      return x.at != y.at ? x.at < y.at : x.seq < y.seq;
    });
    if (act.until != forever && (first == events_.end() || act.until <= first->at)) {
      now_ = act.until;  // the wait's timer comes first (also on a tie)
      return true;
    }
    if (first == events_.end()) {  // a stalled race, rightly waiting: the checks above say so
      check_report();
      return false;
    }
    const event ev = *first;
    events_.erase(first);
    if (!check(ev.at >= now_, [] { return "an event in the past"; })) return false;
    now_ = ev.at;
    deliver(ev);
    return true;
  }

  void echo(event_kind kind, attempt_id id) {
    if (p_.echo_after_ms) push(now_ + milliseconds(*p_.echo_after_ms), kind, id);
  }

  // The same call again, for an attempt no longer in flight or a family that has answered: the
  // model does not change, and neither may the machine (the checks that follow say whether).
  void deliver_echo(const event& ev) {
    if (ev.kind == event_kind::echo_outcome) {
      const outcome_plan o = p_.outcome_of(attempts_[ev.id].to);
      trace("echo: attempt " + std::to_string(ev.id) + "'s outcome again");
      if (o.how == fate::connects) return machine_.on_connected(ev.id, now_);
      return machine_.on_failed(ev.id, o.err, o.native, now_);
    }
    const bool is_aaaa = ev.kind == event_kind::echo_aaaa;
    const answer_plan& ap = is_aaaa ? p_.aaaa : p_.a;
    trace(std::string("echo: the ") + (is_aaaa ? "AAAA" : "A") + " answer again");
    machine_.on_answer(is_aaaa ? address_kind::ipv6 : address_kind::ipv4, ap.result, ap.native,
                       now_);
  }

  void deliver(const event& ev) {
    switch (ev.kind) {
      case event_kind::stop:
        trace("cancel() (the caller's stop)");
        machine_.cancel(now_);
        return end_race(ending::stopped, std::unexpected(error::canceled), {0});
      case event_kind::abort:
        trace("abort() " + std::string(dial::name(p_.abort_error)));
        machine_.abort(p_.abort_error, p_.abort_native, now_);
        return end_race(ending::aborted, std::unexpected(p_.abort_error), {p_.abort_native});
      case event_kind::outcome: {
        const outcome_plan o = p_.outcome_of(attempts_[ev.id].to);
        if (o.how == fate::connects) return settle(ev.id, {}, 0);
        return settle(ev.id, std::unexpected(o.err), o.native);
      }
      case event_kind::echo_aaaa:
      case event_kind::echo_a:
      case event_kind::echo_outcome: return deliver_echo(ev);
      case event_kind::aaaa:
      case event_kind::a: return deliver_answer(ev.kind == event_kind::aaaa);
    }
  }

  void deliver_answer(bool is_aaaa) {
    const answer_plan& ap = is_aaaa ? p_.aaaa : p_.a;
    const address_kind family = is_aaaa ? address_kind::ipv6 : address_kind::ipv4;
    trace(std::string(is_aaaa ? "AAAA" : "A") + " answer " +
          (ap.result ? text(*ap.result) : std::string(dial::name(ap.result.error()))));
    machine_.on_answer(family, ap.result, ap.native, now_);
    echo(is_aaaa ? event_kind::echo_aaaa : event_kind::echo_a, 0);
    (is_aaaa ? aaaa_in_ : a_in_) = true;
    if (!is_aaaa) a_at_ = now_;
    dial::lookup_event l{family, now_, ap.result ? ap.result->size() : 0, {}, 0};
    if (!ap.result) {
      l.outcome = std::unexpected(ap.result.error());
      l.native = ap.native;
    }
    lookups_.push_back(l);
    if (!ap.result) return;
    // [3] Before the first attempt: every address so far, sorted, interleaved with the family
    // count. After it: the untried ones and the new, re-sorted, interleaved one by one.
    answered_.insert(answered_.end(), ap.result->begin(), ap.result->end());
    if (!started_) {
      untried_ = reference_interleave(reference_sort(answered_), p_.first_family_count);
    } else {
      untried_.insert(untried_.end(), ap.result->begin(), ap.result->end());
      untried_ = reference_interleave(reference_sort(untried_), 1);
    }
  }

  void on_finished() {
    const bool ok =
        check(ending_ != ending::none,
              [&] {
                return "finished while the race is on: " + std::to_string(live_) +
                       " in flight, untried " + text(untried_) + ", answers outstanding " +
                       std::to_string(answers_outstanding());
              }) &&
        check(cancels_owed_ == 0,
              [&] {
                return "[4] finished with " + std::to_string(cancels_owed_) +
                       " attempts in flight never cancelled";
              }) &&
        check(ending_ != ending::deadline || ended_at_ == deadline_,
              [&] {
                return "[5] Timeout at " + text(ended_at_) + ", deadline " + text(deadline_);
              }) &&
        check(ending_ != ending::stopped || ms_of(ended_at_) == p_.stop_ms,
              [&] { return "[5] Canceled at " + text(ended_at_) + ", not at the stop"; }) &&
        check(now_ == ended_at_,
              [&] {
                return "finished at " + text(now_) + ", the race ended at " + text(ended_at_);
              }) &&
        check(machine_.finished(),
              [] { return "finished() is false after next() said finished"; }) &&
        check(machine_.result() == expected_result_,
              [&] {
                return "[8] result " + text(machine_.result()) + ", expected " +
                       text(expected_result_) + " (" + ending_names[static_cast<int>(ending_)] +
                       ")";
              }) &&
        check(std::find(expected_natives_.begin(), expected_natives_.end(), machine_.native()) !=
                  expected_natives_.end(),
              [&] {
                return "[8] native() " + std::to_string(machine_.native()) + ", expected " +
                       std::to_string(expected_natives_.front());
              });
    if (!ok) return;
    trace("result " + text(machine_.result()) + ", native " + std::to_string(machine_.native()));
    out_.finished_at = now_;
    out_.result = machine_.result();
    out_.native = machine_.native();
    check_report();
    poke_after_the_end();
  }

  // Every event after the end is ignored: the result, the native code and the report stay.
  void poke_after_the_end() {
    machine_.on_answer(address_kind::ipv6, std::vector<address>{v6(0xff, 0xff)}, 0, now_);
    machine_.on_answer(address_kind::ipv4, std::unexpected(resolve_error::unknown_host_name), 4,
                       now_);
    for (attempt_id id = 0; id < attempts_.size(); ++id) {
      machine_.on_connected(id, now_);
      machine_.on_failed(id, error::system_resources, 105, now_);
    }
    machine_.cancel(now_);
    machine_.abort(error::unexpected, 1, now_);
    const race_action again = machine_.next(now_ + std::chrono::seconds(1));
    check(again.step == race_step::finished && machine_.result() == out_.result &&
              machine_.native() == out_.native,
          [] { return "events after the end changed the race's outcome"; });
    check_report();
  }

  // [7] Every started attempt once, with the outcome the simulation gave it (or Canceled,
  // Timeout when the race ended around it); every answer that arrived once.
  void check_report() {
    const race_report& r = machine_.report();
    if (!check(r.began == t0 && r.attempts.size() == attempts_.size(), [&] {
          return "[7] the report has " + std::to_string(r.attempts.size()) + " attempts, " +
                 std::to_string(attempts_.size()) + " were started";
        }))
      return;
    for (std::size_t i = 0; i < attempts_.size(); ++i) {
      const dial::connect_attempt& got = r.attempts[i];
      const sim_attempt& want = attempts_[i];
      // In flight: no end yet (time_point::min(), as report() documents); ended: start <= end.
      const bool same = got.to == want.to && got.start == want.start &&
                        (want.live ? got.end == time_point::min()
                                   : got.start <= got.end && got.end == want.end &&
                                         got.outcome == want.outcome && got.native == want.native);
      if (!check(same, [&] {
            return "[7] report attempt " + std::to_string(i) + ": " + text(got.to) + " " +
                   text(got.start) + ".." + text(got.end) + " " + text(got.outcome) + " native " +
                   std::to_string(got.native) + ", expected " + text(want.to) + " " +
                   text(want.start) + ".." + text(want.end) + " " + text(want.outcome) +
                   " native " + std::to_string(want.native);
          }))
        return;
    }
    if (!check(r.lookups.size() == lookups_.size(), [&] {
          return "[7] the report has " + std::to_string(r.lookups.size()) + " lookups, " +
                 std::to_string(lookups_.size()) + " answers arrived";
        }))
      return;
    for (std::size_t i = 0; i < lookups_.size(); ++i) {
      const dial::lookup_event& got = r.lookups[i];
      const dial::lookup_event& want = lookups_[i];
      check(got.family == want.family && got.at == want.at && got.addresses == want.addresses &&
                got.outcome == want.outcome && got.native == want.native,
            [&] { return "[7] report lookup " + std::to_string(i) + " differs from the answer"; });
    }
  }

  const plan& p_;
  bool tracing_;
  milliseconds attempt_delay_;
  milliseconds resolution_delay_;
  time_point deadline_;
  dial::happy_eyeballs machine_;
  run_result out_;

  time_point now_ = t0;
  std::vector<event> events_;
  std::uint64_t seq_ = 0;

  // The model.
  bool aaaa_in_ = false, a_in_ = false, started_ = false;
  time_point a_at_{}, last_start_{};
  std::vector<address> answered_;  // every address any answer brought
  std::vector<address> untried_;   // in the order the reference says they are due
  std::vector<sim_attempt> attempts_;
  std::size_t live_ = 0;
  std::vector<dial::lookup_event> lookups_;
  ending ending_ = ending::none;
  time_point ended_at_{};
  std::expected<attempt_id, error> expected_result_ = std::unexpected(error::unexpected);
  std::vector<int> expected_natives_;
  std::size_t cancels_owed_ = 0;
};

// ---- random timelines --------------------------------------------------------------------------

#ifdef DIAL_MODEL_SANITIZED
constexpr std::uint64_t default_timelines = 10'000;
#else
constexpr std::uint64_t default_timelines = 100'000;
#endif
constexpr std::uint64_t master_seed = 0x8305'6724'd1a1'0001;  // the timelines' seeds come from it
constexpr unsigned shards = 8;

std::optional<std::uint64_t> env_number(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return std::nullopt;
  return std::strtoull(v, nullptr, 0);
}

std::string replay_hint(std::uint64_t seed) {
  return "replay: DIAL_MODEL_SEED=" + std::to_string(seed) +
         " dial_unit_tests --gtest_filter=HappyEyeballsModel.ReplaysOneSeed";
}

std::string report_failure(const plan& p, const run_result& r) {
  const run_result traced = simulation(p, true).run();  // the same run again, with its trace
  std::string s = "seed " + std::to_string(p.seed) + ": " + r.violation + "\n" + describe(p);
  for (const std::string& line : traced.trace) s += "  " + line + "\n";
  return s + replay_hint(p.seed);
}

void run_shard(unsigned shard) {
  const std::uint64_t n = env_number("DIAL_MODEL_TIMELINES").value_or(default_timelines);
  const std::uint64_t first = n * shard / shards, last = n * (shard + 1) / shards;
  std::mt19937_64 seeds(master_seed);
  seeds.discard(first);
  std::array<std::uint64_t, std::size(ending_names)>
      endings{};  // by ending, [none] counting the stalled races
  for (std::uint64_t i = first; i < last; ++i) {
    const plan p = random_plan(seeds());
    const run_result r = simulation(p, false).run();
    ASSERT_TRUE(r.violation.empty()) << "timeline " << i << ", " << report_failure(p, r);
    ++endings[static_cast<std::size_t>(r.how)];
  }
  std::string summary = std::to_string(last - first) + " timelines:";
  for (std::size_t k = 0; k < endings.size(); ++k)
    summary += std::string(" ") + (k == 0 ? "waiting for ever" : ending_names[k]) + " " +
               std::to_string(endings[k]) + ",";
  std::cout << summary << "\n";
  if (last - first < 1000) return;
  for (std::size_t k = 0; k < endings.size(); ++k)  // the generator reaches every way to end
    EXPECT_GT(endings[k], 0u) << "no timeline ended " << ending_names[k] << "; " << summary;
}

TEST(HappyEyeballsModel, RandomTimelinesShard0) { run_shard(0); }
TEST(HappyEyeballsModel, RandomTimelinesShard1) { run_shard(1); }
TEST(HappyEyeballsModel, RandomTimelinesShard2) { run_shard(2); }
TEST(HappyEyeballsModel, RandomTimelinesShard3) { run_shard(3); }
TEST(HappyEyeballsModel, RandomTimelinesShard4) { run_shard(4); }
TEST(HappyEyeballsModel, RandomTimelinesShard5) { run_shard(5); }
TEST(HappyEyeballsModel, RandomTimelinesShard6) { run_shard(6); }
TEST(HappyEyeballsModel, RandomTimelinesShard7) { run_shard(7); }

// DIAL_MODEL_SEED=<seed> replays one timeline and prints its plan and trace; without it, the
// first timeline of shard 0.
TEST(HappyEyeballsModel, ReplaysOneSeed) {
  const std::optional<std::uint64_t> asked = env_number("DIAL_MODEL_SEED");
  const std::uint64_t seed = asked.value_or(std::mt19937_64(master_seed)());
  const plan p = random_plan(seed);
  const run_result r = simulation(p, true).run();
  if (asked) {
    std::cout << "seed " << seed << "\n" << describe(p);
    for (const std::string& line : r.trace) std::cout << "  " << line << "\n";
  }
  EXPECT_TRUE(r.violation.empty()) << report_failure(p, r);
}

// ---- the reference itself, against the library's sort and interleaving ------------------------

TEST(HappyEyeballsModel, ReferenceSortMatchesSortDestinations) {
  std::vector<address> all = {v4(1), loop4, v6(1), loop6, v4(2), v6(2)};
  std::vector<address> sorted = all;
  dial::sort_destinations(sorted);
  EXPECT_EQ(sorted, (std::vector<address>{loop6, v6(1), v6(2), loop4, v4(1), v4(2)}));
  random_source r(1);
  for (int round = 0; round < 200; ++round) {
    std::shuffle(all.begin(), all.end(), std::mt19937_64(static_cast<std::uint64_t>(round)));
    std::vector<address> part(all.begin(), all.begin() + r.in(0, 6));
    const std::vector<address> want = reference_sort(part);
    dial::sort_destinations(part);
    EXPECT_EQ(part, want) << text(want);
  }
}

TEST(HappyEyeballsModel, InterleaveFamiliesHandMadeCases) {
  // Two IPv6 first with count 3: the whole preferred family, then IPv4.
  EXPECT_EQ(dial::interleave_families({v6(1), v6(2), v4(1), v4(2), v4(3)}, 3),
            (std::vector<address>{v6(1), v6(2), v4(1), v4(2), v4(3)}));
  // Count 2: two IPv6, then alternating, IPv4 first; IPv6 left over at the end.
  EXPECT_EQ(dial::interleave_families({v6(1), v6(2), v6(3), v6(4), v4(1)}, 2),
            (std::vector<address>{v6(1), v6(2), v4(1), v6(3), v6(4)}));
  // IPv4 first: IPv4 is the preferred family.
  EXPECT_EQ(dial::interleave_families({v4(1), v4(2), v6(1)}, 1),
            (std::vector<address>{v4(1), v6(1), v4(2)}));
  // Count 0 is count 1; a count above the family's size takes it all.
  EXPECT_EQ(dial::interleave_families({v6(1), v6(2), v4(1), v4(2)}, 0),
            (std::vector<address>{v6(1), v4(1), v6(2), v4(2)}));
  EXPECT_EQ(dial::interleave_families({v6(1), v4(1)}, 9), (std::vector<address>{v6(1), v4(1)}));
}

TEST(HappyEyeballsModel, ReferenceInterleaveMatchesInterleaveFamilies) {
  random_source r(2);
  for (int round = 0; round < 500; ++round) {
    std::vector<address> sorted;
    const auto n6 = r.in(0, 6), n4 = r.in(0, 6);
    for (std::int64_t i = 0; i < n6; ++i) sorted.push_back(v6(static_cast<std::uint8_t>(i + 1)));
    for (std::int64_t i = 0; i < n4; ++i) sorted.push_back(v4(static_cast<std::uint8_t>(i + 1)));
    if (r.chance(30)) std::rotate(sorted.begin(), sorted.begin() + n6, sorted.end());  // v4 first
    const auto count = static_cast<unsigned>(r.in(0, 4));
    EXPECT_EQ(dial::interleave_families(sorted, count), reference_interleave(sorted, count))
        << text(sorted) << " count " << count;
  }
}

// ---- hand-written scenarios, with exact virtual timestamps -------------------------------------

answer_plan answers(std::int64_t at, std::vector<address> list) {
  return {true, at, std::move(list), 0};
}
answer_plan fails(std::int64_t at, resolve_error e, int native) {
  return {true, at, std::unexpected(e), native};
}
outcome_plan connects_after(std::int64_t ms) {
  return {fate::connects, ms, error::connection_refused, 0};
}
outcome_plan fails_after(std::int64_t ms, error e, int native) {
  return {fate::fails_later, ms, e, native};
}
outcome_plan fails_at_once(error e, int native) { return {fate::fails_at_once, 0, e, native}; }

run_result run_scenario(const plan& p) {
  run_result r = simulation(p, true).run();
  EXPECT_TRUE(r.violation.empty()) << report_failure(p, r);
  return r;
}

std::vector<std::int64_t> starts(const run_result& r) {
  std::vector<std::int64_t> out;
  for (const auto& a : r.report.attempts) out.push_back(ms_of(a.start));
  return out;
}
std::vector<address> tried(const run_result& r) {
  std::vector<address> out;
  for (const auto& a : r.report.attempts) out.push_back(a.to);
  return out;
}
std::vector<std::string> outcomes(const run_result& r) {
  std::vector<std::string> out;
  for (const auto& a : r.report.attempts)
    out.push_back(std::string(a.outcome_name()) + "@" + text(a.end));
  return out;
}
using names = std::vector<std::string>;

TEST(HappyEyeballsModel, ScenarioTwoDroppedAddressesStartAttemptDelayApart) {
  plan p;
  p.aaaa = answers(0, {v6(1), v6(2)});
  p.a = fails(0, resolve_error::host_lacks_network_addresses, 1);
  const run_result r = run_scenario(p);  // both SYNs dropped: the race waits for them
  EXPECT_EQ(starts(r), (std::vector<std::int64_t>{0, 250}));
  EXPECT_FALSE(r.finished_at);
}

TEST(HappyEyeballsModel, ScenarioAFirstStartsAfterTheResolutionDelayThenLateAaaaJoins) {
  plan p;
  p.a = answers(0, {v4(1)});
  p.aaaa = answers(200, {v6(1)});
  p.outcomes = {{v6(1), connects_after(30)}};  // 192.0.2.1 is dropped
  const run_result r = run_scenario(p);
  EXPECT_EQ(starts(r), (std::vector<std::int64_t>{50, 300}));  // +50, then 250 ms after it
  EXPECT_EQ(tried(r), (std::vector<address>{v4(1), v6(1)}));
  EXPECT_EQ(outcomes(r), (names{"Canceled@+330", "Connected@+330"}));
  EXPECT_EQ(r.result, attempt_id{1});
  EXPECT_EQ(r.cancels, (std::vector<std::pair<std::int64_t, attempt_id>>{{330, 0}}));
}

TEST(HappyEyeballsModel, ScenarioAaaaWithinTheResolutionDelayGoesFirst) {
  plan p;
  p.a = answers(0, {v4(1)});
  p.aaaa = answers(30, {v6(1)});
  p.outcomes = {{v6(1), connects_after(10)}};
  const run_result r = run_scenario(p);
  EXPECT_EQ(tried(r), (std::vector<address>{v6(1)}));
  EXPECT_EQ(starts(r), (std::vector<std::int64_t>{30}));
  ASSERT_TRUE(r.finished_at);
  EXPECT_EQ(ms_of(*r.finished_at), 40);
}

TEST(HappyEyeballsModel, ScenarioEveryAddressFailingInsideConnectFinishesAtOnce) {
  plan p;
  p.aaaa = answers(0, {v6(1)});
  p.a = answers(0, {v4(1), v4(2)});
  p.outcomes = {{v6(1), fails_at_once(error::network_unreachable, 101)},
                {v4(1), fails_at_once(error::access_denied, 13)},
                {v4(2), fails_at_once(error::permission_denied, 1)}};
  const run_result r = run_scenario(p);
  ASSERT_TRUE(r.finished_at);
  EXPECT_EQ(ms_of(*r.finished_at), 0);
  EXPECT_EQ(starts(r), (std::vector<std::int64_t>{0, 0, 0}));
  EXPECT_EQ(outcomes(r),
            (names{"NetworkUnreachable@+0", "AccessDenied@+0", "PermissionDenied@+0"}));
  ASSERT_EQ(r.report.attempts.size(), 3u);
  EXPECT_EQ(r.report.attempts[1].native, 13);
  EXPECT_EQ(r.result, std::unexpected(error::network_unreachable));  // the first attempt's
  EXPECT_EQ(r.native, 101);
}

TEST(HappyEyeballsModel, ScenarioDeadlineEndsTheRaceAtExactlyItsTime) {
  plan p;
  p.aaaa = answers(0, {v6(1), v6(2), v6(3)});
  p.a = fails(0, resolve_error::host_lacks_network_addresses, 1);
  p.deadline_ms = 700;  // every SYN dropped
  const run_result r = run_scenario(p);
  EXPECT_EQ(starts(r), (std::vector<std::int64_t>{0, 250, 500}));
  ASSERT_TRUE(r.finished_at);
  EXPECT_EQ(ms_of(*r.finished_at), 700);
  EXPECT_EQ(r.result, std::unexpected(error::timeout));
  EXPECT_EQ(outcomes(r), (names{"Timeout@+700", "Timeout@+700", "Timeout@+700"}));
  EXPECT_EQ(r.cancels.size(), 3u);
}

TEST(HappyEyeballsModel, ScenarioFirstSuccessWinsAndEveryOtherAttemptIsCanceled) {
  plan p;
  p.attempt_delay_ms = 100;
  p.aaaa = answers(0, {v6(1), v6(2)});
  p.a = answers(0, {v4(1)});  // arrives after the first attempt started: joins the untried one
  p.outcomes = {{v6(1), connects_after(350)}, {v4(1), connects_after(50)}};
  const run_result r = run_scenario(p);
  EXPECT_EQ(tried(r), (std::vector<address>{v6(1), v6(2), v4(1)}));
  EXPECT_EQ(starts(r), (std::vector<std::int64_t>{0, 100, 200}));
  EXPECT_EQ(r.result, attempt_id{2});
  EXPECT_EQ(outcomes(r), (names{"Canceled@+250", "Canceled@+250", "Connected@+250"}));
  EXPECT_EQ(r.cancels, (std::vector<std::pair<std::int64_t, attempt_id>>{{250, 0}, {250, 1}}));
}

TEST(HappyEyeballsModel, ScenarioStopCancelsAtItsTime) {
  plan p;
  p.aaaa = answers(10, {v6(1)});
  p.stop_ms = 120;  // A never answers, the SYN is dropped
  const run_result r = run_scenario(p);
  EXPECT_EQ(starts(r), (std::vector<std::int64_t>{10}));
  ASSERT_TRUE(r.finished_at);
  EXPECT_EQ(ms_of(*r.finished_at), 120);
  EXPECT_EQ(r.result, std::unexpected(error::canceled));
  EXPECT_EQ(outcomes(r), (names{"Canceled@+120"}));
}

TEST(HappyEyeballsModel, ScenarioLocalResourceErrorEndsTheRace) {
  plan p;
  p.aaaa = answers(0, {v6(1), v6(2)});
  p.a = answers(5, {v4(1)});
  p.outcomes = {{v6(1), fails_after(20, error::connection_refused, 111)},
                {v6(2), fails_at_once(error::process_fd_quota_exceeded, 24)},
                {v4(1), connects_after(0)}};
  const run_result r = run_scenario(p);  // 192.0.2.1 would connect, but is never tried
  EXPECT_EQ(tried(r), (std::vector<address>{v6(1), v6(2)}));
  EXPECT_EQ(starts(r), (std::vector<std::int64_t>{0, 20}));
  EXPECT_EQ(r.result, std::unexpected(error::process_fd_quota_exceeded));
  EXPECT_EQ(r.native, 24);
  EXPECT_EQ(r.report.lookups.size(), 2u);
}

TEST(HappyEyeballsModel, ScenarioNoAddressGivesTheCombinedLookupFailure) {
  plan p;
  p.aaaa = fails(0, resolve_error::host_lacks_network_addresses, 1);
  p.a = fails(20, resolve_error::unknown_host_name, 4);
  run_result r = run_scenario(p);
  ASSERT_TRUE(r.finished_at);
  EXPECT_EQ(ms_of(*r.finished_at), 20);
  EXPECT_EQ(r.result, std::unexpected(error::unknown_host_name));
  EXPECT_EQ(r.native, 4);
  p.a = fails(20, resolve_error::temporary_name_server_failure, 11);
  r = run_scenario(p);  // HostLacksNetworkAddresses only when both families say so
  EXPECT_EQ(r.result, std::unexpected(error::temporary_name_server_failure));
  EXPECT_EQ(r.native, 11);
  p.a = fails(20, resolve_error::host_lacks_network_addresses, 1);
  EXPECT_EQ(run_scenario(p).result, std::unexpected(error::host_lacks_network_addresses));
}

TEST(HappyEyeballsModel, ScenarioFamilyCountAndLoopbacksOrderTheAttempts) {
  plan p;
  p.first_family_count = 2;
  p.a = answers(0, {v4(1), loop4, v4(2)});
  p.aaaa = answers(10, {v6(1), v6(2), loop6});  // within the resolution delay: one sorted list
  for (const address& a : {v4(1), loop4, v4(2), v6(1), v6(2), loop6})
    p.outcomes.emplace_back(a, fails_at_once(error::network_unreachable, 101));
  const run_result r = run_scenario(p);
  EXPECT_EQ(tried(r), (std::vector<address>{loop6, v6(1), loop4, v6(2), v4(1), v4(2)}));
  EXPECT_EQ(starts(r), (std::vector<std::int64_t>{10, 10, 10, 10, 10, 10}));
}

}  // namespace
