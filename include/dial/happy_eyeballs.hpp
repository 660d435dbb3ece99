// dial/happy_eyeballs.hpp: layer 3, the RFC 8305 race as a sans-I/O state machine.
#pragma once

#include <cstddef>
#include <cstdint>
#include <expected>
#include <optional>
#include <vector>

#include "dial/address.hpp"
#include "dial/dialer.hpp"  // connect_to_host_options, connect_to_host_error, race_report
#include "dial/export.hpp"
#include "dial/resolve.hpp"

namespace dial {

/// Which attempt of a race: its index in race_report::attempts.
using attempt_id = std::size_t;

/// What a race asks its driver to do.
enum class race_step : std::uint8_t {
  start_attempt,   ///< open a non-blocking stream socket for `to`, connect it, report the outcome
  cancel_attempt,  ///< close attempt `attempt`'s socket: another won, or the race is over
  wait,            ///< wait for an event (an answer, an outcome, a stop), then call next() again;
                   ///< call it at `until` at the latest (max: only an event can come)
  finished,        ///< the race is over: result() and report() say how
};

/// One action of a race (happy_eyeballs::next).
struct race_action {
  race_step step = race_step::wait;  ///< what to do
  attempt_id attempt = 0;            ///< start_attempt, cancel_attempt: which attempt
  address to;                        ///< start_attempt: where to connect (IPv4 or IPv6, port set)
  /// start_attempt: this attempt is the whole rest of the race (no address left, no answer
  /// outstanding, nothing else in flight), so its outcome is the race's. A driver with no
  /// deadline and no stop to watch may connect it blocking.
  bool alone = false;
  /// wait: when next() must be called even if nothing happened (a timer, the deadline).
  deadline_clock::time_point until = deadline_clock::time_point::max();
};

/// Happy Eyeballs v2 (RFC 8305) as a state machine: it owns no socket, no clock and no thread.
/// The driver feeds it events (each family's DNS answer, each attempt's outcome, a stop) with the
/// time they happened, and asks next() what to do; it carries out the action and asks again.
/// Every decision of the race is made here and only here: when connecting may begin (AAAA has
/// answered, or A answered resolution_delay ago), the order of the addresses (RFC 6724 sort,
/// family interleaving; late answers join the untried ones), when the next attempt starts
/// (attempt_delay after the last, or at once when none is in flight), that the first success
/// wins and every other attempt is cancelled, that a local resource error stops the race, the
/// one deadline and the stop. connect_to_host is one driver (a poll loop); docs/dialer.md shows
/// how to write another.
///
/// By construction the race never waits with nothing to wait for: when no attempt is in
/// flight, no answer is outstanding and no address is left, next() says finished.
///
/// Events about an attempt that is no longer in flight (one cancelled a moment ago) are ignored,
/// as are answers for a family that has already answered and every event after the race ended.
class DIAL_API happy_eyeballs {
 public:
  using time_point = deadline_clock::time_point;  ///< the race's clock: deadline_clock

  /// A race that begins at `now` with options.attempt_delay (clamped, clamp_attempt_delay),
  /// resolution_delay, first_address_family_count and deadline. The options' resolve settings,
  /// stop token and non_blocking are the driver's: it watches the stop and calls cancel().
  happy_eyeballs(const connect_to_host_options& options, time_point now);

  /// One family's answer arrived at `now`: its addresses (IPv4 or IPv6 with the port), or why it
  /// has none, with the resolver's own code (`native`; 0 when none) kept in the report.
  void on_answer(address_kind family, std::expected<std::vector<address>, resolve_error> answer,
                 int native, time_point now);
  /// Attempt `id` connected at `now`: it wins, every other attempt is to be cancelled.
  void on_connected(attempt_id id, time_point now);
  /// Attempt `id` failed at `now` (inside connect() or later) with `e` and the OS code behind
  /// it. A local resource error (ProcessFdQuotaExceeded, SystemFdQuotaExceeded,
  /// SystemResources, OutOfMemory) ends the race with it; any other moves on to the next address.
  void on_failed(attempt_id id, connect_to_host_error e, int native, time_point now);
  /// The caller's stop: the race ends with Canceled, every attempt in flight is cancelled.
  void cancel(time_point now);
  /// The driver itself failed (a lookup could not start, its wait failed): the race ends with
  /// `e`, every attempt in flight is cancelled.
  void abort(connect_to_host_error e, int native, time_point now);

  /// What to do now. Call it after every event and whenever a wait ends; `now` never goes back.
  [[nodiscard]] race_action next(time_point now);

  /// Whether next() has said finished (or will: the race's outcome is decided).
  [[nodiscard]] bool finished() const noexcept { return finished_; }
  /// After finished: the winning attempt, or the race's error. When every address failed, the
  /// error is the first attempt's (the most preferred address); with no address at all, the
  /// more telling of the two families' resolution errors, combined as dial::resolve does.
  [[nodiscard]] std::expected<attempt_id, connect_to_host_error> result() const noexcept {
    return result_;
  }
  /// The OS or resolver code behind result()'s error (0 for success, Timeout and Canceled).
  [[nodiscard]] int native() const noexcept { return native_; }
  /// Every answer and attempt so far, in order. An attempt still in flight has no end yet:
  /// its `end` is time_point::min().
  [[nodiscard]] const race_report& report() const noexcept { return report_; }
  /// Moves the report out (after finished).
  [[nodiscard]] race_report take_report() noexcept { return std::move(report_); }
  /// How many attempts are in flight (started, no outcome yet).
  [[nodiscard]] std::size_t in_flight() const noexcept { return in_flight_; }
  /// Whether a family has yet to answer (one that options.source excludes is not waited for).
  [[nodiscard]] bool awaiting_answers() const noexcept {
    return (!aaaa_answered_ && !excluded(address_kind::ipv6)) ||
           (!a_answered_ && !excluded(address_kind::ipv4));
  }
  /// The addresses not tried yet, in the order they will be.
  [[nodiscard]] const std::vector<address>& untried() const noexcept { return untried_; }

 private:
  void end(std::expected<attempt_id, connect_to_host_error> r, int native, time_point now);
  [[nodiscard]] bool connecting(time_point now) const noexcept;
  [[nodiscard]] bool attempt_due(time_point now) const noexcept;
  [[nodiscard]] time_point timer() const noexcept;
  [[nodiscard]] bool is_live(attempt_id id) const noexcept;
  void settle(attempt_id id, std::expected<void, connect_to_host_error> outcome, int native,
              time_point now);
  void finish_exhausted();
  // Whether options.source leaves this family out (a source of the other family, or not IP).
  [[nodiscard]] bool excluded(address_kind family) const noexcept {
    return source_kind_ && *source_kind_ != family;
  }

  std::chrono::milliseconds attempt_delay_;
  std::chrono::milliseconds resolution_delay_;
  unsigned first_family_count_;
  time_point deadline_;
  std::optional<address_kind> source_kind_;  // options.source's family: only it is tried
  std::size_t excluded_addresses_ = 0;       // answers of the other family, not tried
  race_report report_;
  std::vector<address> untried_;
  std::size_t in_flight_ = 0;        // attempts whose end is still time_point::min()
  std::vector<attempt_id> cancels_;  // cancel actions still to hand out
  std::expected<attempt_id, connect_to_host_error> result_ =
      std::unexpected(connect_to_host_error::unexpected);
  int native_ = 0;
  std::expected<void, resolve_error> lookup_failure_;  // the combined failure so far
  int lookup_native_ = 0;
  time_point a_at_{};
  time_point last_start_{};
  bool aaaa_answered_ = false;
  bool a_answered_ = false;
  bool started_ = false;
  bool finished_ = false;
};

}  // namespace dial
