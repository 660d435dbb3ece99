// tools/dial/scan_unavailable.cpp: `dial scan` in a build whose library has no engine yet.
#include <fmt/core.h>

#include "scan.hpp"

namespace dial::cli {

int scan_main(std::span<char* const>) {
  fmt::print(stderr, "dial scan: this build of dial has no engine (src/linux/engine*.cpp)\n");
  return 2;
}

}  // namespace dial::cli
