// tools/dial/scan.hpp: `dial scan`, many connects at once through dial::engine.
#pragma once

#include <span>

namespace dial::cli {

/// Runs `dial scan` with the arguments after the word "scan" and returns the exit status: 0 when
/// at least one target was open (connected), 1 when none was, 2 for a usage error or an engine
/// that could not start. `dial scan --help` documents the rest.
[[nodiscard]] int scan_main(std::span<char* const> args);

}  // namespace dial::cli
