// tools/dial/host_range.hpp: the address blocks `dial scan` takes as hosts: CIDR and ranges.
#pragma once

#include <cstdint>
#include <expected>
#include <optional>
#include <string_view>

#include "dial/address.hpp"
#include "endpoint.hpp"

namespace dial::cli {

/// Consecutive IP addresses: a CIDR block (every address of it, network and broadcast
/// addresses included, as nmap scans them) or a range first-last. The port is 0.
struct host_range {
  address first{};          ///< the lowest address, with the scope given (IPv6)
  std::uint64_t count = 1;  ///< addresses in the block, 1 to max_range_addresses

  /// The i-th address (i < count), port 0.
  [[nodiscard]] address at(std::uint64_t i) const noexcept;
};

/// The most addresses one block may have: 2^32 (an IPv4 /0, an IPv6 /96).
inline constexpr std::uint64_t max_range_addresses = std::uint64_t{1} << 32;

/// Whether `host` is meant as a block: it has a '/', or a '-' after a numeric address (a host
/// name may have a '-', an address may not).
[[nodiscard]] bool is_range_word(std::string_view host) noexcept;

/// Parses a block: a.b.c.d/N (N 0-32), v6addr/N or [v6addr]/N (N 0-128; a scope allowed),
/// a.b.c.d-e (the last byte runs from d to e), a.b.c.d-a.b.c.e, v6addr-h (the last 16-bit group
/// runs up to hex h) and v6addr-v6addr. An address with host bits under the prefix names the
/// block that holds it. Offsets count from the start of `host`.
[[nodiscard]] std::expected<host_range, parse_problem> parse_host_range(std::string_view host);

}  // namespace dial::cli
