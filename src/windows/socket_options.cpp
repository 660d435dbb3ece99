// src/windows/socket_options.cpp: apply_socket_options on Winsock.
#include "windows/winsock.hpp"  // first: <winsock2.h> before any <windows.h>

#include <mstcpip.h>
#include <ws2ipdef.h>

#include <climits>

#include "common/interface_names.hpp"
#include "common/native.hpp"
#include "dial/socket.hpp"

namespace dial {
namespace {

using result = std::expected<void, setsockopt_error>;

// Windows 10 1709's per-socket keepalive options, older than some mingw-w64 headers.
#ifndef TCP_KEEPIDLE
constexpr int TCP_KEEPIDLE = 3;
#endif
#ifndef TCP_KEEPCNT
constexpr int TCP_KEEPCNT = 16;
#endif
#ifndef TCP_KEEPINTVL
constexpr int TCP_KEEPINTVL = 17;
#endif
#ifndef TCP_MAXRT
constexpr int TCP_MAXRT = 5;
#endif

result set_int(socket_t s, int level, int name, int value) noexcept {
  return dial::setsockopt(s, level, name, &value, sizeof value);
}

result set_dword(socket_t s, int level, int name, DWORD value) noexcept {
  return dial::setsockopt(s, level, name, &value, sizeof value);
}

result refuse(setsockopt_error e, int code) noexcept {
  detail::record_native(code);
  return std::unexpected(e);
}

}  // namespace

std::expected<void, setsockopt_error> apply_socket_options(socket_t s, int family,
                                                           const socket_options& o) noexcept {
  if (!o.interface_name.empty()) {
    // IP_UNICAST_IF takes the index in network byte order, IPV6_UNICAST_IF in host order.
    const std::uint32_t index = detail::interface_index(o.interface_name);
    if (index == 0) return refuse(setsockopt_error::unknown_interface, WSAEINVAL);
    const auto r = family == AF_INET6 ? set_dword(s, IPPROTO_IPV6, IPV6_UNICAST_IF, index)
                                      : set_dword(s, IPPROTO_IP, IP_UNICAST_IF, htonl(index));
    if (!r) return r;
  }
  if (o.mark) return refuse(setsockopt_error::operation_not_supported, WSAEOPNOTSUPP);
  if (o.user_timeout) {
    const auto ms = o.user_timeout->count();
    if (ms < 0 || ms / 1000 > INT_MAX) return refuse(setsockopt_error::invalid_option, WSAEINVAL);
    const auto sec = static_cast<DWORD>((ms + 999) / 1000);  // TCP_MAXRT counts whole seconds
    if (auto r = set_dword(s, IPPROTO_TCP, TCP_MAXRT, sec); !r) return r;
  }
  if (o.keepalive) {
    if (auto r = set_int(s, SOL_SOCKET, SO_KEEPALIVE, 1); !r) return r;
    const auto idle = o.keepalive->idle.count(), interval = o.keepalive->interval.count();
    if (idle < 0 || idle > INT_MAX || interval < 0 || interval > INT_MAX)
      return refuse(setsockopt_error::invalid_option, WSAEINVAL);
    if (auto r = set_int(s, IPPROTO_TCP, TCP_KEEPIDLE, static_cast<int>(idle)); !r) return r;
    if (auto r = set_int(s, IPPROTO_TCP, TCP_KEEPINTVL, static_cast<int>(interval)); !r) return r;
    if (auto r = set_int(s, IPPROTO_TCP, TCP_KEEPCNT, o.keepalive->count); !r) return r;
  }
  if (o.no_delay)
    if (auto r = set_int(s, IPPROTO_TCP, TCP_NODELAY, 1); !r) return r;
  if (o.send_buffer) {
    if (*o.send_buffer <= 0) return refuse(setsockopt_error::invalid_option, WSAEINVAL);
    if (auto r = set_int(s, SOL_SOCKET, SO_SNDBUF, *o.send_buffer); !r) return r;
  }
  if (o.receive_buffer) {
    if (*o.receive_buffer <= 0) return refuse(setsockopt_error::invalid_option, WSAEINVAL);
    if (auto r = set_int(s, SOL_SOCKET, SO_RCVBUF, *o.receive_buffer); !r) return r;
  }
  // o.fast_open: Winsock's TCP_FASTOPEN works with ConnectEx only, not with connect(): a hint
  // not taken (docs/dialer.md, "TCP Fast Open").
  return {};
}

// No MPTCP on Windows: every stream socket is TCP.
std::expected<socket_t, socket_error> open_socket(int family, int type,
                                                  const socket_options&) noexcept {
  return dial::socket(family, type, 0);
}

transport transport_protocol(socket_t) noexcept { return transport::tcp; }

fast_open_state fast_open_status(socket_t) noexcept { return fast_open_state::not_used; }

}  // namespace dial
