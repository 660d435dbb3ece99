// src/posix/socket_owner_os.cpp: the POSIX answers to src/common/socket_owner_os.hpp.
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>

#include "common/native.hpp"
#include "common/socket_owner_os.hpp"

namespace dial::detail {

int owner_socket_type(socket_type type, bool non_blocking) noexcept {
  int t = type == socket_type::datagram ? SOCK_DGRAM : SOCK_STREAM;
#ifdef SOCK_NONBLOCK
  if (non_blocking) t |= SOCK_NONBLOCK;
#endif
  return t;
}

bool owner_set_non_blocking([[maybe_unused]] socket_t s) noexcept {
#ifdef SOCK_NONBLOCK
  return true;  // socket() did it
#else
  // macOS: no SOCK_NONBLOCK.
  const int flags = ::fcntl(s, F_GETFL);
  if (flags >= 0 && ::fcntl(s, F_SETFL, flags | O_NONBLOCK) == 0) return true;
  record_native(errno);
  return false;
#endif
}

bool owner_attempt_in_progress(int native_code) noexcept { return native_code == EINPROGRESS; }

void owner_defer_source_port([[maybe_unused]] socket_t s) noexcept {
#ifdef IP_BIND_ADDRESS_NO_PORT
  // Linux 4.2+; an older kernel answers ENOPROTOOPT and binds the port at once, still correct.
  const int one = 1;
  (void)::setsockopt(s, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
#endif
}

bool owner_prepare_listener(socket_t s) noexcept {
  const int one = 1;
  return bool(dial::setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one));
}

}  // namespace dial::detail
