// src/posix/poll.cpp: poll on Linux, BSD and macOS, with its errno table and an EINTR retry that
// waits only for the time that remains.
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>

#include "dial/sys.hpp"
#include "posix/errno_map.hpp"

// dial::poll_fd is the system's pollfd, so the array goes to the kernel as it is.
static_assert(sizeof(pollfd) == sizeof(dial::poll_fd));
static_assert(offsetof(pollfd, fd) == offsetof(dial::poll_fd, fd));
static_assert(offsetof(pollfd, events) == offsetof(dial::poll_fd, events));
static_assert(offsetof(pollfd, revents) == offsetof(dial::poll_fd, revents));
static_assert(POLLIN == dial::poll_in && POLLPRI == dial::poll_pri && POLLOUT == dial::poll_out);
static_assert(POLLERR == dial::poll_err && POLLHUP == dial::poll_hup &&
              POLLNVAL == dial::poll_nval);

// Linux's ppoll system call writes the time that remains back into its timeout when a signal
// interrupts it (ppoll(2), NOTES; glibc's wrapper hides this, so dial makes the system call
// itself). Elsewhere poll_native notes the start and poll_failed subtracts the time spent.
#if defined(__linux__) && defined(SYS_ppoll) && __SIZEOF_POINTER__ == 8
#define DIAL_PPOLL_WRITES_BACK 1
static_assert(sizeof(timespec) == 2 * sizeof(std::int64_t));
static_assert(offsetof(timespec, tv_sec) == offsetof(dial::detail::poll_timeout, sec));
static_assert(offsetof(timespec, tv_nsec) == offsetof(dial::detail::poll_timeout, nsec));
#else
#define DIAL_PPOLL_WRITES_BACK 0
#endif

namespace dial {
namespace {

using detail::mapped;

/// Modelled on Zig's PollError switch. Difference (docs/spec-differences.md, section 7): EINVAL
/// is ProcessFdQuotaExceeded (more entries than RLIMIT_NOFILE, a limit that can change under the
/// process) where Zig says unreachable.
constexpr mapped<poll_error> map_poll_errno(int code) noexcept {
  using enum poll_error;
  switch (code) {
    case ENOMEM: return {system_resources};
    case ENOBUFS: return {system_resources};
    case EINVAL:
      return {process_fd_quota_exceeded};  // nfds above RLIMIT_NOFILE
    // Programmer errors: each traps, never UB.
    case EFAULT:  // the array points outside the process
      return {unexpected, detail::bad_pointer};
    default: return {unexpected};
  }
}

#if !DIAL_PPOLL_WRITES_BACK
std::int64_t now_ns() noexcept {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return std::int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
}

// Takes the time spent since poll_native started off the timeout, down to zero.
void spend(detail::poll_timeout& t) noexcept {
  std::int64_t left = t.sec * 1000000000 + t.nsec - (now_ns() - t.start_ns);
  if (left < 0) left = 0;
  t.sec = left / 1000000000;
  t.nsec = left % 1000000000;
}
#endif

}  // namespace

poll_error poll_error_from_native(int code) noexcept {
  return detail::finish(map_poll_errno(code), "poll", code);
}

namespace detail {

// The bare system call: the test suite's seccomp filters act here (SYS_ppoll on Linux).
int poll_native(poll_fd* fds, std::size_t count, poll_timeout* t) {
#if DIAL_PPOLL_WRITES_BACK
  return static_cast<int>(::syscall(SYS_ppoll, fds, count, t, nullptr, _NSIG / 8));
#else
  int ms = -1;
  if (t != nullptr) {
    t->start_ns = now_ns();
    ms = static_cast<int>(t->sec * 1000 + (t->nsec + 999999) / 1000000);
  }
  return ::poll(reinterpret_cast<pollfd*>(fds), static_cast<nfds_t>(count), ms);
#endif
}

// EINTR: wait again, but only for what is left of the timeout.
std::expected<std::size_t, poll_error> poll_failed(std::span<poll_fd> fds,
                                                   poll_timeout* t) noexcept {
  int code = errno;
  while (code == EINTR) {
#if !DIAL_PPOLL_WRITES_BACK
    if (t != nullptr) spend(*t);
#endif
    const int n = poll_native(fds.data(), fds.size(), t);
    if (n >= 0) return static_cast<std::size_t>(n);
    code = errno;
  }
  return std::unexpected(poll_error_from_native(code));
}

}  // namespace detail
}  // namespace dial
