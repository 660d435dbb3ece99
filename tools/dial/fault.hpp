// tools/dial/fault.hpp: `dial fault RULE... -- COMMAND`: deterministic connect faults for any
// program, without root (docs/fault.md).
#pragma once

#include <span>

namespace dial::cli {

/// `dial fault` with its arguments (after "fault"); returns COMMAND's exit status (128 + signal
/// when a signal ended it, 126/127 when it could not be run), 2 for a usage error, 125 when the
/// connects cannot be intercepted here (the kernel or a policy refuses the filter).
[[nodiscard]] int fault_main(std::span<char* const> args);

}  // namespace dial::cli
