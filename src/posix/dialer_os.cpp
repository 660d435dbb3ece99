// src/posix/dialer_os.cpp: the POSIX answers to src/common/dialer_os.hpp.
#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/eventfd.h>
#endif

#include <cerrno>
#include <cstdint>

#include "common/dialer_os.hpp"
#include "common/native.hpp"

namespace dial::detail {

socket_t no_socket() noexcept { return -1; }

std::expected<bool, int> enter_non_blocking(socket_t s) noexcept {
  const int flags = ::fcntl(s, F_GETFL);
  if (flags < 0) {
    if (errno == EBADF)
      trap("connect_until", EBADF, "EBADF", "sock is not an open file descriptor");
    record_native(errno);
    return std::unexpected(errno);
  }
  if ((flags & O_NONBLOCK) != 0) return false;
  if (::fcntl(s, F_SETFL, flags | O_NONBLOCK) != 0) {
    record_native(errno);
    return std::unexpected(errno);
  }
  return true;
}

// FIONBIO changes only O_NONBLOCK, in one system call (F_GETFL + F_SETFL would be two).
void leave_non_blocking(socket_t s) noexcept {
  const int saved = errno;
  int off = 0;
  (void)::ioctl(s, FIONBIO, &off);
  errno = saved;
}

stop_waker::stop_waker(const std::stop_token& stop) noexcept : read_(-1), write_(-1) {
  if (!stop.stop_possible()) return;
#ifdef __linux__
  read_ = write_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
#else
  int p[2];
  if (::pipe(p) == 0) {  // macOS has no pipe2; no other thread of dial forks in between
    read_ = p[0];
    write_ = p[1];
    ::fcntl(read_, F_SETFD, FD_CLOEXEC);
    ::fcntl(write_, F_SETFD, FD_CLOEXEC);
    ::fcntl(write_, F_SETFL, O_NONBLOCK);
  }
#endif
  if (read_ < 0) {
    error_ = errno;
    return;
  }
  callback_.emplace(stop, wake{write_});
}

stop_waker::~stop_waker() {
  callback_.reset();  // first: the callback must not write to a closed descriptor
  if (read_ >= 0) ::close(read_);
  if (write_ >= 0 && write_ != read_) ::close(write_);
}

void stop_waker::wake::operator()() const noexcept {
  const std::uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(fd, &one, sizeof one);  // full or closed: already woken
}

}  // namespace dial::detail
