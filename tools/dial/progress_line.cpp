// tools/dial/progress_line.cpp: the progress bar's text, the same on every OS.
#include <algorithm>
#include <string>

#include <fmt/core.h>

#include "progress.hpp"

namespace dial::cli {
namespace {

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

}  // namespace

std::string progress_line(std::size_t done, std::size_t total, std::chrono::nanoseconds elapsed,
                          std::size_t width) {
  if (total == unknown_total) {
    const double seconds = std::max(1e-9, static_cast<double>(elapsed.count()) / 1e9);
    std::string line =
        fmt::format("{} done  {}", done, rate_text(static_cast<double>(done) / seconds));
    if (line.size() > width) line.resize(width);
    return line;
  }
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

}  // namespace dial::cli
