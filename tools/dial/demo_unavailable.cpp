// tools/dial/demo_unavailable.cpp: `dial demo` where its fixtures cannot be built (Windows: they
// are POSIX ones: Unix socket paths, fork, signals).
#include <fmt/core.h>

#include "demo.hpp"

namespace dial::cli {

int demo() {
  fmt::print(stderr, "dial demo: not available on this system (its fixtures are POSIX ones)\n");
  return 2;
}

}  // namespace dial::cli
