// tools/dial/pipe_unavailable.cpp: `dial pipe` where its relay (poll, splice) is not built.
#include <fmt/core.h>

#include "pipe.hpp"

namespace dial::cli {

int pipe_main(std::span<char* const> /*args*/) {
  fmt::print(stderr, "dial pipe: not available on this platform (it needs Linux's splice)\n");
  return 1;
}

}  // namespace dial::cli
