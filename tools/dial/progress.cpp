// tools/dial/progress.cpp: the scan monitor on POSIX: signals through sigtimedwait, the bar.
#include "progress.hpp"

#include <signal.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include <fmt/core.h>

namespace dial::cli {
namespace {

sigset_t stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

std::size_t terminal_width() {
  winsize ws{};
  if (::ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  return 80;
}

}  // namespace

void block_stop_signals() noexcept {
  const sigset_t set = stop_signals();
  ::pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

scan_monitor::scan_monitor(std::size_t total, bool draw, std::stop_source stop,
                           const std::atomic<std::size_t>& done)
    : total_(total),
      draw_(draw),
      stop_(std::move(stop)),
      done_(done),
      start_(std::chrono::steady_clock::now()),
      thread_([this](std::stop_token quit) { run(std::move(quit)); }) {}

scan_monitor::~scan_monitor() { finish(); }

void scan_monitor::finish() {
  if (!thread_.joinable()) return;
  thread_.request_stop();
  // Wake the monitor now rather than at its next tick: one of the signals it waits for, which
  // it takes for the end once the stop is requested. (Every thread blocks them, so this one is
  // queued for the monitor and reaches nothing else.)
  ::pthread_kill(thread_.native_handle(), SIGINT);
  thread_.join();
  if (!draw_) return;
  draw();                          // the last state, even for a scan shorter than one tick
  std::fputs("\r\033[K", stderr);  // then erase it: what follows starts on a clean line
  std::fflush(stderr);
}

void scan_monitor::run(std::stop_token quit) {
  const sigset_t set = stop_signals();
  const timespec tick{0, 100'000'000};  // 100 ms: the bar's refresh (finish() wakes it at once)
  while (!quit.stop_requested()) {
    if (::sigtimedwait(&set, nullptr, &tick) > 0) {
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
