// src/posix/interface_names.cpp: interface name <-> index on POSIX (if_nametoindex,
// if_indextoname).
#include <net/if.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "common/interface_names.hpp"
#include "dial/sys.hpp"

namespace dial {

static_assert(IF_NAMESIZE == detail::interface_name_capacity);
static_assert(sizeof(::socklen_t) == sizeof(dial::socklen_t));

namespace detail {

std::uint32_t interface_index(std::string_view name) noexcept {
  char z[interface_name_capacity] = {};
  if (name.empty() || name.size() >= sizeof z) return 0;
  std::memcpy(z, name.data(), name.size());
  const int saved = errno;  // a failed lookup is a parse error, not an OS error to report
  const unsigned index = ::if_nametoindex(z);
  errno = saved;
  return index;
}

std::size_t interface_name(std::uint32_t index, char (&out)[interface_name_capacity]) noexcept {
  const int saved = errno;
  const char* r = ::if_indextoname(index, out);
  errno = saved;
  return r == nullptr ? 0 : ::strnlen(out, interface_name_capacity);
}

}  // namespace detail
}  // namespace dial
