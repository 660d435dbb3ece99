// tools/dial/endpoint.cpp: command-line endpoints, parsed by the library's dial::address.
#include "endpoint.hpp"

#include <fmt/core.h>

namespace dial::cli {

std::expected<endpoint, std::string> parse_endpoint(std::string_view text) {
  if (text.empty()) return std::unexpected(std::string("the endpoint is empty"));
  auto a = dial::address::parse(text);
  if (!a) {
    // "malformed IPv4 address (InvalidIpv4 at byte 4)": what, the name and where.
    const auto id = dial::id(a.error().error);
    return std::unexpected(
        fmt::format("{} ({} at byte {})", dial::message(id), dial::name(id), a.error().offset));
  }
  if (a->is_ip() && a->port() == 0)
    return std::unexpected(std::string("port 0 cannot be connected to; give a port 1-65535"));
  endpoint e{std::string(text), a->family(), {}, 0, *a};
  e.length = a->to_native(e.storage);
  return e;
}

}  // namespace dial::cli
