// tools/dial/services.hpp: TCP service names from /etc/services, for the scan's OPEN table.
#pragma once

#include <cstdint>
#include <string_view>

namespace dial::cli {

/// The TCP service /etc/services names for `port` ("ssh" for 22), or an empty view. The file is
/// read once, at the first call (no NSS, no network: only the file); an unreadable file, or
/// memory that runs out while reading it, leaves every port without a name. Thread-safe; after
/// the first call it never allocates.
[[nodiscard]] std::string_view tcp_service_name(std::uint16_t port) noexcept;

}  // namespace dial::cli
