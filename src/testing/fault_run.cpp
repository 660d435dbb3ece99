// src/testing/fault_run.cpp: run_with_faults, what `dial fault` does: a child that installs the
// filter and execs the command, and this process as its supervisor.
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>

#include "testing/fault_supervisor.hpp"

namespace dial::testing {
namespace {

constexpr int forwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};

// The listener (or the child's errno, negated) over the socketpair: SCM_RIGHTS.
void send_listener(int sock, int fd, int error) noexcept {
  char byte = static_cast<char>(error);
  iovec iov{&byte, 1};
  msghdr m{};
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))]{};
  if (fd >= 0) {
    m.msg_control = control;
    m.msg_controllen = sizeof control;
    cmsghdr* c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(c), &fd, sizeof fd);
  }
  (void)::sendmsg(sock, &m, MSG_NOSIGNAL);
}

// The listener, or -errno (the child's, or EPIPE when it died first).
int receive_listener(int sock) noexcept {
  char byte = 0;
  iovec iov{&byte, 1};
  msghdr m{};
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))]{};
  m.msg_control = control;
  m.msg_controllen = sizeof control;
  ssize_t got = 0;
  do {
    got = ::recvmsg(sock, &m, MSG_CMSG_CLOEXEC);
  } while (got < 0 && errno == EINTR);
  if (got <= 0) return -EPIPE;
  const cmsghdr* c = CMSG_FIRSTHDR(&m);
  if (c == nullptr || c->cmsg_type != SCM_RIGHTS) return byte == 0 ? -EPIPE : -byte;
  int fd = -1;
  std::memcpy(&fd, CMSG_DATA(c), sizeof fd);
  return fd;
}

void say(const char* text) noexcept { (void)!::write(STDERR_FILENO, text, std::strlen(text)); }

// The child: the filter, the listener to the parent, the command. Only system calls (and
// strerror's static texts) after fork: a threaded caller's locks may be held by no one here.
[[noreturn]] void run_child(int sock, const detail::filter_program& prog, char* const* args,
                            const sigset_t& old_mask) {
  ::sigprocmask(SIG_SETMASK, &old_mask, nullptr);
  const auto listener = detail::load_filter(prog, false);
  send_listener(sock, listener ? *listener : -1, listener ? 0 : listener.error());
  if (!listener) ::_exit(126);
  ::close(*listener);  // the parent has its own (close-on-exec anyway)
  ::close(sock);
  ::execvp(args[0], args);
  const int e = errno;
  say("dial fault: cannot run '");
  say(args[0]);
  say("': ");
  say(std::strerror(e));
  say("\n");
  ::_exit(e == ENOENT ? 127 : 126);
}

error_id name_of_setup_errno(int e) noexcept {
  switch (e) {
    case EMFILE: return error_id::process_fd_quota_exceeded;
    case ENFILE: return error_id::system_fd_quota_exceeded;
    case ENOMEM:
    case EAGAIN: return error_id::system_resources;  // fork: no process left
    case EINVAL:
    case ENOSYS:
    case EACCES:
    case EPERM:
    case EOPNOTSUPP:
    case EFAULT: return error_id::backend_unavailable;  // the kernel or a policy refused seccomp
    default: return error_id::unexpected;
  }
}

std::unexpected<run_failure> failed(int e, std::string_view step) {
  return std::unexpected(run_failure{name_of_setup_errno(e), e, step});
}

struct fd_closer {
  int fd;
  ~fd_closer() {
    if (fd >= 0) ::close(fd);
  }
};

// What the command's end was: its status, 128 + signal as shells say it.
int status_of(int wstatus) noexcept {
  return WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
}

}  // namespace

std::expected<int, run_failure> run_with_faults(const fault_plan& plan, std::span<char* const> argv,
                                                const run_options& options) {
  if (argv.empty()) return failed(EINVAL, "exec");
  const auto prog = detail::compile_filter({});
  if (!prog) return failed(prog.error(), "seccomp");
  std::vector<char*> args(argv.begin(), argv.end());
  args.push_back(nullptr);
  sigset_t watched;
  sigemptyset(&watched);
  for (const int s : forwarded) sigaddset(&watched, s);
  sigaddset(&watched, SIGCHLD);
  sigset_t old_mask;
  ::sigprocmask(SIG_BLOCK, &watched, &old_mask);
  struct mask_restorer {
    const sigset_t& old;
    ~mask_restorer() { ::sigprocmask(SIG_SETMASK, &old, nullptr); }
  } restore{old_mask};
  const fd_closer signals{::signalfd(-1, &watched, SFD_CLOEXEC | SFD_NONBLOCK)};
  if (signals.fd < 0) return failed(errno, "signalfd");
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0)
    return failed(errno, "socketpair");
  const pid_t child = ::fork();
  if (child < 0) {
    const int e = errno;
    ::close(pair[0]);
    ::close(pair[1]);
    return failed(e, "fork");
  }
  if (child == 0) run_child(pair[1], *prog, args.data(), old_mask);
  ::close(pair[1]);
  const int got = receive_listener(pair[0]);
  ::close(pair[0]);
  if (got < 0) {
    int wstatus = 0;
    ::waitpid(child, &wstatus, 0);
    return failed(-got, "seccomp");
  }
  const fd_closer listener{got};
  detail::supervisor sup(listener.fd);
  sup.set_plan(std::make_shared<const fault_plan>(plan), options.on_event, options.deny_io_uring);
  std::optional<int> status;
  bool hung_up = false;
  pollfd extra{signals.fd, POLLIN, 0};
  while (!status || !hung_up) {
    if (hung_up) {
      extra.revents = 0;
      (void)::poll(&extra, 1, -1);
    } else {
      hung_up = sup.serve(std::span(&extra, 1)) == detail::supervisor::wake::hangup;
    }
    signalfd_siginfo si{};
    while (::read(signals.fd, &si, sizeof si) == sizeof si) {
      // A terminal's signal (Ctrl-C: SI_KERNEL) went to the whole foreground process group,
      // the command included: only those sent to this process alone are passed on.
      if (si.ssi_signo != SIGCHLD && si.ssi_code != SI_KERNEL)
        (void)::kill(child, static_cast<int>(si.ssi_signo));
    }
    int wstatus = 0;
    if (!status && ::waitpid(child, &wstatus, WNOHANG) == child) status = status_of(wstatus);
  }
  return *status;
}

}  // namespace dial::testing
