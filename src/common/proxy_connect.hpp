// src/common/proxy_connect.hpp: connect_to_host through a proxy (internal; connect_to_host calls
// it when connect_to_host_options::proxy is set).
#pragma once

#include <cstdint>
#include <expected>
#include <string_view>

#include "dial/dialer.hpp"

namespace dial::detail {

/// The race to the proxy's own addresses (connect_to_host without the proxy), then the handshake
/// on the winner under the same deadline and stop. docs/proxy.md.
[[nodiscard]] std::expected<connection, connect_to_host_failure> connect_through_proxy(
    std::string_view host, std::uint16_t port, const connect_to_host_options& options);

}  // namespace dial::detail
