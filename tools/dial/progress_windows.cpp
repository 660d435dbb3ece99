// tools/dial/progress_windows.cpp: the scan monitor on Windows: Ctrl-C through a console control
// handler, the bar.
#include <cstdio>
#include <cstdlib>

#include <fmt/core.h>

#include "platform.hpp"
#include "progress.hpp"

namespace dial::cli {
namespace {

// Set by the console control handler (Ctrl-C, Ctrl-Break, the console closing) and by finish();
// the monitor waits on it. Auto-reset: one wake-up per event.
HANDLE wake_event() {
  static const HANDLE e = ::CreateEventW(nullptr, FALSE, FALSE, nullptr);
  return e;
}

// Runs on a thread of its own that Windows starts for the event.
BOOL WINAPI on_console_event(DWORD type) {
  if (type != CTRL_C_EVENT && type != CTRL_BREAK_EVENT && type != CTRL_CLOSE_EVENT) return FALSE;
  ::SetEvent(wake_event());
  return TRUE;  // handled: the process is not ended (the monitor stops the scan)
}

std::size_t terminal_width() {
  CONSOLE_SCREEN_BUFFER_INFO info{};
  if (::GetConsoleScreenBufferInfo(::GetStdHandle(STD_ERROR_HANDLE), &info)) {
    const int w = info.srWindow.Right - info.srWindow.Left + 1;
    if (w > 0) return static_cast<std::size_t>(w);
  }
  return 80;
}

}  // namespace

// Windows has no signal masks: Ctrl-C reaches on_console_event, never a worker thread.
void block_stop_signals() noexcept {}

scan_monitor::scan_monitor(std::size_t total, bool draw, std::stop_source stop,
                           const std::atomic<std::size_t>& done)
    : total_(total),
      draw_(draw),
      stop_(std::move(stop)),
      done_(done),
      start_(std::chrono::steady_clock::now()),
      thread_([this](std::stop_token quit) { run(std::move(quit)); }) {
  ::SetConsoleCtrlHandler(on_console_event, TRUE);
}

scan_monitor::~scan_monitor() { finish(); }

void scan_monitor::finish() {
  if (!thread_.joinable()) return;
  thread_.request_stop();
  ::SetEvent(wake_event());  // wake the monitor now rather than at its next tick
  thread_.join();
  ::SetConsoleCtrlHandler(on_console_event, FALSE);
  if (!draw_) return;
  draw();                          // the last state, even for a scan shorter than one tick
  std::fputs("\r\033[K", stderr);  // then erase it: what follows starts on a clean line
  std::fflush(stderr);
}

void scan_monitor::run(std::stop_token quit) {
  while (!quit.stop_requested()) {
    // 100 ms: the bar's refresh (finish() and Ctrl-C wake it at once).
    if (::WaitForSingleObject(wake_event(), 100) == WAIT_OBJECT_0) {
      if (quit.stop_requested()) break;                  // finish() woke it: the scan is over
      if (interrupted_.exchange(true)) std::_Exit(130);  // a second Ctrl-C: the user insists
      stop_.request_stop();
    }
    if (draw_) draw();
  }
}

void scan_monitor::draw() const {
  const auto line = progress_line(done_.load(std::memory_order_relaxed), total_,
                                  std::chrono::steady_clock::now() - start_, terminal_width() - 1);
  std::fputs(fmt::format("\r{}\033[K", line).c_str(), stderr);
  std::fflush(stderr);
}

}  // namespace dial::cli
