// tests/conformance/netns_fixtures.cpp: root-only fixtures for connect conformance (Linux).
#include "netns_fixtures.hpp"

#include <grp.h>
#include <linux/bpf.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace dial::test::conf {

std::string describe(int status) {
  switch (status) {
    case 0: return "success";
    case -1: return "child timed out";
    case setup_failed: return "setup_failed";
    case wrong_native_code: return "wrong_native_code";
    case too_few_signals: return "too_few_signals";
    case implausible_duration: return "implausible_duration";
    case leaked_descriptor: return "leaked_descriptor";
    case privileges_not_dropped: return "privileges_not_dropped";
    default: break;
  }
  const std::string_view n = name(static_cast<error_id>(status));
  return n.empty() ? "exit status " + std::to_string(status) : std::string(n);
}

int in_netns(const std::function<int()>& body, std::chrono::milliseconds limit) {
  return run_in_child(
      [&] {
        if (!enter_new_netns()) {
          std::perror("enter_new_netns");
          return static_cast<int>(setup_failed);
        }
        return body();
      },
      limit);
}

bool setup(const std::string& commands) { return commands.empty() || sh(commands) == 0; }

bool add_silent_link(const std::string& cidr) {
  return setup("ip link add d0 type veth peer name d0peer && ip addr add " + cidr +
               " dev d0 && ip link set d0 arp off && ip link set d0peer up && ip link set d0 up");
}

int outcome(const std::expected<void, connect_error>& r, int native) {
  if (r) return 0;
  if (last_native_error() != native) {
    std::fprintf(stderr, "connect gave %s with native code %d (%s), expected native code %d (%s)\n",
                 std::string(name(r.error())).c_str(), last_native_error(),
                 std::strerror(last_native_error()), native, std::strerror(native));
    return wrong_native_code;
  }
  return exit_code(r);
}

int connect_outcome(const addr& to, int native, int type) {
  const fd s = make_socket(to.family(), type);
  return outcome(dial::connect(s.get(), to.sa(), to.len), native);
}

int connect_in_netns(const std::string& commands, const std::string& host, int native, int type) {
  return in_netns([&] {
    if (!setup(commands)) return static_cast<int>(setup_failed);
    return connect_outcome(ip(host, 80), native, type);
  });
}

scratch_dir::~scratch_dir() {
  std::error_code ignored;
  std::filesystem::remove_all(path, ignored);
}

// ---- cgroup2 -------------------------------------------------------------------------------

std::string cgroup2_mount() {
  std::ifstream mounts("/proc/mounts");
  std::string line;
  while (std::getline(mounts, line)) {  // bounded by the file's length
    std::istringstream fields(line);
    std::string device, dir, type;
    if (fields >> device >> dir >> type && type == "cgroup2") return dir;
  }
  return {};
}

std::string own_cgroup2_dir() {
  std::ifstream self("/proc/self/cgroup");
  std::string line;
  while (std::getline(self, line))  // the v2 entry reads "0::/path"
    if (line.starts_with("0::")) return cgroup2_mount() + line.substr(3);
  return {};
}

bool join_cgroup(const std::string& dir) {
  std::ofstream procs(dir + "/cgroup.procs");
  procs << ::getpid() << std::flush;
  return procs.good();
}

scratch_cgroup::scratch_cgroup() {
  const std::string root = cgroup2_mount();
  if (root.empty()) return;
  static int serial = 0;
  const std::string dir =
      root + "/dial-conformance-" + std::to_string(::getpid()) + "-" + std::to_string(++serial);
  if (::mkdir(dir.c_str(), 0755) == 0) path = dir;
}

scratch_cgroup::~scratch_cgroup() {
  if (path.empty()) return;
  // A reaped child leaves its cgroup asynchronously: retry rmdir for at most about a second.
  for (int i = 0; i < 100 && ::rmdir(path.c_str()) != 0 && errno == EBUSY; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
}

// ---- cgroup-bpf ----------------------------------------------------------------------------

namespace {

int bpf(int cmd, bpf_attr& attr) {
  return static_cast<int>(::syscall(SYS_bpf, cmd, &attr, sizeof attr));
}

std::uint64_t pointer(const void* p) { return reinterpret_cast<std::uintptr_t>(p); }

}  // namespace

namespace {

// Loads `r0 = 0; exit` as a program of `type` for `attach_type`: a cgroup hook that rejects
// whatever it is attached to (the kernel then fails the call with EPERM).
fd load_rejecter(bpf_prog_type type, int attach_type) {
  const bpf_insn program[] = {
      {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .src_reg = 0, .off = 0, .imm = 0},
      {.code = BPF_JMP | BPF_EXIT, .dst_reg = 0, .src_reg = 0, .off = 0, .imm = 0},
  };
  static const char license[] = "GPL";
  bpf_attr attr{};
  attr.prog_type = type;
  attr.expected_attach_type = static_cast<std::uint32_t>(attach_type);
  attr.insns = pointer(program);
  attr.insn_cnt = sizeof program / sizeof program[0];
  attr.license = pointer(license);
  const int prog = bpf(BPF_PROG_LOAD, attr);
  if (prog < 0) std::perror("bpf(BPF_PROG_LOAD)");
  return fd(prog);
}

}  // namespace

fd load_connect_rejecter(int attach_type) {
  return load_rejecter(BPF_PROG_TYPE_CGROUP_SOCK_ADDR, attach_type);
}

fd load_socket_create_rejecter() {
  return load_rejecter(BPF_PROG_TYPE_CGROUP_SOCK, BPF_CGROUP_INET_SOCK_CREATE);
}

namespace {

bool program_at_cgroup(int cmd, int cgroup, int prog, int attach_type) {
  bpf_attr attr{};
  attr.target_fd = static_cast<std::uint32_t>(cgroup);
  attr.attach_bpf_fd = static_cast<std::uint32_t>(prog);
  attr.attach_type = static_cast<std::uint32_t>(attach_type);
  if (bpf(cmd, attr) == 0) return true;
  std::perror(cmd == BPF_PROG_ATTACH ? "bpf(BPF_PROG_ATTACH)" : "bpf(BPF_PROG_DETACH)");
  return false;
}

}  // namespace

bool attach_program(int cgroup, int prog, int attach_type) {
  return program_at_cgroup(BPF_PROG_ATTACH, cgroup, prog, attach_type);
}

bool detach_program(int cgroup, int prog, int attach_type) {
  return program_at_cgroup(BPF_PROG_DETACH, cgroup, prog, attach_type);
}

bool race_hosts(const std::vector<std::string>& drops) {
  std::string cmd =
      "ip link add d0 type veth peer name d0peer && ip link set d0peer up && ip link set d0 up";
  for (const char* ip :
       {"192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.10", "192.0.2.11", "192.0.2.30"})
    cmd += std::string(" && ip addr add ") + ip + "/24 dev d0";
  for (const char* ip :
       {"2001:db8::1", "2001:db8::2", "2001:db8::3", "2001:db8::10", "2001:db8::11"})
    cmd += std::string(" && ip -6 addr add ") + ip + "/64 dev d0 nodad";
  if (!drops.empty())
    cmd +=
        " && nft add table inet dialtest && nft add chain inet dialtest out"
        " '{ type filter hook output priority 0; }'";
  for (const auto& d : drops)
    cmd += std::string(" && nft add rule inet dialtest out ") +
           (d.find(':') != std::string::npos ? "ip6" : "ip") + " daddr " + d + " tcp dport " +
           std::to_string(race_port) + " drop";
  return setup(cmd);
}

listener race_listener(const std::string& ip) {
  addr at = test::ip(ip, race_port);
  fd s = make_socket(at.family(), SOCK_STREAM);
  const int one = 1;
  ::setsockopt(s.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(s.get(), at.sa(), at.len) != 0 || ::listen(s.get(), 16) != 0) return {};
  return {std::move(s), at};
}

}  // namespace dial::test::conf
