// src/posix/errno_map.hpp: what the sibling calls' errno tables share (Linux, BSD, macOS).
#pragma once

#include <cerrno>
#include <string_view>

#include "common/native.hpp"
#include "dial/error.hpp"

namespace dial::detail {

/// The spelling of a programmer-error code for the trap report.
constexpr const char* errno_name(int code) noexcept {
  switch (code) {
    case EBADF:
      return "EBADF";
    case EFAULT:
      return "EFAULT";
    case EINVAL:
      return "EINVAL";
    case ENOTSOCK:
      return "ENOTSOCK";
    case EISCONN:
      return "EISCONN";
    case EOPNOTSUPP:
      return "EOPNOTSUPP";
    case EDESTADDRREQ:
      return "EDESTADDRREQ";
    default:
      return "errno";
  }
}

/// The one way a table's answer is finished: trap on a programmer error, otherwise record the
/// code for last_native_error() and report an Unexpected one.
template <error_set E>
E finish(mapped<E> m, std::string_view call, int code) noexcept {
  if (m.trap_reason != nullptr) trap(call, code, errno_name(code), m.trap_reason);
  record_native(code);
  if (m.error == E::unexpected) report_unexpected(call, code);
  return m.error;
}

// The trap reasons every call on a descriptor shares.
inline constexpr const char* bad_descriptor = "sock is not an open file descriptor";
inline constexpr const char* not_a_socket = "the descriptor does not refer to a socket";
inline constexpr const char* bad_pointer = "a pointer argument lies outside the address space";

}  // namespace dial::detail
