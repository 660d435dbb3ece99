// tools/dial/connect_flags.cpp: parsing and describing the connect flags.
#include "connect_flags.hpp"

#include <charconv>
#include <chrono>

#include <fmt/core.h>

#include "host_probe.hpp"  // parse_duration

namespace dial::cli {
namespace {

using std::chrono::ceil;
using std::chrono::milliseconds;
using std::chrono::seconds;

bool takes_value(std::string_view flag) {
  return flag == "--interface" || flag == "--source" || flag == "--mark" ||
         flag == "--user-timeout" || flag == "--keepalive";
}

bool is_switch(std::string_view flag) {
  return flag == "--fastopen" || flag == "--mptcp" || flag == "--nodelay";
}

std::expected<void, std::string> apply_value(connect_flags& f, std::string_view flag,
                                             std::string_view value) {
  if (flag == "--interface") {
    if (value.empty())
      return std::unexpected(
          describe("interface", value, {"EmptyInput", 0, "the interface name is empty"}));
    f.socket.interface_name = std::string(value);
  } else if (flag == "--source") {
    auto a = parse_source(value);
    if (!a) return std::unexpected(describe("source address", value, a.error()));
    f.source = *a;
  } else if (flag == "--mark") {
    auto m = parse_mark(value);
    if (!m) return std::unexpected(describe("mark", value, m.error()));
    f.socket.mark = *m;
  } else {
    auto d = parse_duration(value);
    if (!d) return std::unexpected(describe("duration", value, d.error()));
    if (flag == "--user-timeout") {
      f.socket.user_timeout = ceil<milliseconds>(*d);
    } else {
      const auto s = std::max(seconds(1), ceil<seconds>(*d));  // the kernel counts seconds
      f.socket.keepalive = dial::keepalive_options{s, s, 9};
    }
  }
  return {};
}

}  // namespace

std::expected<bool, std::string> take_connect_flag(connect_flags& f, std::span<char* const> args,
                                                   std::size_t& i) {
  const std::string_view a = args[i];
  const auto eq = a.find('=');
  const std::string_view flag = a.substr(0, eq);
  if (is_switch(a)) {
    if (a == "--fastopen") f.socket.fast_open = true;
    if (a == "--mptcp") f.socket.multipath = true;
    if (a == "--nodelay") f.socket.no_delay = true;
    f.given.emplace_back(a);
    return true;
  }
  if (!takes_value(flag)) return false;
  if (eq == std::string_view::npos && i + 1 == args.size())
    return std::unexpected(fmt::format("{} needs a value", flag));
  const std::string_view value = eq == std::string_view::npos ? args[++i] : a.substr(eq + 1);
  if (auto ok = apply_value(f, flag, value); !ok) return std::unexpected(ok.error());
  f.given.emplace_back(flag);
  return true;
}

std::expected<dial::address, parse_problem> parse_source(std::string_view text) {
  if (text.empty()) return std::unexpected(parse_problem{"EmptyInput", 0, "empty address"});
  std::string full(text);
  const auto colons = std::count(text.begin(), text.end(), ':');
  if (text.front() == '[') {
    if (text.back() == ']') full += ":0";  // [v6addr]: no port
  } else if (colons > 1) {
    full = "[" + full + "]:0";  // a bare IPv6 address
  } else if (colons == 0) {
    full += ":0";  // a.b.c.d
  }
  const std::size_t shift = full.front() == '[' && text.front() != '[' ? 1 : 0;
  auto a = dial::address::parse(full);
  if (!a) {
    const auto id = dial::id(a.error().error);
    const std::size_t at = a.error().offset >= shift ? a.error().offset - shift : 0;
    return std::unexpected(parse_problem{dial::name(id), std::min(at, text.size()),
                                         std::string(dial::message(id)),
                                         "as in 192.0.2.1, 192.0.2.1:5000, ::1 or [::1]:5000"});
  }
  if (!a->is_ip())
    return std::unexpected(
        parse_problem{"UnknownForm", 0, "a source is an IPv4 or IPv6 address", "as in 192.0.2.1"});
  return *a;
}

std::expected<std::uint32_t, parse_problem> parse_mark(std::string_view text) {
  const bool hex = text.starts_with("0x") || text.starts_with("0X");
  const std::string_view digits = hex ? text.substr(2) : text;
  std::uint32_t v = 0;
  const auto [end, ec] =
      std::from_chars(digits.data(), digits.data() + digits.size(), v, hex ? 16 : 10);
  const std::size_t at = static_cast<std::size_t>(end - text.data());
  if (digits.empty() || (ec == std::errc{} && end != digits.data() + digits.size()) ||
      ec == std::errc::invalid_argument)
    return std::unexpected(parse_problem{"InvalidNumber", digits.empty() ? text.size() : at,
                                         "a mark is a number",
                                         "decimal or 0x hex, as in 7 or 0x10"});
  if (ec == std::errc::result_out_of_range)
    return std::unexpected(
        parse_problem{"NumberOutOfRange", 0, "a mark is at most 4294967295 (0xffffffff)"});
  return v;
}

std::string options_text(const connect_flags& f) {
  std::vector<std::string> parts;
  const auto& o = f.socket;
  if (!o.interface_name.empty()) parts.push_back(fmt::format("interface {}", o.interface_name));
  if (f.source) parts.push_back(fmt::format("source {}", f.source->to_string()));
  if (o.mark) parts.push_back(fmt::format("mark {:#x}", *o.mark));
  if (o.user_timeout) parts.push_back(fmt::format("user timeout {} ms", o.user_timeout->count()));
  if (o.keepalive) parts.push_back(fmt::format("keepalive {} s", o.keepalive->idle.count()));
  if (o.no_delay) parts.emplace_back("nodelay");
  if (o.fast_open) parts.emplace_back("fast open");
  if (o.multipath) parts.emplace_back("MPTCP");
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : ", ") + p;
  return out;
}

std::vector<std::pair<std::string, dial::socket_options>> each_option(
    const dial::socket_options& o) {
  std::vector<std::pair<std::string, dial::socket_options>> out;
  const auto add = [&out](std::string label, auto set) {
    dial::socket_options one;
    set(one);
    out.emplace_back(std::move(label), std::move(one));
  };
  if (!o.interface_name.empty())
    add(fmt::format("interface {} (SO_BINDTODEVICE)", o.interface_name),
        [&](auto& x) { x.interface_name = o.interface_name; });
  if (o.mark) add(fmt::format("mark {:#x} (SO_MARK)", *o.mark), [&](auto& x) { x.mark = o.mark; });
  if (o.user_timeout)
    add(fmt::format("user timeout {} ms (TCP_USER_TIMEOUT)", o.user_timeout->count()),
        [&](auto& x) { x.user_timeout = o.user_timeout; });
  if (o.keepalive)
    add(fmt::format("keepalive {} s (SO_KEEPALIVE)", o.keepalive->idle.count()),
        [&](auto& x) { x.keepalive = o.keepalive; });
  if (o.no_delay) add("nodelay (TCP_NODELAY)", [](auto& x) { x.no_delay = true; });
  if (o.send_buffer) add("send buffer", [&](auto& x) { x.send_buffer = o.send_buffer; });
  if (o.receive_buffer)
    add("receive buffer", [&](auto& x) { x.receive_buffer = o.receive_buffer; });
  if (o.fast_open) add("fast open (TCP_FASTOPEN_CONNECT)", [](auto& x) { x.fast_open = true; });
  return out;
}

}  // namespace dial::cli
