// tests/support/support.cpp: real-kernel fixtures shared by dial's tests (Linux).
#include "support.hpp"

#include "dial/config.hpp"
#if DIAL_HAS_ENGINE
#include "dial/engine.hpp"
#endif

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/ucontext.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <string_view>
#include <thread>
#include <vector>

namespace dial::test {

bool is_root() { return ::geteuid() == 0; }

int count_open_fds() {
  DIR* d = ::opendir("/proc/self/fd");
  if (d == nullptr) return -1;
  int n = 0;
  while (dirent* e = ::readdir(d))
    if (e->d_name[0] != '.') ++n;
  ::closedir(d);
  return n - 1;  // the directory stream's own descriptor
}

fd& fd::operator=(fd&& o) noexcept {
  if (this != &o) {
    if (v >= 0) ::close(v);
    v = o.v;
    o.v = -1;
  }
  return *this;
}

fd::~fd() {
  if (v >= 0) ::close(v);
}

std::uint16_t addr::port() const {
  if (ss.ss_family == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in&>(ss).sin_port);
  if (ss.ss_family == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6&>(ss).sin6_port);
  return 0;
}

addr ip(const std::string& host, std::uint16_t port) {
  addr a;
  if (host.find(':') == std::string::npos) {
    auto& s = reinterpret_cast<sockaddr_in&>(a.ss);
    s.sin_family = AF_INET;
    s.sin_port = htons(port);
    if (::inet_pton(AF_INET, host.c_str(), &s.sin_addr) != 1) throw std::runtime_error(host);
    a.len = sizeof s;
  } else {
    auto& s = reinterpret_cast<sockaddr_in6&>(a.ss);
    s.sin6_family = AF_INET6;
    s.sin6_port = htons(port);
    if (::inet_pton(AF_INET6, host.c_str(), &s.sin6_addr) != 1) throw std::runtime_error(host);
    a.len = sizeof s;
  }
  return a;
}

addr unix_path(const std::string& path) {
  // "@name" is a Linux abstract name: a leading NUL, and the length counts only the name.
  addr a;
  auto& s = reinterpret_cast<sockaddr_un&>(a.ss);
  s.sun_family = AF_UNIX;
  if (path.size() >= sizeof s.sun_path) throw std::runtime_error("unix path too long: " + path);
  std::memcpy(s.sun_path, path.data(), path.size());
  const bool abstract = !path.empty() && path[0] == '@';
  if (abstract) s.sun_path[0] = '\0';
  a.len =
      static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size() + (abstract ? 0 : 1));
  return a;
}

fd make_socket(int family, int type, int flags) {
  int s = ::socket(family, type | flags | SOCK_CLOEXEC, 0);
  if (s < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  return fd(s);
}

namespace {

addr bound_name(int s) {
  addr a;
  a.len = sizeof a.ss;
  if (::getsockname(s, a.sa(), &a.len) != 0) throw std::runtime_error("getsockname");
  return a;
}

listener bound_loopback(int family) {
  listener l{make_socket(family, SOCK_STREAM), ip(family == AF_INET ? "127.0.0.1" : "::1", 0)};
  if (::bind(l.sock.get(), l.where.sa(), l.where.len) != 0)
    throw std::runtime_error(std::string("bind: ") + std::strerror(errno));
  l.where = bound_name(l.sock.get());
  return l;
}

}  // namespace

listener tcp_listener(int family, int backlog) {
  listener l = bound_loopback(family);
  if (::listen(l.sock.get(), backlog) != 0) throw std::runtime_error("listen");
  return l;
}

listener closed_tcp_port(int family) { return bound_loopback(family); }

listener unix_listener(const std::string& path, int backlog, int type) {
  if (path.empty() || path[0] != '@') ::unlink(path.c_str());
  listener l{make_socket(AF_UNIX, type), unix_path(path)};
  if (::bind(l.sock.get(), l.where.sa(), l.where.len) != 0)
    throw std::runtime_error(std::string("bind ") + path + ": " + std::strerror(errno));
  if (type != SOCK_DGRAM && ::listen(l.sock.get(), backlog) != 0)
    throw std::runtime_error("listen");
  return l;
}

full_listener full_tcp_listener(int family) {
  // Backlog 0 admits one queued connection; the kernel drops later SYNs while it is queued.
  full_listener f{tcp_listener(family, 0), make_socket(family, SOCK_STREAM)};
  if (::connect(f.queued.get(), f.l.where.sa(), f.l.where.len) != 0)
    throw std::runtime_error("filling connect");
  return f;
}

full_listener full_unix_listener(const std::string& path) {
  full_listener f{unix_listener(path, 0), make_socket(AF_UNIX, SOCK_STREAM)};
  if (::connect(f.queued.get(), f.l.where.sa(), f.l.where.len) != 0)
    throw std::runtime_error("filling connect");
  return f;
}

std::string temp_dir() {
  char tmpl[] = "/tmp/dial-test-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) throw std::runtime_error("mkdtemp");
  ::chmod(tmpl, 0755);  // unprivileged test users must be able to search it
  return tmpl;
}

scratch_dir::~scratch_dir() {
  std::error_code ignored;
  std::filesystem::remove_all(path, ignored);
}

int run_in_child(const std::function<int()>& body, std::chrono::milliseconds limit) {
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    int rc = 125;
    try {
      rc = body();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "child: %s\n", e.what());
    }
    std::fflush(nullptr);
    ::_exit(rc);
  }
  const auto deadline = std::chrono::steady_clock::now() + limit;
  int status = 0;
  for (;;) {  // bounded by `limit`
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) break;
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

namespace {

bool install_filter(std::vector<sock_filter>& prog) {
  sock_fprog fprog{static_cast<unsigned short>(prog.size()), prog.data()};
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return false;
  return ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog) == 0;
}

// The start of every filter: calls of another architecture (x32, i386) are allowed.
std::vector<sock_filter> x86_64_only() {
  return {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
}

sock_filter stmt(std::uint16_t code, std::uint32_t k) { return sock_filter{code, 0, 0, k}; }

// A conditional jump: `yes` or `no` instructions forward.
sock_filter jump(std::uint16_t code, std::uint32_t k, std::uint8_t yes, std::uint8_t no) {
  return sock_filter{code, yes, no, k};
}

sock_filter load_nr() { return stmt(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)); }

// The low 32 bits of argument i (x86-64 is little-endian).
sock_filter load_arg(int i) {
  return stmt(BPF_LD | BPF_W | BPF_ABS,
              static_cast<std::uint32_t>(offsetof(seccomp_data, args) + 8 * i));
}

}  // namespace

std::optional<std::string> io_uring_refused() {
#if DIAL_HAS_ENGINE
  engine_options o;
  o.backend = engine_backend::io_uring;
  o.concurrency = 1;
  o.threads = 1;
  const auto e = engine::create(o);
  if (e) return std::nullopt;
  const int code = last_native_error();
  return "io_uring refused here: engine::create gave " + std::string(name(e.error())) + " (" +
         std::string(code != 0 ? ::strerrorname_np(code) : "no errno") +
         "); a seccomp profile, kernel.io_uring_disabled or a build without liburing";
#else
  return "io_uring refused here: this build has no engine";
#endif
}

namespace {
// DIAL_TEST_REFUSE_IO_URING=1: refuse io_uring_setup from the start (support.hpp).
[[maybe_unused]] const bool io_uring_refused_by_request = [] {
  const char* v = std::getenv("DIAL_TEST_REFUSE_IO_URING");
  if (v == nullptr || std::string_view(v) != "1") return false;
  if (!inject_errno(SYS_io_uring_setup, EPERM)) {
    std::fprintf(stderr, "DIAL_TEST_REFUSE_IO_URING: the seccomp filter was refused\n");
    std::exit(2);
  }
  return true;
}();
}  // namespace

bool inject_errno(long syscall_nr, int err, std::optional<int> first_arg) {
  // Allow everything except `syscall_nr` (with args[0] == first_arg), which returns -err.
  auto prog = x86_64_only();
  const auto nr = static_cast<std::uint32_t>(syscall_nr);
  prog.push_back(load_nr());
  prog.push_back(jump(BPF_JMP | BPF_JEQ | BPF_K, nr, 0, first_arg ? 3 : 1));
  if (first_arg) {
    prog.push_back(load_arg(0));
    prog.push_back(jump(BPF_JMP | BPF_JEQ | BPF_K, static_cast<std::uint32_t>(*first_arg), 0, 1));
  }
  prog.push_back(stmt(BPF_RET | BPF_K,
                      SECCOMP_RET_ERRNO | (static_cast<std::uint32_t>(err) & SECCOMP_RET_DATA)));
  prog.push_back(stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
  return install_filter(prog);
}

// ---- descriptors without close-on-exec ----------------------------------------------------------

namespace {

/// One call that makes a descriptor: inheritable unless argument `arg` has `flag` (flag 0: always
/// inheritable), or, for `equals`, when the argument is `flag`.
struct cloexec_rule {
  long nr;
  const char* name;
  int arg;
  std::uint32_t flag;
  bool equals = false;
};

const cloexec_rule cloexec_rules[] = {
    {SYS_socket, "socket", 1, SOCK_CLOEXEC},
    {SYS_socketpair, "socketpair", 1, SOCK_CLOEXEC},
    {SYS_accept4, "accept4", 3, SOCK_CLOEXEC},
    {SYS_open, "open", 1, O_CLOEXEC},
    {SYS_openat, "openat", 2, O_CLOEXEC},
    {SYS_pipe2, "pipe2", 1, O_CLOEXEC},
    {SYS_dup3, "dup3", 2, O_CLOEXEC},
    {SYS_epoll_create1, "epoll_create1", 0, EPOLL_CLOEXEC},
    {SYS_eventfd2, "eventfd2", 1, EFD_CLOEXEC},
    {SYS_fcntl, "fcntl(F_DUPFD)", 1, F_DUPFD, true},
    {SYS_accept, "accept", 0, 0},
    {SYS_creat, "creat", 0, 0},
    {SYS_pipe, "pipe", 0, 0},
    {SYS_dup, "dup", 0, 0},
    {SYS_dup2, "dup2", 0, 0},
    {SYS_epoll_create, "epoll_create", 0, 0},
    {SYS_eventfd, "eventfd", 0, 0},
};

int g_inheritable_status = 1;
std::vector<std::string> g_tolerated;  // set before the filter; read only by the handler

void append_rule(std::vector<sock_filter>& prog, const cloexec_rule& r) {
  const sock_filter trap = stmt(BPF_RET | BPF_K, SECCOMP_RET_TRAP);
  prog.push_back(load_nr());
  prog.push_back(
      jump(BPF_JMP | BPF_JEQ | BPF_K, static_cast<std::uint32_t>(r.nr), 0, r.flag == 0 ? 1 : 4));
  if (r.flag == 0) {
    prog.push_back(trap);
    return;
  }
  prog.push_back(load_arg(r.arg));
  prog.push_back(r.equals ? jump(BPF_JMP | BPF_JEQ | BPF_K, r.flag, 0, 1)
                          : jump(BPF_JMP | BPF_JSET | BPF_K, r.flag, 1, 0));
  prog.push_back(trap);
  prog.push_back(stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
}

// The path an open call names, or null for the other calls.
const char* opened_path(long nr, const greg_t* r) {
  if (nr == SYS_openat) return reinterpret_cast<const char*>(r[REG_RSI]);
  if (nr == SYS_open || nr == SYS_creat) return reinterpret_cast<const char*>(r[REG_RDI]);
  return nullptr;
}

bool is_tolerated(const char* path) {
  for (const auto& t : g_tolerated)
    if (std::strcmp(t.c_str(), path) == 0) return true;
  return false;
}

// Does the open the filter stopped, with O_CLOEXEC added (which the filter lets through).
long open_close_on_exec(long nr, const greg_t* r, const char* path) {
  const int saved = errno;
  long rc = 0;
  if (nr == SYS_openat)
    rc = ::syscall(SYS_openat, r[REG_RDI], path, r[REG_RDX] | O_CLOEXEC, r[REG_R10]);
  else if (nr == SYS_open)
    rc = ::syscall(SYS_openat, AT_FDCWD, path, r[REG_RSI] | O_CLOEXEC, r[REG_RDX]);
  else
    rc =
        ::syscall(SYS_openat, AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, r[REG_RSI]);
  if (rc < 0) rc = -errno;
  errno = saved;
  return rc;
}

void write_all(const char* s) {
  for (std::size_t n = std::strlen(s); n > 0;) {
    const ::ssize_t w = ::write(STDERR_FILENO, s, n);
    if (w <= 0) return;
    s += w;
    n -= static_cast<std::size_t>(w);
  }
}

// SIGSYS from SECCOMP_RET_TRAP: only async-signal-safe calls.
void on_inheritable(int, siginfo_t* si, void* context) {
  greg_t* r = static_cast<ucontext_t*>(context)->uc_mcontext.gregs;
  const long nr = si->si_syscall;
  const char* path = opened_path(nr, r);
  if (path != nullptr && is_tolerated(path)) {
    r[REG_RAX] = open_close_on_exec(nr, r, path);
    return;
  }
  write_all("a descriptor without close-on-exec: ");
  for (const auto& rule : cloexec_rules)
    if (rule.nr == nr) write_all(rule.name);
  if (path != nullptr) {
    write_all(" ");
    write_all(path);
  }
  write_all("\n");
  ::_exit(g_inheritable_status);
}

}  // namespace

bool exit_on_inheritable_descriptors(int status, std::vector<std::string> tolerated) {
  g_inheritable_status = status;
  g_tolerated = std::move(tolerated);
  struct sigaction sa {};
  sa.sa_sigaction = on_inheritable;
  sa.sa_flags = SA_SIGINFO;
  if (::sigaction(SIGSYS, &sa, nullptr) != 0) return false;
  auto prog = x86_64_only();
  for (const auto& rule : cloexec_rules) append_rule(prog, rule);
  prog.push_back(stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
  return install_filter(prog);
}

bool enter_new_netns() {
  if (::unshare(CLONE_NEWNET) != 0) return false;
  fd s(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  ifreq ifr{};
  std::strcpy(ifr.ifr_name, "lo");
  if (::ioctl(s.get(), SIOCGIFFLAGS, &ifr) != 0) return false;
  ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
  return ::ioctl(s.get(), SIOCSIFFLAGS, &ifr) == 0;
}

int sh(const std::string& cmd) {
  std::fflush(nullptr);
  const int rc = std::system(cmd.c_str());
  if (rc != 0) std::fprintf(stderr, "command failed (%d): %s\n", rc, cmd.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

bool write_sysctl(const std::string& path, const std::string& value) {
  FILE* f = std::fopen(path.c_str(), "w");
  if (f == nullptr) return false;
  const bool ok = std::fputs(value.c_str(), f) >= 0;
  return std::fclose(f) == 0 && ok;
}

bool become_nobody() {
  constexpr uid_t nobody = 65534;
  return ::setgroups(0, nullptr) == 0 && ::setgid(nobody) == 0 && ::setuid(nobody) == 0 &&
         ::geteuid() == nobody;
}

dial::address to_address(const addr& a) {
  auto r = dial::address::from_native(a.sa(), a.len);
  if (!r) throw std::runtime_error("to_address: not a dial::address");
  return *r;
}

int int_option(int fd, int level, int name) {
  int v = -1;
  socklen_t len = sizeof v;
  if (::getsockopt(fd, level, name, &v, &len) != 0) return -1000 - errno;
  return v;
}

}  // namespace dial::test
