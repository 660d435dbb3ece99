// tools/dial/why.hpp: `dial why TARGET`: why can't this host connect?
#pragma once

#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "dial/dialer.hpp"
#include "route.hpp"

namespace dial::cli {

/// What an outcome means and what to do about it.
struct explanation {
  std::string meaning;  ///< "the host answered the SYN with a reset: nothing listens ..."
  std::string advice;   ///< "start the service, or check the port number"
};

/// Explains one attempt's outcome (Connected or a name of connect_to_host's closed set, as
/// dial::name spells it) from its native code, how long it took and the route the kernel chose
/// (nullptr: unknown). Every name of the set has its own text; `target` is what was connected to
/// ("127.0.0.1:8080", "unix:/run/x.sock").
[[nodiscard]] explanation explain(std::string_view name, int native,
                                  std::optional<std::chrono::nanoseconds> elapsed,
                                  const route_answer* route, const address& target);

/// Explains a connect option (or the source address) the kernel refused before any connect:
/// `name` is setsockopt's or bind's name for it, `what` the option as `dial why` shows it
/// ("mark 0x7 (SO_MARK)", "source 192.0.2.1:0").
[[nodiscard]] explanation explain_refusal(std::string_view name, int native, std::string_view what);

/// Explains a resolution that gave no address (UnknownHostName, ...). `servers` names who was
/// asked ("127.0.0.1:53"; empty: the hosts file or the system resolver).
[[nodiscard]] explanation explain_resolution(std::string_view name, std::string_view host,
                                             std::string_view servers);

/// Explains the outcome of a proxy hop (Connected or connect_to_host's name, as the hop's
/// report holds it): what the proxy's reply means and what to do.
[[nodiscard]] explanation explain_proxy(std::string_view name, const dial::proxy_report& hop);

/// `dial why` with its arguments (after "why"); returns the exit status: 0 when an address
/// connected, 1 when none did, 2 for a usage error.
[[nodiscard]] int why_main(std::span<char* const> args);

}  // namespace dial::cli
