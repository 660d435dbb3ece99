// src/common/native.hpp: internal helpers shared by every OS family's system-call layer.
#pragma once

#include <string_view>

namespace dial::detail {

/// Records the native code behind an error for dial::last_native_error().
void record_native(int code) noexcept;

/// Called when a code maps to Unexpected: debug builds print it to stderr.
void report_unexpected(std::string_view call, int code) noexcept;

/// A table entry's result: the name, or a programmer-error reason (non-null) that must trap.
template <class E>
struct mapped {
  E error;
  const char* trap_reason = nullptr;
};

}  // namespace dial::detail
