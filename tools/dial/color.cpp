// tools/dial/color.cpp: the one place that decides about colour and writes ANSI escapes.
#include "color.hpp"

#include <cstdlib>

#include <fmt/core.h>

namespace dial::cli {
namespace {

bool g_color = false;  // set once by set_color_mode, before any output

constexpr std::string_view green = "\x1b[32m", yellow = "\x1b[33m", red = "\x1b[31m",
                           reset = "\x1b[0m";

std::string_view escape_for(std::string_view outcome) noexcept {
  if (outcome == "Connected") return green;
  if (outcome == "Timeout" || outcome == "ConnectionTimedOut") return yellow;
  if (outcome.empty() || outcome == "Skipped" || outcome == "Canceled") return {};  // no answer
  return red;
}

bool env_set(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0';
}

}  // namespace

std::optional<color_mode> parse_color_mode(std::string_view when) noexcept {
  if (when == "auto") return color_mode::automatic;
  if (when == "always") return color_mode::always;
  if (when == "never") return color_mode::never;
  return std::nullopt;
}

void set_color_mode(color_mode m) noexcept {
  if (m != color_mode::automatic) {
    g_color = m == color_mode::always;
    return;
  }
  const char* term = std::getenv("TERM");
  g_color = !env_set("NO_COLOR") && (term == nullptr || std::string_view(term) != "dumb") &&
            stdout_takes_ansi();
}

bool color_enabled() noexcept { return g_color; }

std::string paint_as(std::string_view outcome, std::string_view text, std::size_t width) {
  const std::string pad(width > text.size() ? width - text.size() : 0, ' ');
  const std::string_view on = g_color ? escape_for(outcome) : std::string_view{};
  if (on.empty()) return fmt::format("{}{}", text, pad);
  return fmt::format("{}{}{}{}", on, text, reset, pad);
}

std::string paint_outcome(std::string_view name, std::size_t width) {
  return paint_as(name, name, width);
}

std::optional<std::string> take_color_option(int& argc, char** argv) {
  color_mode mode = color_mode::automatic;
  int out = 1;
  bool options_done = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--") options_done = true;
    if (!options_done && (a == "--color" || a.starts_with("--color="))) {
      const auto m =
          a == "--color" ? std::optional(color_mode::always) : parse_color_mode(a.substr(8));
      if (!m) return fmt::format("bad --color '{}': auto, always or never", a.substr(8));
      mode = *m;
      continue;
    }
    argv[out++] = argv[i];
  }
  argc = out;
  argv[argc] = nullptr;
  set_color_mode(mode);
  return std::nullopt;
}

}  // namespace dial::cli
