// tools/dial/scan_output.cpp: NDJSON lines (nlohmann-json), the human report and the header.
#include "scan_output.hpp"

#include <algorithm>
#include <cstring>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "color.hpp"
#include "platform.hpp"
#include "report.hpp"
#include "services.hpp"

namespace dial::cli {
namespace {

using json = nlohmann::ordered_json;  // keys in the documented order (docs/scan-json.md)

constexpr std::string_view connected_word = "Connected";
constexpr std::string_view refused_word = "ConnectionRefused";

// The index of an outcome in by_outcome_: 0 for success, else the error's stable id.
std::size_t outcome_index(const engine_result& r) noexcept {
  return r.outcome ? 0 : static_cast<std::size_t>(dial::id(r.outcome.error()));
}

// ConnectionRefused's index, which on_result compares with every result's (a closed port).
const std::size_t refused_index =
    static_cast<std::size_t>(dial::id(engine_connect_error::connection_refused));

// "127.0.0.1" and 22 from 127.0.0.1:22; "::1" from [::1]:22; a Unix address is its own host.
std::string host_text(const address& a) {
  if (!a.is_ip()) return a.to_string();
  std::string t = a.with_port(0).to_string();
  t.resize(t.rfind(':'));
  if (!t.empty() && t.front() == '[') t = t.substr(1, t.size() - 2);
  return t;
}

double seconds(std::chrono::nanoseconds d) { return static_cast<double>(d.count()) / 1e9; }

std::string rate_text(std::size_t n, std::chrono::nanoseconds d) {
  const double per_s = static_cast<double>(n) / std::max(seconds(d), 1e-9);
  return per_s >= 1e3 ? fmt::format("{:.1f}k/s", per_s / 1e3) : fmt::format("{:.0f}/s", per_s);
}

// Room for `more` entries past what `v` holds, taken geometrically: a scan of many chunks with
// many open targets reallocates its lists a few times, not once a chunk.
template <class T>
void grow_for(std::vector<T>& v, std::size_t more) {
  if (v.capacity() - v.size() < more) v.reserve(std::max(v.size() + more, v.capacity() * 2));
}

}  // namespace

std::string_view outcome_name(std::size_t i) noexcept {
  return i == 0 ? connected_word : dial::name(static_cast<error_id>(i));
}

scan_sink::scan_sink(bool json, bool show_closed, std::stop_source stop)
    : json_(json), show_closed_(show_closed), stop_(std::move(stop)) {
  if (json_) (void)tcp_service_name(0);  // /etc/services is read now, not in on_result
}

void scan_sink::begin_chunk(std::uint64_t base, std::size_t size) {
  base_ = base;
  grow_for(open_, size);
  if (!json_) grow_for(not_open_, size);
}

void scan_sink::on_result(const engine_result& r) {
  const std::size_t i = outcome_index(r);
  const std::uint64_t index = base_ + r.index;
  ++by_outcome_[i];
  if (r.self_connect) ++self_connects_;
  if (i == 0) {
    open_.push_back({index, r.elapsed, r.target});  // within the capacity begin_chunk reserved
  } else if (!json_ && (show_closed_ || i != refused_index)) {
    not_open_.push_back({index, static_cast<std::uint8_t>(i), r.target});  // likewise
  }
  if (json_ && !write_failed_) {  // once a write failed, nothing more can be reported
    const char* code_name = r.native_code != 0 ? native_code_name(r.native_code) : nullptr;
    const std::string_view service = r.target.is_ip() ? tcp_service_name(r.target.port()) : "";
    json line = {
        {"type", "result"},
        {"index", index},
        {"target", r.target.to_string()},
        {"host", host_text(r.target)},
        {"port", r.target.is_ip() ? json(r.target.port()) : json(nullptr)},
        {"outcome", outcome_name(i)},
        {"outcome_id", i},
        {"open", i == 0},
        {"code", r.native_code},
        {"code_name", code_name != nullptr ? json(code_name) : json(nullptr)},
        {"time_us", static_cast<double>(r.elapsed.count()) / 1e3},
        {"self_connect", r.self_connect},
        {"service", service.empty() ? json(nullptr) : json(service)},
    };
    const std::string text = line.dump() + '\n';
    std::fwrite(text.data(), 1, text.size(), stdout);
    if (std::ferror(stdout) != 0) {  // main() reports the error at exit
      write_failed_ = true;
      stop_.request_stop();
    }
  }
  done.fetch_add(1, std::memory_order_relaxed);
}

void scan_sink::print_report(const scan_setup& setup, const scan_end& end) {
  std::sort(open_.begin(), open_.end(),
            [](const open_target& a, const open_target& b) { return a.index < b.index; });
  if (open_.empty()) {
    fmt::print("No target is open.\n");
  } else {
    std::size_t width = std::string_view("OPEN").size();
    bool services = false;
    for (const auto& o : open_) {
      const address& t = o.target;
      width = std::max(width, t.format().size());
      services = services || (t.is_ip() && !tcp_service_name(t.port()).empty());
    }
    fmt::print("{:<{}}  {:>9}{}\n", "OPEN", width, "TIME", services ? "  SERVICE" : "");
    for (const auto& o : open_) {
      const address& t = o.target;
      const std::string_view service = t.is_ip() ? tcp_service_name(t.port()) : "";
      fmt::print("{}  {:>9}{}{}\n", paint_as(connected_word, t.format().view(), width),
                 time_text(o.elapsed), service.empty() ? "" : "  ", service);
    }
  }
  print_not_open();
  // Outcomes, most frequent first.
  std::vector<std::size_t> seen;
  for (std::size_t i = 0; i < by_outcome_.size(); ++i)
    if (by_outcome_[i] != 0) seen.push_back(i);
  std::stable_sort(seen.begin(), seen.end(),
                   [&](std::size_t a, std::size_t b) { return by_outcome_[a] > by_outcome_[b]; });
  std::string list;
  for (const auto i : seen)
    list += fmt::format("{}{} {}", list.empty() ? "" : ", ", paint_outcome(outcome_name(i)),
                        by_outcome_[i]);
  fmt::print("Outcomes: {}\n", list.empty() ? "none" : list);
  if (self_connects_ != 0)
    fmt::print("({} loopback self-connects counted as ConnectionRefused)\n", self_connects_);
  if (end.interrupted)
    fmt::print("Interrupted: {} of {} targets have a result; {} were not started.\n", end.results,
               setup.targets, setup.targets - end.results);
  fmt::print("{} of {} targets in {:.3f} s ({}), {} open, back-end {}\n", end.results,
             setup.targets, seconds(end.elapsed), rate_text(end.results, end.elapsed), open_.size(),
             dial::name(setup.backend));
}

void scan_sink::print_not_open() {
  if (not_open_.empty()) return;
  // Ranks: 0 Timeout and the unreachables (no answer: filtered), 1 the others, 2 the refused.
  const auto rank = [](std::uint8_t i) {
    const std::string_view n = outcome_name(i);
    if (n == refused_word) return 2;
    return n == "Timeout" || n.ends_with("Unreachable") ? 0 : 1;
  };
  std::sort(not_open_.begin(), not_open_.end(),
            [&](const listed_target& a, const listed_target& b) {
              const int ra = rank(a.outcome);
              const int rb = rank(b.outcome);
              return ra != rb ? ra < rb : a.index < b.index;
            });
  std::size_t width = std::string_view("NOT OPEN").size();
  for (const auto& t : not_open_) width = std::max(width, t.target.format().size());
  fmt::print("{:<{}}  OUTCOME\n", "NOT OPEN", width);
  for (const auto& t : not_open_)
    fmt::print("{:<{}}  {}\n", t.target.format().view(), width,
               paint_outcome(outcome_name(t.outcome)));
}

void scan_sink::print_json_summary(const scan_setup& setup, const scan_end& end) const {
  json outcomes = json::object();
  for (std::size_t i = 0; i < by_outcome_.size(); ++i)
    if (by_outcome_[i] != 0) outcomes[std::string(outcome_name(i))] = by_outcome_[i];
  const json summary = {
      {"type", "summary"},
      {"backend", dial::name(setup.backend)},
      {"threads", setup.threads},
      {"concurrency", setup.concurrency},
      {"timeout_ms", setup.timeout.count()},
      {"targets", setup.targets},
      {"results", end.results},
      {"not_started", setup.targets - end.results},
      {"open_count", open_.size()},
      {"self_connects", self_connects_},
      {"interrupted", end.interrupted},
      {"elapsed_s", seconds(end.elapsed)},
      {"outcomes", outcomes},
      {"rate", setup.rate},
  };
  fmt::print("{}\n", summary.dump());
}

void print_scan_header(const scan_setup& setup, std::string_view what) {
  fmt::print("dial scan: {}; back-end {}, {} thread{}, {} in flight, timeout {} ms", what,
             dial::name(setup.backend), setup.threads, setup.threads == 1 ? "" : "s",
             setup.concurrency, setup.timeout.count());
  if (setup.rate > 0) fmt::print(", at most {:g} connects/s", setup.rate);
  if (!setup.options.empty()) fmt::print("; options {}", setup.options);
  fmt::print("\n");
  flush_output();
}

}  // namespace dial::cli
