// src/common/engine_deadlines.hpp: the engine's deadline list, written once for any slot type.
#pragma once

#include <cstdint>
#include <limits>
#include <span>

namespace dial::detail::eng {

/// No slot: the end of a deadline list.
inline constexpr std::uint32_t no_slot_index = std::numeric_limits<std::uint32_t>::max();

/// The in-flight slots in start order. Every connect of a run has the same timeout, so start
/// order is deadline order: the head is always the next deadline. O(1) append, remove and peek,
/// two indexes per slot (`Slot::prev`, `Slot::next`, both std::uint32_t), no allocation.
/// Both engines use it (src/linux/engine_impl.hpp, src/windows/engine_impl.hpp).
template <class Slot>
class basic_deadline_list {
 public:
  /// A list over `slots`, empty.
  explicit basic_deadline_list(std::span<Slot> slots) noexcept : slots_(slots) {}

  /// Appends slot i (just started).
  void push(std::uint32_t i) noexcept {
    Slot& s = slots_[i];
    s.prev = tail_;
    s.next = no_slot_index;
    if (tail_ != no_slot_index)
      slots_[tail_].next = i;
    else
      head_ = i;
    tail_ = i;
  }

  /// Removes slot i (finished, timed out or canceled); it must be in the list.
  void remove(std::uint32_t i) noexcept {
    Slot& s = slots_[i];
    if (s.prev != no_slot_index)
      slots_[s.prev].next = s.next;
    else
      head_ = s.next;
    if (s.next != no_slot_index)
      slots_[s.next].prev = s.prev;
    else
      tail_ = s.prev;
    s.prev = s.next = no_slot_index;
  }

  /// The slot with the earliest deadline, or no_slot_index.
  [[nodiscard]] std::uint32_t head() const noexcept { return head_; }

 private:
  std::span<Slot> slots_;
  std::uint32_t head_ = no_slot_index;
  std::uint32_t tail_ = no_slot_index;
};

}  // namespace dial::detail::eng
