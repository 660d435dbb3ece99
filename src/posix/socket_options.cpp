// src/posix/socket_options.cpp: apply_socket_options on POSIX systems (Linux's options where the
// system has them; the others are OperationNotSupported).
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cerrno>
#include <climits>

#include "common/native.hpp"
#include "dial/socket.hpp"

namespace dial {
namespace {

using result = std::expected<void, setsockopt_error>;

result set_int(socket_t s, int level, int name, int value) noexcept {
  return dial::setsockopt(s, level, name, &value, sizeof value);
}

// A failure decided here, not by the kernel: its name, and the errno it stands for.
result refuse(setsockopt_error e, int code) noexcept {
  detail::record_native(code);
  return std::unexpected(e);
}

int seconds(std::chrono::seconds s) noexcept {
  return s.count() < 0 || s.count() > INT_MAX ? -1 : static_cast<int>(s.count());
}

}  // namespace

std::expected<void, setsockopt_error> apply_socket_options(socket_t s, int family,
                                                           const socket_options& o) noexcept {
  (void)family;  // every option below is set at SOL_SOCKET or IPPROTO_TCP, whatever the family
  if (!o.interface_name.empty()) {
#ifdef SO_BINDTODEVICE
    // The name with its NUL; ENODEV (UnknownInterface) when no interface has it.
    if (o.interface_name.size() >= IFNAMSIZ) return refuse(setsockopt_error::unknown_interface, ENODEV);
    if (auto r = dial::setsockopt(s, SOL_SOCKET, SO_BINDTODEVICE, o.interface_name.c_str(),
                                  static_cast<socklen_t>(o.interface_name.size() + 1));
        !r)
      return r;
#else
    return refuse(setsockopt_error::operation_not_supported, EOPNOTSUPP);
#endif
  }
  if (o.mark) {
#ifdef SO_MARK
    const auto mark = static_cast<int>(*o.mark);  // the kernel reads the bits as a u32
    if (auto r = set_int(s, SOL_SOCKET, SO_MARK, mark); !r) return r;
#else
    return refuse(setsockopt_error::operation_not_supported, EOPNOTSUPP);
#endif
  }
  if (o.user_timeout) {
#ifdef TCP_USER_TIMEOUT
    const auto ms = o.user_timeout->count();
    if (ms < 0 || ms > INT_MAX) return refuse(setsockopt_error::invalid_option, EINVAL);
    if (auto r = set_int(s, IPPROTO_TCP, TCP_USER_TIMEOUT, static_cast<int>(ms)); !r) return r;
#else
    return refuse(setsockopt_error::operation_not_supported, EOPNOTSUPP);
#endif
  }
  if (o.keepalive) {
    if (auto r = set_int(s, SOL_SOCKET, SO_KEEPALIVE, 1); !r) return r;
#if defined(TCP_KEEPIDLE) && defined(TCP_KEEPINTVL) && defined(TCP_KEEPCNT)
    const int idle = seconds(o.keepalive->idle), interval = seconds(o.keepalive->interval);
    if (idle < 0 || interval < 0) return refuse(setsockopt_error::invalid_option, EINVAL);
    if (auto r = set_int(s, IPPROTO_TCP, TCP_KEEPIDLE, idle); !r) return r;
    if (auto r = set_int(s, IPPROTO_TCP, TCP_KEEPINTVL, interval); !r) return r;
    if (auto r = set_int(s, IPPROTO_TCP, TCP_KEEPCNT, o.keepalive->count); !r) return r;
#else
    return refuse(setsockopt_error::operation_not_supported, EOPNOTSUPP);
#endif
  }
  if (o.no_delay)
    if (auto r = set_int(s, IPPROTO_TCP, TCP_NODELAY, 1); !r) return r;
  if (o.send_buffer) {
    if (*o.send_buffer <= 0) return refuse(setsockopt_error::invalid_option, EINVAL);
    if (auto r = set_int(s, SOL_SOCKET, SO_SNDBUF, *o.send_buffer); !r) return r;
  }
  if (o.receive_buffer) {
    if (*o.receive_buffer <= 0) return refuse(setsockopt_error::invalid_option, EINVAL);
    if (auto r = set_int(s, SOL_SOCKET, SO_RCVBUF, *o.receive_buffer); !r) return r;
  }
  return {};
}

}  // namespace dial
