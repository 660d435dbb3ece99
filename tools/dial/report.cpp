// tools/dial/report.cpp: timing a connect, naming its raw code, printing the table.
#include "report.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include <fmt/core.h>

#include "color.hpp"
#include "platform.hpp"

namespace dial::cli {
namespace {

using std::chrono::nanoseconds;

constexpr std::string_view connected_word = "Connected";
constexpr std::size_t code_width = 20;  // "EPROTONOSUPPORT (93)"
constexpr std::size_t time_width = 9;   // "120.003 s"

// The widest name an outcome can have: every name of the one list, and the success word.
std::size_t widest_outcome() {
  std::size_t w = connected_word.size();
  for (int i = 1; i < 256; ++i) {
    const std::string_view n = dial::name(static_cast<error_id>(i));
    if (n.empty()) break;  // ids are dense: the first gap ends the list
    w = std::max(w, n.size());
  }
  return w;
}

int first_flush_error = 0;  // set once, by the main thread (rows and headers are printed there)

}  // namespace

void flush_output() noexcept {
  errno = 0;
  if (std::fflush(stdout) != 0 && first_flush_error == 0)
    first_flush_error = errno != 0 ? errno : EIO;
}

int flush_error() noexcept { return first_flush_error; }

outcome timed_connect(socket_t s, const sockaddr* addr, socklen_t len) noexcept {
  const auto start = std::chrono::steady_clock::now();
  const auto r = dial::connect(s, addr, len);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  if (r) return {true, connected_word, 0, elapsed};
  // Read the raw code right away: a later dial call may replace it.
  return {false, dial::name(r.error()), dial::last_native_error(), elapsed};
}

outcome socket_failed(socket_error e) noexcept {
  return {false, dial::name(e), dial::last_native_error(), std::nullopt};
}

std::string code_text(int native, std::string_view name) {
  if (native == 0) return "-";
  if (!name.empty()) return fmt::format("{} ({})", name, native);
  const char* n = native_code_name(native);
  return fmt::format("{} ({})", n != nullptr ? n : "?", native);
}

std::string time_text(std::optional<nanoseconds> t) {
  if (!t) return "-";
  const double us = static_cast<double>(t->count()) / 1e3;
  if (us < 10) return fmt::format("{:.1f} µs", us);
  if (us < 1e3) return fmt::format("{:.0f} µs", us);
  if (us < 1e6) return fmt::format("{:.2f} ms", us / 1e3);
  return fmt::format("{:.3f} s", us / 1e6);
}

table::table(std::span<const std::string> targets, bool with_note, std::size_t peer_width)
    : target_width_(std::string_view("TARGET").size()),
      outcome_width_(widest_outcome()),
      with_note_(with_note),
      peer_width_(peer_width) {
  for (const auto& t : targets) target_width_ = std::max(target_width_, t.size());
}

std::string table::peer_cell(std::string_view peer) const {
  if (peer_width_ == 0) return {};
  return fmt::format("{:<{}}  ", peer.empty() ? "-" : peer, peer_width_);
}

void table::header() const {
  fmt::print("{:<{}}  {}{:<{}}  {:<{}}  {:>{}}{}\n", "TARGET", target_width_, peer_cell("PEER"),
             "OUTCOME", outcome_width_, "CODE", code_width, "TIME", time_width,
             with_note_ ? "  NOTE" : "");
  flush_output();
}

void table::print(const row& r) const {
  const std::string note = with_note_ && !r.note.empty() ? "  " + r.note : "";
  fmt::print("{:<{}}  {}{}  {:<{}}  {:>{}}{}\n", r.target, target_width_, peer_cell(r.peer),
             paint_outcome(r.result.name, outcome_width_),
             code_text(r.result.native, r.result.native_name), code_width,
             time_text(r.result.elapsed), time_width, note);
  flush_output();  // a probe can take seconds: show each line when it is known
}

}  // namespace dial::cli
