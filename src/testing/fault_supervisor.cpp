// src/testing/fault_supervisor.cpp: the filter (compiled by libseccomp, loaded with seccomp(2))
// and the supervisor's answers (the SECCOMP_IOCTL_NOTIF_* calls themselves: libseccomp 2.5 turns
// every failure of them into ECANCELED, and ENOENT, "the caller is gone", is one the supervisor
// must tell apart).
#include "testing/fault_supervisor.hpp"

#include <fcntl.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <seccomp.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>

namespace dial::testing::detail {

// ---- the filter ----------------------------------------------------------------------------

namespace {

// Linux 5.5's SECCOMP_USER_NOTIF_FLAG_CONTINUE is how every untouched connect goes on: on an
// older kernel each one would stay unanswered, so the filter is refused there (ENOSYS).
bool kernel_has_continue() noexcept {
  utsname u{};
  if (::uname(&u) != 0) return false;
  unsigned major = 0;
  unsigned minor = 0;
  return std::sscanf(u.release, "%u.%u", &major, &minor) == 2 &&
         (major > 5 || (major == 5 && minor >= 5));
}

}  // namespace

std::expected<filter_program, int> compile_filter(const filter_options& options) {
  if (!kernel_has_continue()) return std::unexpected(ENOSYS);
  scmp_filter_ctx ctx = ::seccomp_init(SCMP_ACT_ALLOW);
  if (ctx == nullptr) return std::unexpected(ENOMEM);
  // Another architecture's calls (an i386 or x32 program) pass: they are not intercepted
  // (docs/fault.md), rather than killed, libseccomp's default.
  int rc = ::seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_ALLOW);
  if (rc == 0)
    rc = options.pass_own_connects ? ::seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(connect), 1,
                                                        SCMP_A2(SCMP_CMP_NE, own_connect_length))
                                   : ::seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(connect), 0);
  // io_uring's connects bypass seccomp: its setup is seen, to be reported or refused.
  if (rc == 0) rc = ::seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(io_uring_setup), 0);
  // The BPF program itself (libseccomp 2.5 exports it to a descriptor only), so that a forked
  // child can load it with two system calls and nothing that allocates.
  const int fd = rc == 0 ? ::memfd_create("dial-fault-bpf", MFD_CLOEXEC) : -1;
  if (rc == 0 && fd < 0) rc = -errno;
  if (rc == 0) rc = ::seccomp_export_bpf(ctx, fd);
  ::seccomp_release(ctx);
  filter_program prog;
  const off_t size = rc == 0 ? ::lseek(fd, 0, SEEK_END) : 0;
  prog.resize(static_cast<std::size_t>(size > 0 ? size : 0) / sizeof(sock_filter));
  const auto bytes = static_cast<ssize_t>(prog.size() * sizeof(sock_filter));
  if (rc == 0 &&
      (prog.empty() || ::pread(fd, prog.data(), static_cast<std::size_t>(bytes), 0) != bytes))
    rc = -EIO;
  if (fd >= 0) ::close(fd);
  if (rc != 0) return std::unexpected(-rc);
  return prog;
}

std::expected<int, int> load_filter(const filter_program& prog, bool all_threads) noexcept {
  // no_new_privs is what lets an unprivileged process install a filter.
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return std::unexpected(errno);
  sock_fprog fprog{static_cast<unsigned short>(prog.size()), const_cast<sock_filter*>(prog.data())};
  // TSYNC with a listener needs TSYNC_ESRCH (Linux 5.7): a thread that cannot be synchronised
  // is ESRCH, not its id in place of the listener.
  const unsigned flags =
      SECCOMP_FILTER_FLAG_NEW_LISTENER |
      (all_threads ? SECCOMP_FILTER_FLAG_TSYNC | SECCOMP_FILTER_FLAG_TSYNC_ESRCH : 0u);
  const long fd = ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &fprog);
  if (fd < 0) return std::unexpected(errno);
  return static_cast<int>(fd);
}

// ---- decisions -----------------------------------------------------------------------------

namespace {

std::uint64_t mix(std::uint64_t x) noexcept {  // splitmix64's finaliser
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

bool id_valid(int listener, std::uint64_t id) noexcept {
  return ::ioctl(listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0;
}

// The caller's bytes at `remote`: process_vm_readv, or /proc/TID/mem where a policy refuses it
// (both need the same ptrace access: our own child, or our own process).
bool read_memory(int tid, std::uint64_t remote, void* out, std::size_t n) noexcept {
  iovec local{out, n};
  iovec far{reinterpret_cast<void*>(remote), n};
  if (::process_vm_readv(tid, &local, 1, &far, 1, 0) == static_cast<ssize_t>(n)) return true;
  const std::string path = "/proc/" + std::to_string(tid) + "/mem";
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const ssize_t got = ::pread(fd, out, n, static_cast<off_t>(remote));
  ::close(fd);
  return got == static_cast<ssize_t>(n);
}

// A number after `key` in a /proc text file ("flags:\t04002", base 8; "Tgid:\t42", base 10).
std::optional<long> proc_field(const std::string& path, std::string_view key, int base) {
  FILE* f = std::fopen(path.c_str(), "re");
  if (f == nullptr) return std::nullopt;
  char line[256];
  std::optional<long> value;
  while (!value && std::fgets(line, sizeof line, f) != nullptr)
    if (std::string_view(line).starts_with(key))
      value = std::strtol(line + key.size(), nullptr, base);
  std::fclose(f);
  return value;
}

// The caller's descriptor `fd`, duplicated here (the same open socket): a dup within this
// process, pidfd_getfd (Linux 5.6) from another.
int borrow_fd(int tid, int fd) {
  const auto tgid = proc_field("/proc/" + std::to_string(tid) + "/status", "Tgid:", 10);
  if (!tgid) return -1;
  if (*tgid == ::getpid()) return ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
  const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, static_cast<pid_t>(*tgid), 0));
  if (pidfd < 0) return -1;
  const int mine = static_cast<int>(::syscall(SYS_pidfd_getfd, pidfd, fd, 0));
  ::close(pidfd);
  return mine;
}

int int_option(int fd, int level, int name) {
  int v = -1;
  socklen_t n = sizeof v;
  return ::getsockopt(fd, level, name, &v, &n) == 0 ? v : -1;
}

std::uint64_t netns_cookie(int fd) {
#ifdef SO_NETNS_COOKIE
  std::uint64_t c = 0;
  socklen_t n = sizeof c;
  if (::getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, &c, &n) == 0) return c;
#endif
  return 0;  // Linux before 5.14: not compared
}

}  // namespace

bool rate_takes(std::uint64_t seed, std::size_t rule, std::uint64_t nth, double rate) noexcept {
  if (rate >= 1.0) return true;
  const std::uint64_t h = mix(mix(mix(seed) ^ rule) ^ nth);
  return static_cast<double>(h >> 11) * 0x1.0p-53 < rate;
}

// A loopback listener whose accept queue is full (backlog 0 and one connection never accepted):
// Linux drops every further SYN to it, so a connect to it stays in SYN-SENT, retransmitting,
// the one unprivileged way to make a real connect that nobody answers.
struct supervisor::blackhole {
  int listener = -1;
  int filler = -1;
  sockaddr_storage where{};
  std::uint64_t netns = 0;

  ~blackhole() {
    if (filler >= 0) ::close(filler);
    if (listener >= 0) ::close(listener);
  }

  static std::unique_ptr<blackhole> make(int family) {
    auto b = std::make_unique<blackhole>();
    b->where.ss_family = static_cast<sa_family_t>(family);
    if (family == AF_INET) {
      reinterpret_cast<sockaddr_in&>(b->where).sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    } else {
      reinterpret_cast<sockaddr_in6&>(b->where).sin6_addr = in6addr_loopback;
    }
    auto* sa = reinterpret_cast<sockaddr*>(&b->where);
    socklen_t len = sizeof b->where;
    b->listener = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    b->filler = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (b->listener < 0 || b->filler < 0 ||
        ::bind(b->listener, sa, family == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6)) !=
            0 ||
        ::listen(b->listener, 0) != 0 || ::getsockname(b->listener, sa, &len) != 0 ||
        ::connect(b->filler, sa, own_connect_length) != 0)
      return nullptr;
    // The filler's handshake ends when the listener has it queued: wait for that (readable),
    // so that no later SYN slips in while the queue is still empty.
    pollfd p{b->listener, POLLIN, 0};
    if (::poll(&p, 1, 1000) != 1) return nullptr;
    b->netns = netns_cookie(b->listener);
    return b;
  }
};

// Linux 6.6: the caller and the supervisor hand the CPU to each other on a notification and its
// answer (a synchronous wake-up) instead of waking each other across CPUs. Best effort: older
// kernels refuse it (EINVAL, ENOTTY) and the round trip is slower, not different.
#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (1UL << 0)
#endif

supervisor::supervisor(int listener) noexcept : listener_(listener) {
  (void)::ioctl(listener_, SECCOMP_IOCTL_NOTIF_SET_FLAGS, SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP);
}
supervisor::~supervisor() = default;

void supervisor::set_plan(std::shared_ptr<const fault_plan> plan, event_sink sink,
                          bool deny_io_uring) {
  plan_ = std::move(plan);
  sink_ = std::move(sink);
  deny_io_uring_ = deny_io_uring;
  matched_.assign(plan_ ? plan_->rules().size() : 0, 0);
}

void supervisor::answer(std::uint64_t id, int error, bool proceed) noexcept {
  seccomp_notif_resp r{};
  r.id = id;
  if (proceed) {
    r.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
  } else {
    r.error = -error;
  }
  // ENOENT: the caller is gone (killed, or a signal interrupted the call): nothing to answer.
  (void)::ioctl(listener_, SECCOMP_IOCTL_NOTIF_SEND, &r);
}

void supervisor::hold(std::uint64_t id, std::optional<std::chrono::nanoseconds> d, int error) {
  const auto due = d ? clock::now() + *d : clock::time_point::max();
  held_.push_back({id, due, error});
}

void supervisor::handle(const seccomp_notif& n) {
  fault_event e;
  e.index = seen_++;
  e.tid = static_cast<int>(n.pid);
  e.destination = "-";
  e.outcome = "continue";
  e.at = clock::now() - start_;
  if (n.data.nr == SYS_io_uring_setup) {
    e.outcome = "io_uring";
    e.error = deny_io_uring_ ? ENOSYS : 0;
  } else {
    handle_connect(n, e);
  }
  // The decision is recorded before the caller is released: whoever it tells can read it at once.
  if (sink_) sink_(e);
  carry_out(n.id, e);
}

// The answer the event describes: an errno, CONTINUE, or a held call with its due time.
void supervisor::carry_out(std::uint64_t id, const fault_event& e) {
  if (e.outcome == "gone") return;
  if (e.outcome == "delay") return hold(id, e.duration.value_or(std::chrono::nanoseconds{0}), 0);
  if (e.how == "held") return hold(id, e.duration, e.error);
  answer(id, e.error, e.error == 0);
}

void supervisor::handle_connect(const seccomp_notif& n, fault_event& e) {
  sockaddr_storage ss{};
  const auto len = static_cast<std::size_t>(std::min<std::uint64_t>(n.data.args[2], sizeof ss));
  const bool read = len >= sizeof(sa_family_t) && read_memory(e.tid, n.data.args[1], &ss, len);
  // The read was of a live caller's memory only if the notification is still pending (the
  // thread could have died and its tid been reused): check after reading, never before.
  if (!id_valid(listener_, n.id)) {
    e.outcome = "gone";
    return;
  }
  const auto to = read ? address::from_native(reinterpret_cast<const sockaddr*>(&ss),
                                              static_cast<socklen_t>(len))
                       : std::unexpected(address_native_error{});
  if (!to || !plan_) {  // not an address rules can name (AF_UNSPEC, AF_NETLINK...), or no plan
    if (to) e.destination = to->to_string();
    return;
  }
  e.destination = to->to_string();
  const auto& rules = plan_->rules();
  for (std::size_t i = 0; i < rules.size(); ++i) {
    if (!rules[i].to.matches(*to)) continue;
    if (!rate_takes(plan_->seed(), i, matched_[i]++, rules[i].rate)) continue;
    e.rule = i + 1;
    decide(n, e, rules[i]);
    return;
  }
}

void supervisor::decide(const seccomp_notif& n, fault_event& e, const fault_rule& rule) {
  e.duration = rule.duration;
  switch (rule.action) {
    case fault_action::refuse:
      e.outcome = "refuse";
      e.error = ECONNREFUSED;
      return;
    case fault_action::fail:
      e.outcome = "errno";
      e.error = rule.error;
      return;
    case fault_action::delay: e.outcome = "delay"; return;
    case fault_action::drop:
      e.outcome = "drop";
      if (const auto pending = pending_connect(n, rule)) {
        e.how = "pending";
        e.error = *pending;
      } else {
        e.how = "held";
        e.error = ETIMEDOUT;
      }
      return;
  }
}

// A non-blocking TCP connect that is dropped: the caller's own socket is connected, from here,
// to the blackhole, so it really is in SYN-SENT (poll never says writable, SO_ERROR is 0, a
// second connect is EALREADY) until TCP_USER_TIMEOUT ends it with ETIMEDOUT, or until the
// program gives up (TCP_SYNCNT 127: retransmissions for hours). The errno to answer, or none
// when the connect is not one of these (blocking, not TCP, another network namespace): then
// the call is held instead.
std::optional<int> supervisor::pending_connect(const seccomp_notif& n, const fault_rule& r) {
  const int target_fd = static_cast<int>(n.data.args[0]);
  const auto flags = proc_field(
      "/proc/" + std::to_string(n.pid) + "/fdinfo/" + std::to_string(target_fd), "flags:", 8);
  if (!flags || (*flags & O_NONBLOCK) == 0) return std::nullopt;
  const int fd = borrow_fd(static_cast<int>(n.pid), target_fd);
  if (fd < 0) return std::nullopt;
  std::optional<int> result;
  const int domain = int_option(fd, SOL_SOCKET, SO_DOMAIN);
  if (domain == AF_UNIX && int_option(fd, SOL_SOCKET, SO_TYPE) == SOCK_STREAM) {
    result = EAGAIN;  // what a non-blocking connect to a Unix listener with a full backlog gets
  } else if ((domain == AF_INET || domain == AF_INET6) &&
             int_option(fd, SOL_SOCKET, SO_TYPE) == SOCK_STREAM &&
             int_option(fd, SOL_SOCKET, SO_PROTOCOL) == IPPROTO_TCP) {
    auto& hole = domain == AF_INET ? v4_ : v6_;
    if (!hole) hole = blackhole::make(domain);
    if (hole && (hole->netns == 0 || hole->netns == netns_cookie(fd))) {
      if (r.duration) {
        const auto ms = std::chrono::ceil<std::chrono::milliseconds>(*r.duration).count();
        const int timeout = static_cast<int>(std::clamp<long long>(ms, 1, INT32_MAX));
        (void)::setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &timeout, sizeof timeout);
      } else {
        const int forever = 127;  // Linux's most SYN retransmissions
        (void)::setsockopt(fd, IPPROTO_TCP, TCP_SYNCNT, &forever, sizeof forever);
      }
      const int rc =
          ::connect(fd, reinterpret_cast<const sockaddr*>(&hole->where), own_connect_length);
      if (rc != 0 && (errno == EINPROGRESS || errno == EALREADY)) result = errno;
    }
  }
  ::close(fd);
  return result;
}

void supervisor::answer_due() {
  const auto now = clock::now();
  std::erase_if(held_, [&](const held& h) {
    if (h.due > now) return false;
    answer(h.id, h.error, h.error == 0);
    return true;
  });
}

// Held calls whose caller is gone (killed, or interrupted by a signal: a restarted call comes
// back as a new notification) are forgotten, at most once a second.
void supervisor::sweep() {
  const auto now = clock::now();
  if (now - last_sweep_ < std::chrono::seconds(1)) return;
  last_sweep_ = now;
  std::erase_if(held_, [&](const held& h) { return !id_valid(listener_, h.id); });
}

void supervisor::release_held() noexcept {
  for (const auto& h : held_) answer(h.id, h.error, h.error == 0);
  held_.clear();
}

int supervisor::poll_timeout_ms() const {
  auto next = clock::time_point::max();
  for (const auto& h : held_) next = std::min(next, h.due);
  if (next == clock::time_point::max()) return held_.empty() ? -1 : 1000;  // 1000: sweep
  const auto left = std::chrono::ceil<std::chrono::milliseconds>(next - clock::now()).count();
  return static_cast<int>(std::clamp<long long>(left, 0, 1000));
}

supervisor::wake supervisor::serve(std::span<pollfd> extra) {
  std::vector<pollfd> fds(extra.begin(), extra.end());
  fds.push_back({listener_, POLLIN, 0});
  for (;;) {
    for (auto& p : fds) p.revents = 0;
    const int rc = ::poll(fds.data(), fds.size(), poll_timeout_ms());
    answer_due();
    sweep();
    if (rc < 0 && errno != EINTR) return wake::hangup;  // cannot happen with valid descriptors
    if (rc <= 0) continue;
    const auto& mine = fds.back();
    if ((mine.revents & POLLIN) != 0) {
      seccomp_notif n{};  // RECV wants it zeroed
      if (::ioctl(listener_, SECCOMP_IOCTL_NOTIF_RECV, &n) == 0) handle(n);
      // else ENOENT: the caller died between the wake-up and the receive
    } else if ((mine.revents & (POLLHUP | POLLERR)) != 0) {
      held_.clear();
      return wake::hangup;
    }
    bool woken = false;
    for (std::size_t i = 0; i < extra.size(); ++i) {
      extra[i].revents = fds[i].revents;
      woken = woken || fds[i].revents != 0;
    }
    if (woken) return wake::extra;
  }
}

}  // namespace dial::testing::detail
