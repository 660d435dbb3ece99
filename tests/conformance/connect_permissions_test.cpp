// tests/conformance/connect_permissions_test.cpp: Unix path permissions and a cgroup connect hook.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/bpf.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <cerrno>
#include <string>

#include "netns_fixtures.hpp"

namespace {

using dial::connect_error;
namespace t = dial::test;
namespace conf = dial::test::conf;
using conf::code;
using conf::describe;

// ---- Unix socket paths, as an unprivileged user ---------------------------------------------

// The outcome of a connect to the Unix socket at `path` by a child that dropped root for nobody.
int nobody_connects(const std::string& path) {
  return t::run_in_child([&] {
    if (!conf::become_nobody()) return static_cast<int>(conf::privileges_not_dropped);
    return conf::connect_outcome(t::unix_path(path), EACCES);
  });
}

TEST(ConnectPermissions, UnixSocketWithoutWritePermissionIsAccessDenied) {
  if (!t::is_root()) GTEST_SKIP() << t::needs_root;
  const conf::scratch_dir dir;  // 0755: nobody may search it
  const std::string path = dir.path + "/s";
  const t::listener l = t::unix_listener(path);
  ASSERT_EQ(::chmod(path.c_str(), 0755), 0);  // no write for group or others
  const int denied = nobody_connects(path);
  EXPECT_EQ(denied, code(connect_error::access_denied)) << describe(denied);
  // The control: once others may write to the socket file, the same user connects.
  ASSERT_EQ(::chmod(path.c_str(), 0777), 0);
  const int allowed = nobody_connects(path);
  EXPECT_EQ(allowed, 0) << describe(allowed);
}

TEST(ConnectPermissions, UnixPathWithoutSearchPermissionIsAccessDenied) {
  if (!t::is_root()) GTEST_SKIP() << t::needs_root;
  const conf::scratch_dir dir;
  const std::string locked = dir.path + "/locked";
  const std::string path = locked + "/s";
  ASSERT_EQ(::mkdir(locked.c_str(), 0755), 0);
  const t::listener l = t::unix_listener(path);
  ASSERT_EQ(::chmod(path.c_str(), 0777), 0);    // the socket file itself is writable by all
  ASSERT_EQ(::chmod(locked.c_str(), 0744), 0);  // others may list the directory, not search it
  const int denied = nobody_connects(path);
  EXPECT_EQ(denied, code(connect_error::access_denied)) << describe(denied);
  // The control: with search permission on the directory, the same user connects.
  ASSERT_EQ(::chmod(locked.c_str(), 0755), 0);
  const int allowed = nobody_connects(path);
  EXPECT_EQ(allowed, 0) << describe(allowed);
}

// ---- a cgroup-bpf connect hook --------------------------------------------------------------

// A program rejecting every connect, attached to a cgroup for as long as this object lives.
class attached_rejecter {
 public:
  attached_rejecter(int cgroup, int attach_type)
      : cgroup_(cgroup), type_(attach_type), prog_(conf::load_connect_rejecter(attach_type)) {
    attached_ = prog_.get() >= 0 && conf::attach_program(cgroup_, prog_.get(), type_);
  }
  attached_rejecter(const attached_rejecter&) = delete;
  attached_rejecter& operator=(const attached_rejecter&) = delete;
  ~attached_rejecter() {
    if (attached_) conf::detach_program(cgroup_, prog_.get(), type_);
  }
  bool attached() const { return attached_; }

 private:
  int cgroup_;
  int type_;
  t::fd prog_;
  bool attached_ = false;
};

// In a child inside `cgroup`: a loopback connect of `family` under a rejecting hook.
int connect_with_hook(const std::string& cgroup, int family) {
  const t::fd dir(::open(cgroup.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  const t::listener l = t::tcp_listener(family);
  // The control: without the hook the listener accepts, so only the hook can refuse later.
  if (dir.get() < 0 || conf::connect_outcome(l.where, 0) != 0)
    return static_cast<int>(conf::setup_failed);
  const attached_rejecter hook(
      dir.get(), family == AF_INET ? BPF_CGROUP_INET4_CONNECT : BPF_CGROUP_INET6_CONNECT);
  if (!hook.attached()) return static_cast<int>(conf::setup_failed);
  return conf::connect_outcome(l.where, EPERM);
}

// Runs connect_with_hook in a child moved into `cgroup`, which detaches the hook and moves back
// to its own cgroup before it exits.
int hooked_connect(const std::string& cgroup, int family) {
  return conf::in_netns([&] {
    const std::string home = conf::own_cgroup2_dir();
    if (home.empty() || !conf::join_cgroup(cgroup)) return static_cast<int>(conf::setup_failed);
    const int rc = connect_with_hook(cgroup, family);
    return conf::join_cgroup(home) ? rc : static_cast<int>(conf::setup_failed);
  });
}

TEST(ConnectPermissions, CgroupConnectHookIsPermissionDenied) {
  if (!t::is_root()) GTEST_SKIP() << t::needs_root;
  const conf::scratch_cgroup cgroup;  // the parent removes it once the children are gone
  ASSERT_FALSE(cgroup.path.empty()) << "no cgroup2 mount in /proc/mounts, or mkdir failed";
  const int v4 = hooked_connect(cgroup.path, AF_INET);
  EXPECT_EQ(v4, code(connect_error::permission_denied)) << describe(v4);
  const int v6 = hooked_connect(cgroup.path, AF_INET6);
  EXPECT_EQ(v6, code(connect_error::permission_denied)) << describe(v6);
}

}  // namespace
