// src/common/interface_names.hpp: network interface name <-> index, written once per OS family.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace dial::detail {

/// IF_NAMESIZE on Linux, BSD and macOS: the longest interface name plus its NUL.
inline constexpr std::size_t interface_name_capacity = 16;

/// The index of the interface called `name` (if_nametoindex), or 0 when there is none or `name`
/// does not fit. Does not allocate.
std::uint32_t interface_index(std::string_view name) noexcept;

/// Writes the name of interface `index` (if_indextoname) into `out` and returns its length, or 0
/// when no interface has that index. Does not allocate.
std::size_t interface_name(std::uint32_t index, char (&out)[interface_name_capacity]) noexcept;

}  // namespace dial::detail
