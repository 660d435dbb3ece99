// tools/dial/color_posix.cpp: a terminal on Linux, BSD and macOS takes ANSI escapes.
#include <unistd.h>

#include "color.hpp"

namespace dial::cli {

bool stdout_takes_ansi() noexcept { return ::isatty(STDOUT_FILENO) == 1; }

}  // namespace dial::cli
