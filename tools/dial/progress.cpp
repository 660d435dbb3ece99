// tools/dial/progress.cpp: signals through sigtimedwait, and the progress bar.
#include "progress.hpp"

#include <signal.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
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

// "45.1k/s"
std::string rate_text(double per_s) {
  if (per_s >= 1e6) return fmt::format("{:.2f}M/s", per_s / 1e6);
  if (per_s >= 1e3) return fmt::format("{:.1f}k/s", per_s / 1e3);
  return fmt::format("{:.0f}/s", per_s);
}

// "1.2 s", "3m05s"
std::string eta_text(double seconds) {
  if (seconds < 60) return fmt::format("{:.1f} s", seconds);
  const auto s = static_cast<long>(seconds);
  return fmt::format("{}m{:02}s", s / 60, s % 60);
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

std::string progress_line(std::size_t done, std::size_t total, std::chrono::nanoseconds elapsed,
                          std::size_t width) {
  const double fraction = total == 0 ? 1.0 : static_cast<double>(done) / static_cast<double>(total);
  const double seconds = std::max(1e-9, static_cast<double>(elapsed.count()) / 1e9);
  const double rate = static_cast<double>(done) / seconds;
  const std::string eta =
      done == 0 ? "-" : eta_text(static_cast<double>(total - done) / std::max(rate, 1e-9));
  std::string tail = fmt::format("  {}/{}  {:3.0f}%  {}  ETA {}", done, total, fraction * 100,
                                 rate_text(rate), eta);
  // The bar takes what is left of the line, up to 50 cells; with fewer than 10 there is none,
  // and a tail that does not fit either is cut: a line wider than the terminal would wrap, and
  // each redraw ("\r" then the line) would add a line instead of replacing one.
  if (width < tail.size() + 12) {
    tail.erase(0, 2);
    if (tail.size() > width) tail.resize(width);
    return tail;
  }
  const std::size_t cells = std::min<std::size_t>(width - tail.size() - 2, 50);
  const auto filled = static_cast<std::size_t>(fraction * static_cast<double>(cells));
  std::string bar(cells, ' ');
  std::fill_n(bar.begin(), filled, '=');
  if (filled < cells) bar[filled] = '>';
  return fmt::format("[{}]{}", bar, tail);
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
