// tests/conformance/engine_socket_hook_test.cpp: the engine when the kernel refuses to create
// its sockets (a cgroup BPF_CGROUP_INET_SOCK_CREATE hook): every connect ends with socket()'s
// name and the run returns. On io_uring a failed IORING_OP_SOCKET posts its own completion
// only (the rest of its chain is cancelled without one), so this is the test that the engine
// does not wait for a completion that never comes.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/bpf.h>
#include <sys/socket.h>

#include <cerrno>
#include <string>
#include <vector>

#include "backend_test.hpp"
#include "dial/engine.hpp"
#include "netns_fixtures.hpp"

namespace {

namespace t = dial::test;
namespace conf = dial::test::conf;
using dial::engine_backend;
using dial::engine_connect_error;

/// Counts results whose name is AccessDenied with EPERM, and any other.
class counting_sink final : public dial::engine_sink {
 public:
  void on_result(const dial::engine_result& r) override {
    if (!r.outcome && r.outcome.error() == engine_connect_error::access_denied &&
        r.native_code == EPERM)
      ++denied;
    else
      ++other;
  }
  std::size_t denied = 0;
  std::size_t other = 0;
};

// In a child inside `cgroup` with the hook attached: the engine's run over `n` loopback targets.
// 0 when every result was AccessDenied (EPERM); otherwise a code saying what went wrong.
int run_with_hook(const std::string& cgroup, engine_backend b, bool keep) {
  return conf::in_netns([&] {
    const std::string home = conf::own_cgroup2_dir();
    if (home.empty() || !conf::join_cgroup(cgroup)) return static_cast<int>(conf::setup_failed);
    const t::listener l = t::tcp_listener(AF_INET, 256);  // made before the hook: it works
    const auto to = dial::address::from_native(l.where.sa(), l.where.len);
    dial::engine_options o;
    o.backend = b;
    o.concurrency = 64;
    o.threads = 1;
    o.timeout = std::chrono::seconds(30);  // a lost completion would show as a 30 s run
    o.keep_connections = keep;
    auto e = dial::engine::create(o);
    int rc = 0;
    {
      const t::fd dir(::open(cgroup.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
      const t::fd prog = conf::load_socket_create_rejecter();
      if (!to || !e || dir.get() < 0 || prog.get() < 0 ||
          !conf::attach_program(dir.get(), prog.get(), BPF_CGROUP_INET_SOCK_CREATE))
        return static_cast<int>(conf::setup_failed);
      const std::vector<dial::address> targets(300, *to);
      counting_sink sink;
      const auto start = std::chrono::steady_clock::now();
      const std::size_t delivered = e->run(targets, sink);
      const auto took = std::chrono::steady_clock::now() - start;
      conf::detach_program(dir.get(), prog.get(), BPF_CGROUP_INET_SOCK_CREATE);
      if (delivered != targets.size() || sink.denied + sink.other != targets.size())
        rc = 91;
      else if (sink.other != 0)
        rc = 92;
      else if (took >= std::chrono::seconds(30))
        rc = 93;  // waited for the deadline
    }
    return conf::join_cgroup(home) ? rc : static_cast<int>(conf::setup_failed);
  });
}

class EngineSocketHook : public t::root_backend_test {};

TEST_P(EngineSocketHook, EveryConnectEndsWithSocketsNameAndTheRunReturns) {
  const conf::scratch_cgroup cgroup;
  ASSERT_FALSE(cgroup.path.empty()) << "no cgroup2 mount in /proc/mounts, or mkdir failed";
  for (const bool keep : {false, true}) {
    const int rc = run_with_hook(cgroup.path, GetParam(), keep);
    EXPECT_EQ(rc, 0) << "keep_connections " << keep << ": " << conf::describe(rc);
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, EngineSocketHook, t::both_backends(), t::backend_name);

}  // namespace
