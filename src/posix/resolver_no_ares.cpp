// src/posix/resolver_no_ares.cpp: resolver_backend::c_ares in a build without c-ares
// (DIAL_WITH_CARES=OFF, or AUTO without libc-ares-dev).
#include "common/lookup.hpp"

namespace dial::detail {

// As on Windows: the c_ares choice is dial's own hosts file (options.hosts_file, read by
// begin_lookup before this), then getaddrinfo. options.servers has no effect here.
std::expected<std::unique_ptr<lookup>, resolve_error> start_ares_lookup(
    std::string_view host, std::uint16_t port, const resolve_options& options) {
  return start_system_lookup(host, port, options);
}

}  // namespace dial::detail
