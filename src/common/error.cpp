// src/common/error.cpp: dial's error category, the per-thread native code, and the trap.
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "common/native.hpp"
#include "dial/error.hpp"

namespace dial {
namespace {

// The std::errc each name is equivalent to; 0 where none fits (see the list's fourth column).
namespace errc_of {
using enum std::errc;
constexpr int none = 0;
}  // namespace errc_of

int portable_condition(int ev) noexcept {
  switch (static_cast<error_id>(ev)) {
#define DIAL_DETAIL_ERRC(id, ident, Name, errc, msg) \
  case error_id::ident: return static_cast<int>(errc_of::errc);
    DIAL_ERROR_LIST(DIAL_DETAIL_ERRC)
#undef DIAL_DETAIL_ERRC
  }
  return 0;
}

class dial_category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "dial"; }
  std::string message(int ev) const override {
    std::string_view n = dial::name(static_cast<error_id>(ev));
    if (n.empty()) return "unknown dial error " + std::to_string(ev);
    return std::string(n) + ": " + std::string(dial::message(static_cast<error_id>(ev)));
  }
  std::error_condition default_error_condition(int ev) const noexcept override {
    if (int c = portable_condition(ev); c != 0) return {c, std::generic_category()};
    return {ev, *this};
  }
};

thread_local int last_code = 0;

void default_trap(const trap_info& t) {
  std::fprintf(stderr,
               "dial: programmer error trapped in %.*s: %.*s (%d): %.*s\n"
               "dial: aborting; this is a bug in the calling code, not a runtime condition\n",
               static_cast<int>(t.call.size()), t.call.data(),
               static_cast<int>(t.native_name.size()), t.native_name.data(), t.native_code,
               static_cast<int>(t.reason.size()), t.reason.data());
}

std::atomic<trap_handler> current_trap{nullptr};

}  // namespace

const std::error_category& category() noexcept {
  static const dial_category c;
  return c;
}

int last_native_error() noexcept { return last_code; }

namespace detail {

void record_native(int code) noexcept { last_code = code; }

void report_unexpected([[maybe_unused]] std::string_view call, [[maybe_unused]] int code) noexcept {
#ifndef NDEBUG
  // Debug builds say so at once: an Unexpected code means the table wants a new line.
  std::fprintf(stderr, "dial: %.*s returned an unexpected native code %d; please report it\n",
               static_cast<int>(call.size()), call.data(), code);
#endif
}

void trap(std::string_view call, int native_code, std::string_view native_name,
          std::string_view reason) noexcept {
  const trap_info info{call, native_code, native_name, reason};
  trap_handler h = current_trap.load(std::memory_order_acquire);
  if (h == nullptr) h = default_trap;
  h(info);
  std::abort();  // a handler that returns still ends the process: never continue past a trap
}

}  // namespace detail

trap_handler set_trap_handler(trap_handler h) noexcept {
  return current_trap.exchange(h, std::memory_order_acq_rel);
}

}  // namespace dial
