// tools/dial/fault_unavailable.cpp: `dial fault` where dial::testing is not built (not Linux, or
// no libseccomp): it says so.
#include <fmt/core.h>

#include "fault.hpp"

namespace dial::cli {

int fault_main(std::span<char* const>) {
  fmt::print(stderr,
             "dial fault: not available in this build: it needs Linux and libseccomp "
             "(Debian libseccomp-dev, DIAL_WITH_SECCOMP)\n");
  return 125;
}

}  // namespace dial::cli
