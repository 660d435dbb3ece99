// tools/dial/scan_unavailable.cpp: `dial scan` where the library has no engine (DIAL_HAS_ENGINE 0).
#include <fmt/core.h>

#include "scan.hpp"

namespace dial::cli {

int scan_main(std::span<char* const>) {
  fmt::print(stderr, "dial scan: this build of dial has no engine (DIAL_HAS_ENGINE is 0)\n");
  return 2;
}

}  // namespace dial::cli
