// src/common/happy_eyeballs.hpp: RFC 8305's timing decisions, free of I/O (internal).
#pragma once

#include <cstddef>
#include <vector>

#include "dial/dialer.hpp"

namespace dial::detail {

/// Decides when connect_to_host may start connecting and when the next attempt is due. It holds
/// the untried addresses in the order they will be tried; the caller does the I/O and tells it
/// what happened.
class race_plan {
 public:
  using time_point = deadline_clock::time_point;

  explicit race_plan(const connect_to_host_options& o) noexcept;

  /// A family answered at `now`, with these addresses (empty when it failed).
  void on_answer(address_kind family, const std::vector<address>& found, time_point now);
  /// Whether connecting may begin: AAAA has answered, or A answered resolution_delay ago.
  [[nodiscard]] bool connecting(time_point now) const noexcept;
  /// Whether the next attempt should start now, with `in_flight` attempts in progress.
  [[nodiscard]] bool attempt_due(time_point now, std::size_t in_flight) const noexcept;
  /// Takes the next address to try and notes that its attempt starts at `now`.
  [[nodiscard]] address take_next(time_point now);
  /// Whether untried addresses are left.
  [[nodiscard]] bool has_candidates() const noexcept { return !untried_.empty(); }
  /// The next time connecting() or attempt_due() can change without an outside event.
  [[nodiscard]] time_point next_event(std::size_t in_flight) const noexcept;
  /// The untried addresses, in order.
  [[nodiscard]] const std::vector<address>& untried() const noexcept { return untried_; }

 private:
  std::vector<address> untried_;
  std::chrono::milliseconds attempt_delay_;
  std::chrono::milliseconds resolution_delay_;
  unsigned first_family_count_;
  bool aaaa_answered_ = false;
  bool a_answered_ = false;
  bool started_ = false;
  time_point a_at_{};
  time_point last_start_{};
};

}  // namespace dial::detail
