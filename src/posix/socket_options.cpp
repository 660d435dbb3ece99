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
#include "posix/socket_option_plan.hpp"

namespace dial {
namespace detail {
namespace {

using made = std::expected<sockopt_plan, setsockopt_error>;

// A failure decided here, not by the kernel: its name, and the errno it stands for.
std::unexpected<setsockopt_error> refuse(setsockopt_error e, int code) noexcept {
  record_native(code);
  return std::unexpected(e);
}

int seconds(std::chrono::seconds s) noexcept {
  return s.count() < 0 || s.count() > INT_MAX ? -1 : static_cast<int>(s.count());
}

}  // namespace

made sockopt_plan::make(const socket_options& o) noexcept {
  sockopt_plan p;
  if (!o.interface_name.empty()) {
#ifdef SO_BINDTODEVICE
    // The name with its NUL; ENODEV (UnknownInterface) when no interface has it.
    if (o.interface_name.size() >= IFNAMSIZ || o.interface_name.size() >= p.interface_.size())
      return refuse(setsockopt_error::unknown_interface, ENODEV);
    o.interface_name.copy(p.interface_.data(), o.interface_name.size());
    p.interface_length_ = static_cast<socklen_t>(o.interface_name.size() + 1);
    p.steps_[p.count_++] = {SOL_SOCKET, SO_BINDTODEVICE, 0, true};
#else
    return refuse(setsockopt_error::operation_not_supported, EOPNOTSUPP);
#endif
  }
  if (o.mark) {
#ifdef SO_MARK
    p.add(SOL_SOCKET, SO_MARK, static_cast<int>(*o.mark));  // the kernel reads the bits as a u32
#else
    return refuse(setsockopt_error::operation_not_supported, EOPNOTSUPP);
#endif
  }
  if (o.user_timeout) {
#ifdef TCP_USER_TIMEOUT
    const auto ms = o.user_timeout->count();
    if (ms < 0 || ms > INT_MAX) return refuse(setsockopt_error::invalid_option, EINVAL);
    p.add(IPPROTO_TCP, TCP_USER_TIMEOUT, static_cast<int>(ms));
#else
    return refuse(setsockopt_error::operation_not_supported, EOPNOTSUPP);
#endif
  }
  if (o.keepalive) {
#if defined(TCP_KEEPIDLE) && defined(TCP_KEEPINTVL) && defined(TCP_KEEPCNT)
    const int idle = seconds(o.keepalive->idle), interval = seconds(o.keepalive->interval);
    if (idle < 0 || interval < 0) return refuse(setsockopt_error::invalid_option, EINVAL);
    p.add(SOL_SOCKET, SO_KEEPALIVE, 1);
    p.add(IPPROTO_TCP, TCP_KEEPIDLE, idle);
    p.add(IPPROTO_TCP, TCP_KEEPINTVL, interval);
    p.add(IPPROTO_TCP, TCP_KEEPCNT, o.keepalive->count);
#else
    return refuse(setsockopt_error::operation_not_supported, EOPNOTSUPP);
#endif
  }
  if (o.no_delay) p.add(IPPROTO_TCP, TCP_NODELAY, 1);
  if (o.send_buffer) {
    if (*o.send_buffer <= 0) return refuse(setsockopt_error::invalid_option, EINVAL);
    p.add(SOL_SOCKET, SO_SNDBUF, *o.send_buffer);
  }
  if (o.receive_buffer) {
    if (*o.receive_buffer <= 0) return refuse(setsockopt_error::invalid_option, EINVAL);
    p.add(SOL_SOCKET, SO_RCVBUF, *o.receive_buffer);
  }
  return p;
}

std::expected<void, setsockopt_error> apply_plan(socket_t s, const sockopt_plan& plan) noexcept {
  for (const sockopt_step& step : plan.steps())
    if (auto r = dial::setsockopt(s, step.level, step.name, plan.value(step), plan.length(step));
        !r)
      return r;
  return {};
}

// socket_options::fast_open, not a step of the plan: a hint whose refusal is no failure.
void request_fast_open([[maybe_unused]] socket_t s) noexcept {
#ifdef TCP_FASTOPEN_CONNECT
  // A kernel before 4.11 (ENOPROTOOPT), the client bit of net.ipv4.tcp_fastopen off or a socket
  // that is not TCP (EOPNOTSUPP, or ENOPROTOOPT for UDP): the socket connects without it.
  const int one = 1;
  (void)dial::setsockopt(s, IPPROTO_TCP, TCP_FASTOPEN_CONNECT, &one, sizeof one);
#endif
}

}  // namespace detail

std::expected<void, setsockopt_error> apply_socket_options(socket_t s, int family,
                                                           const socket_options& o) noexcept {
  (void)family;  // every option is set at SOL_SOCKET or IPPROTO_TCP, whatever the family
  const auto plan = detail::sockopt_plan::make(o);
  if (!plan) return std::unexpected(plan.error());
  if (auto r = detail::apply_plan(s, *plan); !r) return r;
  if (o.fast_open) detail::request_fast_open(s);
  return {};
}

}  // namespace dial
