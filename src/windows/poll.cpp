// src/windows/poll.cpp: poll over WSAPoll, with its WSA table.
#include <cstddef>
#include <cstdint>

#include "dial/sys.hpp"
#include "windows/test_hooks.hpp"
#include "windows/winsock.hpp"

// dial::poll_fd is WSAPOLLFD, so the array goes to Winsock as it is.
static_assert(sizeof(WSAPOLLFD) == sizeof(dial::poll_fd));
static_assert(offsetof(WSAPOLLFD, fd) == offsetof(dial::poll_fd, fd));
static_assert(offsetof(WSAPOLLFD, events) == offsetof(dial::poll_fd, events));
static_assert(offsetof(WSAPOLLFD, revents) == offsetof(dial::poll_fd, revents));
static_assert(POLLIN == dial::poll_in && POLLPRI == dial::poll_pri && POLLOUT == dial::poll_out);
static_assert(POLLERR == dial::poll_err && POLLHUP == dial::poll_hup &&
              POLLNVAL == dial::poll_nval);

namespace dial {
namespace {

using detail::mapped;

/// WSAPoll's Winsock codes (Microsoft's documentation of WSAPoll). WSAEINVAL that poll_failed
/// does not turn into poll_nval entries is a flag WSAPoll rejects: a trap.
constexpr mapped<poll_error> map_poll_wsa(int code) noexcept {
  using enum poll_error;
  switch (code) {
    case WSAENOBUFS: return {system_resources};
    // Programmer errors: each traps, never UB.
    case WSAEFAULT:  // the array outside the address space
      return {unexpected, "the array lies outside the address space"};
    case WSAEINVAL:
      return {unexpected,
              "an `events` flag WSAPoll rejects (Windows does not support poll_pri), or no "
              "array"};
    case WSAENOTSOCK:  // wine's answer where Windows says WSAEINVAL or marks the entry
      return {unexpected, "an entry is a closed handle or not a socket, next to open sockets"};
    default: return {unexpected};  // WSAENETDOWN, ...
  }
}

// WSAPoll's timeout in milliseconds, rounded up so that it never wakes before the deadline.
int milliseconds(const detail::poll_timeout* t) noexcept {
  if (t == nullptr) return -1;
  const std::int64_t ms = t->sec * 1000 + (t->nsec + 999999) / 1000000;
  return ms > INT32_MAX ? INT32_MAX : static_cast<int>(ms);
}

bool is_socket(SOCKET s) noexcept {
  int type = 0;
  int len = sizeof type;
  return ::getsockopt(s, SOL_SOCKET, SO_TYPE, reinterpret_cast<char*>(&type), &len) == 0;
}

// WSAPoll fails with WSAEINVAL when no entry is an open socket (wine: WSAENOTSOCK), where POSIX
// marks each closed descriptor with POLLNVAL; do what POSIX does. Returns the count, or -1 when
// some entry is a socket (the WSAEINVAL is then the caller's flags).
int mark_invalid(std::span<poll_fd> fds) noexcept {
  if (fds.empty()) return -1;
  const int saved = ::WSAGetLastError();
  int n = 0;
  for (poll_fd& p : fds) {
    p.revents = 0;
    if (p.fd == invalid_socket) continue;  // skipped, as a negative fd is by POSIX
    if (is_socket(p.fd)) {
      ::WSASetLastError(saved);
      return -1;
    }
    p.revents = poll_nval;
    ++n;
  }
  ::WSASetLastError(saved);
  return n;
}

}  // namespace

poll_error poll_error_from_native(int code) noexcept {
  return detail::finish(map_poll_wsa(code), "poll", code);
}

namespace detail {

// The bare call (a test build may fail it first: windows/test_hooks.hpp). WSAPoll rejects an
// empty array, which POSIX's poll takes as a sleep: sleep instead.
int poll_native(poll_fd* fds, std::size_t count, poll_timeout* t) {
  DIAL_WSA_SEAM("poll", SOCKET_ERROR);
  if (count == 0) {
    ::Sleep(t == nullptr ? INFINITE : static_cast<DWORD>(milliseconds(t)));
    return 0;
  }
  return ::WSAPoll(reinterpret_cast<WSAPOLLFD*>(fds), static_cast<ULONG>(count), milliseconds(t));
}

// No retry: Windows has no signals that interrupt WSAPoll.
std::expected<std::size_t, poll_error> poll_failed(std::span<poll_fd> fds, poll_timeout*) noexcept {
  const int code = ::WSAGetLastError();
  if (code == WSAEINVAL || code == WSAENOTSOCK) {
    if (const int n = mark_invalid(fds); n >= 0) return static_cast<std::size_t>(n);
  }
  return std::unexpected(poll_error_from_native(code));
}

}  // namespace detail
}  // namespace dial
