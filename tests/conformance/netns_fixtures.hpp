// tests/conformance/netns_fixtures.hpp: root-only fixtures for connect conformance (Linux).
#pragma once

#include <chrono>
#include <cstdio>
#include <expected>
#include <functional>
#include <string>
#include <vector>

#include "dial/dial.hpp"
#include "support.hpp"

/// In a child: if `cond` is false, print where and `what` (a string) and return 1 (the child
/// fails with that status).
#define CHILD_CHECK(cond, what)                                                           \
  do {                                                                                    \
    if (!(cond)) {                                                                        \
      std::fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, std::string(what).c_str()); \
      return 1;                                                                           \
    }                                                                                     \
  } while (0)

namespace dial::test::conf {

/// The port every race test's hosts listen on.
inline constexpr std::uint16_t race_port = 8080;

/// In the current namespace: the race tests' hosts, addresses on a veth (d0) whose peer (up, no
/// address) drops everything: 192.0.2.1-3, .10, .11, .30 and 2001:db8::1-3, ::10, ::11.
/// `drops`: addresses whose TCP packets to race_port nftables drops on output. False if any
/// command failed.
bool race_hosts(const std::vector<std::string>& drops);

/// A TCP listener on `ip`:race_port (SO_REUSEADDR, backlog 16); an empty one on failure.
listener race_listener(const std::string& ip);

/// Exit statuses a child uses when something other than the connect result went wrong. They lie
/// above every error id, so a test's EXPECT_EQ on an error name can never mistake one for it.
enum child_status : int {
  setup_failed = 100,     ///< namespace, device, sysctl, cgroup or BPF setup failed
  wrong_native_code,      ///< the right name, but last_native_error() is not the expected errno
  too_few_signals,        ///< the signal storm did not interrupt the connect often enough
  implausible_duration,   ///< a timeout ended far too early or too late
  leaked_descriptor,      ///< a failed connect changed the number of open descriptors
  privileges_not_dropped  ///< setgid/setuid to the unprivileged user failed
};

/// The exit status a child returns for a connect that failed with `e`.
constexpr int code(connect_error e) { return static_cast<int>(e); }

/// Describes a child's exit status for a failure message: "NetworkUnreachable", "success",
/// "wrong_native_code", ...
std::string describe(int status);

/// Runs `body` in a forked child that first enters a new network namespace with `lo` up.
int in_netns(const std::function<int()>& body,
             std::chrono::milliseconds limit = std::chrono::seconds(30));

/// Runs shell commands (`ip ...`) in the current namespace; false if any failed.
bool setup(const std::string& commands);

/// In the current namespace: the device `d0` holding `cidr`, one end of a veth pair whose other
/// end (`d0peer`) is up but has no address, so frames sent to it are dropped. ARP is off on d0:
/// with ARP on, the unanswered neighbour lookup fails a connect with EHOSTUNREACH after about
/// 3 s, racing the SYN timeout. (This kernel has no `dummy` driver: CONFIG_DUMMY is not set.)
bool add_silent_link(const std::string& cidr);

/// The child's status for a connect result: 0 on success, else the error id; but
/// wrong_native_code (after printing why) when the error's native code is not `native`.
int outcome(const std::expected<void, connect_error>& r, int native);

/// Connects a new socket of `type` to `to` with dial::connect and encodes it as outcome() does.
int connect_outcome(const addr& to, int native, int type = SOCK_STREAM);

/// In a new namespace: runs `commands`, connects a `type` socket to host:port and returns the
/// encoded outcome.
int connect_in_netns(const std::string& commands, const std::string& host, int native,
                     int type = SOCK_STREAM);

using test::become_nobody;  // tests/support

/// A temporary directory removed with everything in it on destruction.
struct scratch_dir {
  std::string path = temp_dir();
  scratch_dir() = default;
  scratch_dir(const scratch_dir&) = delete;
  scratch_dir& operator=(const scratch_dir&) = delete;
  ~scratch_dir();
};

/// A child cgroup under the cgroup2 mount, created by the parent and removed on destruction
/// (waiting a bounded time for the kernel to let go of exited members).
struct scratch_cgroup {
  std::string path;  ///< empty when no cgroup2 mount was found or mkdir failed
  scratch_cgroup();
  scratch_cgroup(const scratch_cgroup&) = delete;
  scratch_cgroup& operator=(const scratch_cgroup&) = delete;
  ~scratch_cgroup();
};

/// Where cgroup2 is mounted (/sys/fs/cgroup/unified on hybrid systems, /sys/fs/cgroup on pure
/// v2 ones), from /proc/mounts; empty if it is not mounted.
std::string cgroup2_mount();

/// The calling process's own cgroup2 directory (from /proc/self/cgroup), to move back into.
std::string own_cgroup2_dir();

/// Moves the calling process into the cgroup at `dir` (writes its pid to cgroup.procs).
bool join_cgroup(const std::string& dir);

/// A loaded BPF_PROG_TYPE_CGROUP_SOCK_ADDR program for `attach_type` (BPF_CGROUP_INET4_CONNECT
/// or BPF_CGROUP_INET6_CONNECT) that rejects every connect: `r0 = 0; exit`. Invalid on failure.
fd load_connect_rejecter(int attach_type);

/// A loaded BPF_PROG_TYPE_CGROUP_SOCK program for BPF_CGROUP_INET_SOCK_CREATE that rejects the
/// creation of every IPv4 and IPv6 socket (socket() then fails with EPERM, io_uring's
/// IORING_OP_SOCKET too): `r0 = 0; exit`. Invalid on failure.
fd load_socket_create_rejecter();

/// Attaches or detaches `prog` at the cgroup directory descriptor `cgroup`.
bool attach_program(int cgroup, int prog, int attach_type);
bool detach_program(int cgroup, int prog, int attach_type);

}  // namespace dial::test::conf
