// src/windows/resolver_wsa.hpp: the Windows resolver's table (internal; exposed for its test).
#pragma once

#include "dial/resolve.hpp"

namespace dial::detail {

/// The Windows resolver back-end's table: a code of GetAddrInfoExW (its EAI_* names are WSA codes:
/// WSAHOST_NOT_FOUND, ...) or of the wake-up socket to resolve's name. A code outside the table
/// is Unexpected (and reported in debug builds).
[[nodiscard]] resolve_error resolve_error_from_wsa(int code) noexcept;

}  // namespace dial::detail
