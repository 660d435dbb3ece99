// tools/dial/host_probe.hpp: `dial HOST:PORT`, Happy Eyeballs through dial::connect_to_host.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace dial::cli {

/// A command-line target the host path probes: a name (or numeric IP) and a port, or a numeric
/// endpoint of another kind (Unix) given whole.
struct host_target {
  std::string text;  ///< as given
  std::string host;  ///< the host part ("example.org", "192.0.2.1", "::1"); empty: Unix
  std::uint16_t port = 0;
};

/// Splits "HOST:PORT" where HOST is a host name (letters, digits, '-', '.', '_', not all digits
/// and dots) and PORT 1-65535; std::nullopt otherwise.
[[nodiscard]] std::optional<host_target> parse_host_port(std::string_view text);

/// Parses a duration, as every --timeout of the tool takes it: a positive decimal number and a
/// unit, "us", "ms", "s" or "m" ("500ms", "1.5s"); without a unit, milliseconds ("2000").
[[nodiscard]] std::optional<std::chrono::nanoseconds> parse_duration(std::string_view text);

/// How the host path probes.
struct host_probe_options {
  bool verbose = false;                             ///< print every lookup answer and attempt
  std::optional<std::chrono::nanoseconds> timeout;  ///< per target, covering resolution and all
};

/// Probes each target in turn (connect_to_host for IP hosts and names, connect_until for Unix
/// endpoints), prints one table row each (and with `verbose` the race under it) and returns the
/// exit status: 0 when every target connected, 1 otherwise.
[[nodiscard]] int probe_hosts(std::span<const host_target> targets, const host_probe_options& o);

}  // namespace dial::cli
