// src/posix/connect.cpp: connect and its completion on Linux, BSD and macOS, with the errno table.
#include <sys/socket.h>

#include <cerrno>
#include <type_traits>

#include "common/native.hpp"
#include "dial/sys.hpp"
#include "posix/errno_map.hpp"

static_assert(std::is_same_v<::socklen_t, dial::socklen_t>, "dial::socklen_t must be socklen_t");

namespace dial {
namespace {

using detail::mapped;

/// The specification's errno switch, name for name; one native code a line. Two additions,
/// ENOBUFS and ENOMEM as SystemResources, are explained in docs/spec-differences.md.
constexpr mapped<connect_error> map_connect_errno(int code) noexcept {
  using enum connect_error;
  switch (code) {
    case EACCES: return {access_denied};
    case EPERM: return {permission_denied};
    case EADDRINUSE: return {address_in_use};
    case EADDRNOTAVAIL: return {address_not_available};
    case EAFNOSUPPORT: return {address_family_not_supported};
    case EAGAIN: return {would_block};
#if EWOULDBLOCK != EAGAIN
    case EWOULDBLOCK: return {would_block};
#endif
    case EINPROGRESS: return {would_block};
    case EALREADY: return {connection_pending};
    case ECONNREFUSED: return {connection_refused};
    case ECONNRESET: return {connection_reset_by_peer};
    case EHOSTUNREACH: return {network_unreachable};
    case ENETUNREACH: return {network_unreachable};
    case ETIMEDOUT: return {connection_timed_out};
    case ENOENT: return {file_not_found};  // AF_UNIX: the path does not exist
    case ENOBUFS: return {system_resources};
    case ENOMEM: return {system_resources};
    // Programmer errors: the specification's `unreachable` lines. Each traps, never UB.
    case EBADF: return {unexpected, detail::bad_descriptor};
    case EFAULT: return {unexpected, "the address lies outside the caller's address space"};
    case EISCONN: return {unexpected, "the socket is already connected"};
    case ENOTSOCK: return {unexpected, detail::not_a_socket};
    case EPROTOTYPE: return {unexpected, "the socket type does not match the peer's protocol"};
    case ECONNABORTED:  // Linux: the socket's earlier attempt failed and its error was consumed
      return {unexpected, "reused a socket whose earlier connect failed; close it and open anew"};
    default: return {unexpected};
  }
}

// Programmer errors of a call on the descriptor itself (getsockopt, poll): trap, or keep the code.
void trap_if_bad_descriptor(std::string_view call, int code) noexcept {
  if (code == EBADF) detail::trap(call, code, "EBADF", detail::bad_descriptor);
  if (code == ENOTSOCK) detail::trap(call, code, "ENOTSOCK", detail::not_a_socket);
}

// The socket's SO_SNDTIMEO in milliseconds, or -1 (wait forever) when it has none.
int send_timeout_ms(socket_t s) noexcept {
  timeval tv{};
  ::socklen_t len = sizeof tv;
  if (::getsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, &len) != 0) return -1;
  if (tv.tv_sec == 0 && tv.tv_usec == 0) return -1;
  return static_cast<int>(tv.tv_sec * 1000 + (tv.tv_usec + 999) / 1000);
}

// poll's names in connect's set. ProcessFdQuotaExceeded (more entries than RLIMIT_NOFILE) cannot
// happen with one entry but a limit of 0; connect's set has no such name, so it is
// SystemResources, as ENOMEM is.
constexpr connect_error from_poll(poll_error e) noexcept {
  switch (e) {
    case poll_error::system_resources: return connect_error::system_resources;
    case poll_error::process_fd_quota_exceeded: return connect_error::system_resources;
    case poll_error::unexpected: return connect_error::unexpected;
  }
  return connect_error::unexpected;
}

// After an interrupted connect whose retry reports "already in progress": wait for the same
// attempt to finish, then read its outcome from SO_ERROR. The wait honours SO_SNDTIMEO the way
// the kernel does; when it runs out, the attempt goes on and the answer is WouldBlock, as the
// kernel itself gives EINPROGRESS when SO_SNDTIMEO expires.
std::expected<void, connect_error> wait_for_interrupted(socket_t s) noexcept {
  const int budget = send_timeout_ms(s);  // -1: wait as long as it takes
  poll_fd p{s, poll_out, 0};
  auto n = dial::poll({&p, 1}, budget);  // EINTR is poll's to retry, with the time that remains
  if (n && *n > 0) return getsockopt_error(s);
  if (n) {
    detail::record_native(EINPROGRESS);
    return std::unexpected(connect_error::would_block);
  }
  return std::unexpected(from_poll(n.error()));  // poll's table recorded the code
}

}  // namespace

namespace detail {

// The bare system call: the test suite's seccomp filters act here.
int connect_native(socket_t s, const sockaddr* a, socklen_t n) { return ::connect(s, a, n); }

// The out-of-line rest of connect: EINTR and the mapping. errno is read before anything else.
std::expected<void, connect_error> connect_failed(socket_t s, const sockaddr* a,
                                                  socklen_t n) noexcept {
  int code = errno;
  bool interrupted = false;
  for (;;) {
    if (code == EINTR) {
      // Linux resumes the same attempt when connect is called again (tests/unit/connect_test).
      interrupted = true;
      if (::connect(s, a, n) == 0) return {};
      code = errno;
      continue;
    }
    if (interrupted) {
      // BSD and macOS (and Linux with SO_SNDTIMEO) answer the retry with "already in progress"
      // or, when the attempt finished meanwhile, "already connected": neither is the caller's
      // error. See docs/spec-differences.md.
      if (code == EISCONN) return {};
      if (code == EALREADY || code == EINPROGRESS) return wait_for_interrupted(s);
    }
    return std::unexpected(connect_error_from_native(code, "connect"));
  }
}

}  // namespace detail

connect_error connect_error_from_native(int code, std::string_view call) noexcept {
  return detail::finish(map_connect_errno(code), call, code);
}

std::expected<void, connect_error> getsockopt_error(socket_t sock) noexcept {
  int err = 0;
  ::socklen_t len = sizeof err;
  if (::getsockopt(sock, SOL_SOCKET, SO_ERROR, &err, &len) != 0) {
    const int e = errno;
    trap_if_bad_descriptor("getsockopt(SO_ERROR)", e);
    detail::record_native(e);
    detail::report_unexpected("getsockopt(SO_ERROR)", e);
    return std::unexpected(connect_error::unexpected);
  }
  if (err == 0) return {};
  return std::unexpected(connect_error_from_native(err, "getsockopt(SO_ERROR)"));
}

}  // namespace dial
