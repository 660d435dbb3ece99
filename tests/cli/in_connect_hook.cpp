// tests/cli/in_connect_hook.cpp: dial_cli_in_connect_hook COMMAND ARG...: runs COMMAND in a
// scratch cgroup whose BPF connect hooks (IPv4 and IPv6) reject every connect, as the
// conformance tests' fixture does, so that connect fails with EPERM. Needs root: 77 without.
#include <fcntl.h>
#include <linux/bpf.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>

#include "netns_fixtures.hpp"

namespace conf = dial::test::conf;

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fputs("usage: dial_cli_in_connect_hook COMMAND ARG...\n", stderr);
    return 99;
  }
  if (::geteuid() != 0) {
    std::puts("skip: needs root (a cgroup and a BPF program); CI runs as root and must not skip");
    return 77;
  }
  const conf::scratch_cgroup cgroup;
  if (cgroup.path.empty()) return 99;
  const int dir = ::open(cgroup.path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  auto v4 = conf::load_connect_rejecter(BPF_CGROUP_INET4_CONNECT);
  auto v6 = conf::load_connect_rejecter(BPF_CGROUP_INET6_CONNECT);
  if (dir < 0 || v4.get() < 0 || v6.get() < 0 ||
      !conf::attach_program(dir, v4.get(), BPF_CGROUP_INET4_CONNECT) ||
      !conf::attach_program(dir, v6.get(), BPF_CGROUP_INET6_CONNECT)) {
    std::fputs("dial_cli_in_connect_hook: cannot attach the connect hooks\n", stderr);
    return 99;
  }
  const pid_t child = ::fork();
  if (child == 0) {
    if (!conf::join_cgroup(cgroup.path)) ::_exit(99);
    ::execvp(argv[1], argv + 1);
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  conf::detach_program(dir, v4.get(), BPF_CGROUP_INET4_CONNECT);
  conf::detach_program(dir, v6.get(), BPF_CGROUP_INET6_CONNECT);
  ::close(dir);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
