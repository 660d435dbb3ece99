// tools/dial/color_windows.cpp: a Windows console shows ANSI escapes once virtual terminal
// processing is on (Windows 10 1511 and later); an older console, a file or a pipe gets none.
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>

#include "color.hpp"

namespace dial::cli {

bool stdout_takes_ansi() noexcept {
  const HANDLE out = ::GetStdHandle(STD_OUTPUT_HANDLE);
  DWORD mode = 0;
  if (out == INVALID_HANDLE_VALUE || ::GetConsoleMode(out, &mode) == 0) return false;  // no console
  return ::SetConsoleMode(out, mode | ENABLE_VIRTUAL_TERMINAL_PROCESSING) != 0;
}

}  // namespace dial::cli
