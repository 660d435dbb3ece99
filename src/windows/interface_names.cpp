// src/windows/interface_names.cpp: interface name <-> index on Windows (iphlpapi's
// if_nametoindex and if_indextoname).
#include "windows/winsock.hpp"
// winsock.hpp first: these need winsock2.h before them.
#include <iphlpapi.h>
#include <ws2tcpip.h>

#include <cstring>

#include "common/interface_names.hpp"

namespace dial {

namespace detail {

// Windows' interface names (NDIS names such as "loopback_0" or "ethernet_32768") may be up to
// IF_NAMESIZE (256) bytes long; dial's text form keeps Linux's limit of 15, so a longer name is
// neither parsed nor printed (the scope is then printed as its number).
std::uint32_t interface_index(std::string_view name) noexcept {
  char z[interface_name_capacity] = {};
  if (name.empty() || name.size() >= sizeof z) return 0;
  std::memcpy(z, name.data(), name.size());
  return ::if_nametoindex(z);
}

std::size_t interface_name(std::uint32_t index, char (&out)[interface_name_capacity]) noexcept {
  char found[IF_MAX_STRING_SIZE + 1] = {};  // IF_NAMESIZE, whose header mingw does not include
  if (::if_indextoname(index, found) == nullptr) return 0;
  const std::size_t n = ::strnlen(found, sizeof found);
  if (n == 0 || n >= interface_name_capacity) return 0;
  std::memcpy(out, found, n + 1);
  return n;
}

}  // namespace detail
}  // namespace dial
