// src/common/native.hpp: internal helpers shared by every OS family's system-call layer.
#pragma once

#include <string_view>

#include "dial/error.hpp"

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

/// The one way every table's answer is finished, on every OS: trap on a programmer error (its
/// code spelled `native_name`), otherwise record the code for last_native_error() and report an
/// Unexpected one.
template <error_set E>
E finish_mapped(mapped<E> m, std::string_view call, int code,
                std::string_view native_name) noexcept {
  if (m.trap_reason != nullptr) trap(call, code, native_name, m.trap_reason);
  record_native(code);
  if (m.error == E::unexpected) report_unexpected(call, code);
  return m.error;
}

}  // namespace dial::detail
