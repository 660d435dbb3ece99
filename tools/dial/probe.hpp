// tools/dial/probe.hpp: `dial ENDPOINT...`, one blocking connect per endpoint.
#pragma once

#include <span>

#include "endpoint.hpp"

namespace dial::cli {

/// Connects to each endpoint in turn (blocking, no timeout yet), prints one table row each and
/// returns the exit status: 0 when every endpoint connected, 1 when any did not.
[[nodiscard]] int probe(std::span<const endpoint> endpoints);

}  // namespace dial::cli
