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
    case EBADF: return "EBADF";
    case EFAULT: return "EFAULT";
    case EINVAL: return "EINVAL";
    case ENOTSOCK: return "ENOTSOCK";
    case EISCONN: return "EISCONN";
    case EOPNOTSUPP: return "EOPNOTSUPP";
    case EDESTADDRREQ: return "EDESTADDRREQ";
    case EPROTOTYPE: return "EPROTOTYPE";
    case ECONNABORTED: return "ECONNABORTED";
    default: return "errno";
  }
}

/// Finishes an errno table's answer (common/native.hpp's finish_mapped, errno spellings).
template <error_set E>
E finish(mapped<E> m, std::string_view call, int code) noexcept {
  return finish_mapped(m, call, code, errno_name(code));
}

// The trap reasons every call on a descriptor shares.
inline constexpr const char* bad_descriptor = "sock is not an open file descriptor";
inline constexpr const char* not_a_socket = "the descriptor does not refer to a socket";
inline constexpr const char* bad_pointer = "a pointer argument lies outside the address space";

}  // namespace dial::detail
