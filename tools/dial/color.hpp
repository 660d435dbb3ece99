// tools/dial/color.hpp: outcome names in colour on a terminal (--color=auto|always|never).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace dial::cli {

/// --color's WHEN: auto (the default) colours only a terminal that takes colour.
enum class color_mode { automatic, always, never };

/// "auto", "always" or "never"; none for anything else.
[[nodiscard]] std::optional<color_mode> parse_color_mode(std::string_view when) noexcept;

/// Decides once, for the whole run, whether standard output gets colour: always, never, or for
/// auto: standard output is a terminal that takes ANSI escapes, NO_COLOR is unset or empty
/// (no-color.org) and TERM is not "dumb". --color=always wins over NO_COLOR and TERM.
void set_color_mode(color_mode m) noexcept;

/// Whether set_color_mode turned colour on (off before it is called).
[[nodiscard]] bool color_enabled() noexcept;

/// An outcome name for the tables: in colour when colour is on (green Connected, yellow Timeout
/// and ConnectionTimedOut, red every other error name; Skipped and Canceled stay plain), padded
/// with spaces after the escapes to `width` visible characters, so columns stay aligned.
[[nodiscard]] std::string paint_outcome(std::string_view name, std::size_t width = 0);

/// Any text in the colour of `outcome` (as paint_outcome), padded to `width` after the escapes.
[[nodiscard]] std::string paint_as(std::string_view outcome, std::string_view text,
                                   std::size_t width = 0);

/// True when standard output is a terminal that shows ANSI escapes (per OS: color_posix.cpp,
/// color_windows.cpp).
[[nodiscard]] bool stdout_takes_ansi() noexcept;

/// Applies --color[=WHEN] wherever it is on the command line (before "--") and removes it, so
/// that every command (dial TARGET, scan, why, demo) takes it. A bad WHEN is the usage error's
/// message.
[[nodiscard]] std::optional<std::string> take_color_option(int& argc, char** argv);

}  // namespace dial::cli
