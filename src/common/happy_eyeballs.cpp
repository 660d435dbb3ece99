// src/common/happy_eyeballs.cpp: the RFC 8305 race as a state machine, and family interleaving.
#include "dial/happy_eyeballs.hpp"

#include <algorithm>

#include "common/lookup.hpp"  // combine_failures

namespace dial {

std::vector<address> interleave_families(const std::vector<address>& sorted,
                                         unsigned first_family_count) {
  if (sorted.empty()) return {};
  const address_kind first = sorted.front().kind();
  std::vector<address> mine, other;
  for (const address& a : sorted) (a.kind() == first ? mine : other).push_back(a);
  std::vector<address> out;
  out.reserve(sorted.size());
  std::size_t i = 0, j = 0;
  for (unsigned k = 0; k < std::max(1u, first_family_count) && i < mine.size(); ++k)
    out.push_back(mine[i++]);
  while (i < mine.size() || j < other.size()) {  // each turn takes at least one address
    if (j < other.size()) out.push_back(other[j++]);
    if (i < mine.size()) out.push_back(mine[i++]);
  }
  return out;
}

namespace {

using error = connect_to_host_error;

// Errors that say this host is out of something: no other address can do better.
bool is_local_resource_error(error e) noexcept {
  return e == error::process_fd_quota_exceeded || e == error::system_fd_quota_exceeded ||
         e == error::system_resources || e == error::out_of_memory;
}

}  // namespace

happy_eyeballs::happy_eyeballs(const connect_to_host_options& o, time_point now)
    : attempt_delay_(clamp_attempt_delay(o.attempt_delay)),
      resolution_delay_(std::max(o.resolution_delay, std::chrono::milliseconds(0))),
      first_family_count_(std::max(1u, o.first_address_family_count)),
      deadline_(o.deadline) {
  if (o.source) source_kind_ = o.source->kind();
  report_.began = now;
  report_.lookups.reserve(2);
}

void happy_eyeballs::on_answer(address_kind family,
                               std::expected<std::vector<address>, resolve_error> answer,
                               int native, time_point now) {
  bool& answered = family == address_kind::ipv6 ? aaaa_answered_ : a_answered_;
  if (finished_ || answered || (family != address_kind::ipv6 && family != address_kind::ipv4))
    return;
  answered = true;
  if (family == address_kind::ipv4) a_at_ = now;
  lookup_event ev{family, now, answer ? answer->size() : 0, {}, answer ? 0 : native};
  if (excluded(family)) {  // reported, never tried, and its failure is not the race's
    if (!answer) ev.outcome = std::unexpected(answer.error());
    excluded_addresses_ += ev.addresses;
    return report_.lookups.push_back(ev);
  }
  if (!answer) {
    ev.outcome = std::unexpected(answer.error());
    const resolve_error was = lookup_failure_ ? answer.error() : lookup_failure_.error();
    lookup_failure_ = std::unexpected(detail::combine_failures(was, answer.error()));
    if (!lookup_failure_ && lookup_failure_.error() == answer.error()) lookup_native_ = native;
  }
  report_.lookups.push_back(ev);
  if (!answer) return;
  // Only IP addresses can race: a stray one is not tried.
  std::erase_if(*answer, [](const address& a) {
    return a.kind() != address_kind::ipv6 && a.kind() != address_kind::ipv4;
  });
  if (untried_.empty()) {
    untried_ = std::move(*answer);  // the first answer: no copy
  } else {
    untried_.insert(untried_.end(), answer->begin(), answer->end());
  }
  if (untried_.size() < 2) return;  // nothing to order
  sort_destinations(untried_);
  // Before the first attempt the preferred family gets its count; late answers simply join.
  untried_ = interleave_families(untried_, started_ ? 1 : first_family_count_);
}

// An attempt in flight has no end yet (time_point::min()): no separate set to keep.
bool happy_eyeballs::is_live(attempt_id id) const noexcept {
  return id < report_.attempts.size() && report_.attempts[id].end == time_point::min();
}

void happy_eyeballs::settle(attempt_id id, std::expected<void, error> outcome, int native,
                            time_point now) {
  connect_attempt& at = report_.attempts[id];
  at.end = now;
  at.outcome = outcome;
  at.native = native;
  --in_flight_;
}

void happy_eyeballs::end(std::expected<attempt_id, error> r, int native, time_point now) {
  // Every attempt still in flight is closed: Timeout when the deadline ended the race, else
  // Canceled (another won, a stop, a local error).
  const error closed = !r && r.error() == error::timeout ? error::timeout : error::canceled;
  for (attempt_id id = 0; in_flight_ > 0 && id < report_.attempts.size(); ++id) {
    if (!is_live(id)) continue;
    settle(id, std::unexpected(closed), 0, now);
    cancels_.push_back(id);
  }
  result_ = r;
  native_ = native;
  finished_ = true;
}

void happy_eyeballs::on_connected(attempt_id id, time_point now) {
  if (finished_ || !is_live(id)) return;
  settle(id, {}, 0, now);
  end(id, 0, now);
}

void happy_eyeballs::on_failed(attempt_id id, error e, int native, time_point now) {
  if (finished_ || !is_live(id)) return;
  settle(id, std::unexpected(e), native, now);
  if (is_local_resource_error(e)) end(std::unexpected(e), native, now);
}

void happy_eyeballs::cancel(time_point now) {
  if (!finished_) end(std::unexpected(error::canceled), 0, now);
}

void happy_eyeballs::abort(error e, int native, time_point now) {
  if (!finished_) end(std::unexpected(e), native, now);
}

bool happy_eyeballs::connecting(time_point now) const noexcept {
  // A source of IPv4 does not wait for AAAA: those addresses would not be tried.
  return started_ || aaaa_answered_ || excluded(address_kind::ipv6) ||
         (a_answered_ && now >= a_at_ + resolution_delay_);
}

bool happy_eyeballs::attempt_due(time_point now) const noexcept {
  if (untried_.empty() || !connecting(now)) return false;
  return in_flight_ == 0 || now >= last_start_ + attempt_delay_;
}

// The next time a decision can change without an event: the end of the resolution delay, or
// the next attempt's start. max when only an event can change anything.
happy_eyeballs::time_point happy_eyeballs::timer() const noexcept {
  if (untried_.empty()) return time_point::max();
  if (!started_ && !aaaa_answered_) return a_at_ + resolution_delay_;  // A answered (untried)
  return last_start_ + attempt_delay_;  // one is in flight, or the attempt would be due
}

void happy_eyeballs::finish_exhausted() {
  for (const connect_attempt& a : report_.attempts)  // the most preferred address's error
    if (!a.outcome) return end(std::unexpected(a.outcome.error()), a.native, a.end);
  const time_point at = report_.lookups.empty() ? report_.began : report_.lookups.back().at;
  // Addresses there were, of the other family only (or the source is not an IP address).
  if (source_kind_ &&
      (excluded_addresses_ > 0 || (excluded(address_kind::ipv4) && excluded(address_kind::ipv6))))
    return end(std::unexpected(error::address_family_not_supported), 0, at);
  const resolve_error e =
      lookup_failure_ ? resolve_error::host_lacks_network_addresses : lookup_failure_.error();
  end(std::unexpected(widen<error>(e)), lookup_native_, at);
}

race_action happy_eyeballs::next(time_point now) {
  if (!finished_ && now >= deadline_) end(std::unexpected(error::timeout), 0, now);
  if (!cancels_.empty()) {
    const attempt_id id = cancels_.front();
    cancels_.erase(cancels_.begin());
    return {race_step::cancel_attempt, id, {}, false, time_point::max()};
  }
  if (finished_) return {race_step::finished, 0, {}, false, time_point::max()};
  if (attempt_due(now)) {
    const attempt_id id = report_.attempts.size();
    if (report_.attempts.empty()) report_.attempts.reserve(untried_.size());
    report_.attempts.push_back({untried_.front(), now, time_point::min(), {}, 0});
    untried_.erase(untried_.begin());
    ++in_flight_;
    started_ = true;
    last_start_ = now;
    const bool alone = in_flight_ == 1 && untried_.empty() && !awaiting_answers();
    return {race_step::start_attempt, id, report_.attempts[id].to, alone, time_point::max()};
  }
  if (in_flight_ == 0 && untried_.empty() && !awaiting_answers()) {
    finish_exhausted();  // nothing to wait for: the race is over, now
    return next(now);
  }
  return {race_step::wait, 0, {}, false, std::min(deadline_, timer())};
}

}  // namespace dial
