// src/posix/transport.cpp: open_socket (MPTCP with its fallback), transport_protocol and
// fast_open_status on POSIX systems; only Linux has MPTCP and Fast Open's TCP_INFO bits.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "dial/socket.hpp"
#include "posix/socket_option_plan.hpp"

namespace dial {
namespace {

#ifdef __linux__
// Linux 5.16's getsockopt(SOL_TCP, TCP_IS_MPTCP): 1 on an MPTCP connection, 0 on TCP (also on an
// MPTCP socket that fell back). Debian 12's headers do not name it yet.
constexpr int tcp_is_mptcp = 43;
constexpr std::uint8_t tcp_syn_sent = 2;  // TCP_SYN_SENT in the kernel's state numbering
#endif

bool is_ip_stream(int family, int type) noexcept {
#ifdef SOCK_NONBLOCK
  type &= ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
#endif
  return (family == AF_INET || family == AF_INET6) && type == SOCK_STREAM;
}

}  // namespace

std::expected<socket_t, socket_error> open_socket(int family, int type,
                                                  const socket_options& options) noexcept {
#ifdef __linux__
  if (options.multipath && is_ip_stream(family, type)) {
    auto s = dial::socket(family, type, detail::ipproto_mptcp);
    // MPTCP disabled (ENOPROTOOPT) or not built in (EPROTONOSUPPORT): TCP instead.
    if (s || s.error() != socket_error::protocol_not_supported) return s;
  }
#else
  (void)options;  // no MPTCP here: every socket is TCP
#endif
  return dial::socket(family, type, 0);
}

transport transport_protocol([[maybe_unused]] socket_t sock) noexcept {
#ifdef __linux__
  int v = 0;
  socklen_t len = sizeof v;
  // A kernel before 5.16 (ENOPROTOOPT), a socket that is not TCP: it cannot say, so TCP.
  if (dial::getsockopt(sock, IPPROTO_TCP, tcp_is_mptcp, &v, &len) && v == 1)
    return transport::mptcp;
#endif
  return transport::tcp;
}

fast_open_state fast_open_status([[maybe_unused]] socket_t sock) noexcept {
#if defined(__linux__) && defined(TCPI_OPT_SYN_DATA)
  tcp_info info{};
  socklen_t len = sizeof info;
  if (!dial::getsockopt(sock, IPPROTO_TCP, TCP_INFO, &info, &len)) return fast_open_state::not_used;
  // connect() succeeded, yet the socket is still in SYN_SENT: the kernel deferred the handshake
  // to the first write (a cached cookie). The client sets TCPI_OPT_SYN_DATA once the peer has
  // acknowledged the SYN's data.
  if (info.tcpi_state == tcp_syn_sent) return fast_open_state::deferred;
  if ((info.tcpi_options & TCPI_OPT_SYN_DATA) != 0) return fast_open_state::data_accepted;
#endif
  return fast_open_state::not_used;
}

}  // namespace dial
