// tools/dial/demo.hpp: `dial demo`, every outcome dial can show, from fixtures on loopback.
#pragma once

namespace dial::cli {

/// Sets up loopback and Unix-socket fixtures in this process, connects to each, prints one table
/// row per fixture and removes every fixture again. Returns 0 when the demonstration ran (the
/// outcomes are the point, not a verdict), 1 when it could not run or could not clean up.
/// SIGINT, SIGTERM or SIGHUP stop it after the current fixture: the directory is removed, then
/// the process ends by that signal.
[[nodiscard]] int demo();

}  // namespace dial::cli
