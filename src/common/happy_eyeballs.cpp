// src/common/happy_eyeballs.cpp: address interleaving and RFC 8305's timing decisions.
#include "common/happy_eyeballs.hpp"

#include <algorithm>

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

namespace detail {

race_plan::race_plan(const connect_to_host_options& o) noexcept
    : attempt_delay_(clamp_attempt_delay(o.attempt_delay)),
      resolution_delay_(std::max(o.resolution_delay, std::chrono::milliseconds(0))),
      first_family_count_(std::max(1u, o.first_address_family_count)) {}

void race_plan::on_answer(address_kind family, const std::vector<address>& found, time_point now) {
  if (family == address_kind::ipv6) aaaa_answered_ = true;
  if (family == address_kind::ipv4 && !a_answered_) {
    a_answered_ = true;
    a_at_ = now;
  }
  if (found.empty()) return;
  untried_.insert(untried_.end(), found.begin(), found.end());
  sort_destinations(untried_);
  // Before the first attempt the preferred family gets its count; late answers simply join.
  untried_ = interleave_families(untried_, started_ ? 1 : first_family_count_);
}

bool race_plan::connecting(time_point now) const noexcept {
  return started_ || aaaa_answered_ || (a_answered_ && now >= a_at_ + resolution_delay_);
}

bool race_plan::attempt_due(time_point now, std::size_t in_flight) const noexcept {
  if (untried_.empty() || !connecting(now)) return false;
  return in_flight == 0 || now >= last_start_ + attempt_delay_;
}

address race_plan::take_next(time_point now) {
  address a = untried_.front();
  untried_.erase(untried_.begin());
  started_ = true;
  last_start_ = now;
  return a;
}

race_plan::time_point race_plan::next_event(std::size_t in_flight) const noexcept {
  if (untried_.empty()) return time_point::max();
  if (!started_ && !aaaa_answered_)
    return a_answered_ ? a_at_ + resolution_delay_ : time_point::max();
  if (in_flight == 0) return time_point::min();
  return last_start_ + attempt_delay_;
}

}  // namespace detail
}  // namespace dial
