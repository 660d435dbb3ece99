// tests/support/support.hpp: real-kernel fixtures shared by dial's tests (Linux).
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "dial/dial.hpp"

namespace dial::test {

/// True when the tests run as root (network namespaces, cgroup hooks, setuid need it).
bool is_root();

/// The reason a root-only test gives when it skips (GTEST_SKIP() << needs_root) as non-root.
inline constexpr const char* needs_root =
    "needs root (network namespace / cgroup / setuid); CI runs as root and must not skip this";

/// The number of open descriptors of this process (entries of /proc/self/fd).
int count_open_fds();

/// An owned descriptor for tests: closes on destruction.
struct fd {
  int v = -1;
  fd() = default;
  explicit fd(int x) : v(x) {}
  fd(fd&& o) noexcept : v(o.v) { o.v = -1; }
  fd& operator=(fd&& o) noexcept;
  fd(const fd&) = delete;
  fd& operator=(const fd&) = delete;
  ~fd();
  int get() const { return v; }
  int release() {
    int x = v;
    v = -1;
    return x;
  }
};

/// A socket address with its exact length.
struct addr {
  sockaddr_storage ss{};
  socklen_t len = 0;
  const sockaddr* sa() const { return reinterpret_cast<const sockaddr*>(&ss); }
  sockaddr* sa() { return reinterpret_cast<sockaddr*>(&ss); }
  int family() const { return ss.ss_family; }
  std::uint16_t port() const;
};

/// Numeric IPv4/IPv6 address and port ("127.0.0.1", "::1", "192.0.2.1").
addr ip(const std::string& host, std::uint16_t port);
/// A Unix path address; "@name" gives a Linux abstract name.
addr unix_path(const std::string& path);

/// A new socket (close-on-exec) or a test failure; `flags` may carry SOCK_NONBLOCK.
fd make_socket(int family, int type, int flags = 0);

/// A TCP listener on loopback (127.0.0.1 or ::1) with an ephemeral port.
struct listener {
  fd sock;
  addr where;
};
listener tcp_listener(int family, int backlog = 128);

/// A loopback port nobody listens on: a bound socket that never listens keeps the port reserved
/// and answers SYNs with RST. Keep the returned object alive while using the address.
listener closed_tcp_port(int family);

/// A Unix stream listener at `path` (unlinked first; "@name" is abstract).
listener unix_listener(const std::string& path, int backlog = 16, int type = SOCK_STREAM);

/// A listener whose accept queue is full: SYNs (TCP) or connects (Unix) are not answered until
/// the queued connection is accepted. `queued` keeps the connection that fills the queue.
struct full_listener {
  listener l;
  fd queued;
};
full_listener full_tcp_listener(int family);
full_listener full_unix_listener(const std::string& path);

/// A fresh temporary directory; the caller removes it (prefer scratch_dir).
std::string temp_dir();

/// A fresh temporary directory removed with everything in it when the object dies.
struct scratch_dir {
  std::string path = temp_dir();
  scratch_dir() = default;
  scratch_dir(const scratch_dir&) = delete;
  scratch_dir& operator=(const scratch_dir&) = delete;
  ~scratch_dir();
  std::string operator/(const std::string& leaf) const { return path + "/" + leaf; }
};

/// Runs `body` in a forked child and returns its exit status (0..255), or 128+signal when it was
/// killed, or -1 when it did not finish within `limit` (it is then killed). The child's
/// stdout/stderr go to the test's. Use for anything that changes the process for good: network
/// namespaces, seccomp filters, setuid.
int run_in_child(const std::function<int()>& body,
                 std::chrono::milliseconds limit = std::chrono::seconds(30));

/// In the calling process (a child), make every later `syscall_nr` return -1 with errno `err`
/// through a seccomp filter; with `first_arg`, only the calls whose first argument is that value
/// (a descriptor, an address family). Irreversible: call it only from run_in_child. Returns
/// false if the kernel refused.
bool inject_errno(long syscall_nr, int err, std::optional<int> first_arg = std::nullopt);

/// Why io_uring cannot be used here ("io_uring refused here: ..." with the name and errno that
/// engine::create gave), or nothing when it works. The io_uring tests skip with this reason:
/// a container's seccomp profile (Docker's default) or kernel.io_uring_disabled refuses it.
/// DIAL_TEST_REFUSE_IO_URING=1 in the environment makes this process refuse io_uring_setup
/// (EPERM) from its start, as such a profile does: ctest's engine.io_uring_refused_skips runs the
/// io_uring tests that way and requires that they skip.
std::optional<std::string> io_uring_refused();

/// In the calling process (a child): from now on, a call that makes a descriptor that a child
/// would inherit across exec prints the call (and the path, for the opens) to stderr and ends the
/// process with `status` (a seccomp filter and a SIGSYS handler). Checked: socket, socketpair,
/// accept4, open, openat, pipe2, dup3, epoll_create1 and eventfd2 without their CLOEXEC flag,
/// fcntl(F_DUPFD), and accept, creat, pipe, dup, dup2, epoll_create and eventfd, which cannot
/// set it. An open of a path in `tolerated` (a library's own file that dial cannot change) is
/// carried out with O_CLOEXEC added instead. Irreversible: call it only from run_in_child.
/// Returns false if the kernel refused.
bool exit_on_inheritable_descriptors(int status, std::vector<std::string> tolerated = {});

/// For exit_on_inheritable_descriptors: the file c-ares 1.18 opens itself without close-on-exec
/// and dial cannot change, /dev/urandom (its query-id seed, fopen(path, "rb") inside
/// ares_init_options; docs/dialer.md).
inline const std::vector<std::string> c_ares_own_files{"/dev/urandom"};

/// In the calling process (a child): drops to nobody/nogroup (65534) for good. False when that
/// failed (not root, or setuid refused).
bool become_nobody();

/// A test address as a dial::address (throws std::runtime_error if it is not one).
dial::address to_address(const addr& a);

/// getsockopt of an int option: its value, or -1000 - errno when getsockopt fails.
int int_option(int fd, int level, int name);

/// In the calling process (a child): move into a new network namespace with `lo` up. Needs root.
bool enter_new_netns();

/// Runs a shell command; returns its exit status. Used for `ip` inside a private namespace.
int sh(const std::string& cmd);

/// Writes `value` to a /proc/sys file (inside the current network namespace for net.*).
bool write_sysctl(const std::string& path, const std::string& value);

/// Encodes a dial result as a child exit status: 0 for success, the error id otherwise.
template <class E>
int exit_code(const std::expected<void, E>& r) {
  return r ? 0 : static_cast<int>(r.error());
}

}  // namespace dial::test
