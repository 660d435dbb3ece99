// src/common/address_text.hpp: address.cpp's dotted-quad scanner for other internal callers.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace dial::detail {

/// The four octets of a whole dotted quad ("192.0.2.1"), with dial::address::parse's rules
/// (1-3 digits, at most 255, no leading zero), or nothing.
[[nodiscard]] std::optional<std::array<std::uint8_t, 4>> parse_dotted_quad(
    std::string_view text) noexcept;

}  // namespace dial::detail
