// tools/dial/pipe.hpp: `dial pipe TARGET`: standard input to a connection, the connection to
// standard output (the nc / socat use).
#pragma once

#include <span>

namespace dial::cli {

/// `dial pipe` with its arguments (after "pipe"); returns the exit status: 0 when the connect
/// succeeded and the relay ended cleanly, 1 for the connect's failure or the relay's first error,
/// 2 for a usage error, 130 when interrupted.
[[nodiscard]] int pipe_main(std::span<char* const> args);

}  // namespace dial::cli
