// tools/dial/services.cpp: /etc/services read once into a port-indexed table of TCP names.
#include "services.hpp"

#include <array>
#include <charconv>
#include <cstdio>
#include <map>
#include <memory>
#include <new>
#include <string>

#include "platform.hpp"

namespace dial::cli {
namespace {

constexpr const char* services_path = "/etc/services";
constexpr std::size_t max_services_lines = 1 << 16;  // Debian's file has about 600

// "ssh  22/tcp  # SSH Remote Login Protocol": the name and, for a TCP line, its port (else 0).
std::pair<std::string_view, unsigned> parse_line(std::string_view line) {
  line = line.substr(0, line.find('#'));
  const auto name_end = line.find_first_of(" \t");
  if (name_end == 0 || name_end == std::string_view::npos) return {};
  const auto port_at = line.find_first_not_of(" \t", name_end);
  if (port_at == std::string_view::npos) return {};
  const std::string_view rest = line.substr(port_at);
  unsigned port = 0;
  const auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), port);
  const std::string_view proto(end, static_cast<std::size_t>(rest.data() + rest.size() - end));
  if (ec != std::errc{} || port > 65535 || !proto.starts_with("/tcp")) return {};
  if (proto.size() > 4 && proto[4] != ' ' && proto[4] != '\t' && proto[4] != '\n') return {};
  return {line.substr(0, name_end), port};
}

// Port -> name, the first line of a port winning (as getservbyport answers).
struct service_table {
  std::map<std::uint16_t, std::string> names;

  service_table() {
    const std::unique_ptr<std::FILE, int (*)(std::FILE*)> in(
        std::fopen(services_path, read_mode_no_inherit), &std::fclose);
    if (!in) return;
    std::array<char, 512> buf{};
    for (std::size_t n = 0; n < max_services_lines && std::fgets(buf.data(), buf.size(), in.get());
         ++n) {
      const auto [name, port] = parse_line(buf.data());
      if (port != 0) names.emplace(static_cast<std::uint16_t>(port), name);
    }
  }
};

}  // namespace

std::string_view tcp_service_name(std::uint16_t port) noexcept {
  try {
    static const service_table table;
    const auto it = table.names.find(port);
    return it == table.names.end() ? std::string_view{} : std::string_view(it->second);
  } catch (const std::bad_alloc&) {  // no names then: the scan goes on without them
    return {};
  }
}

}  // namespace dial::cli
