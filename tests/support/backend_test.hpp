// tests/support/backend_test.hpp: the fixture of tests run once per engine back-end.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "dial/engine.hpp"
#include "support.hpp"

namespace dial::test {

/// A test run once per engine back-end (INSTANTIATE_TEST_SUITE_P(Backends, Suite, both_backends(),
/// backend_name)): the io_uring run skips with the reason where io_uring is refused (a
/// container's seccomp profile), so that only the io_uring-only tests skip and epoll still runs.
class backend_test : public ::testing::TestWithParam<engine_backend> {
 protected:
  void SetUp() override {
    if (GetParam() == engine_backend::io_uring)
      if (const auto why = io_uring_refused()) GTEST_SKIP() << *why;
  }
};

/// The same, for tests that also need root (namespaces, cgroups): they skip with that reason.
class root_backend_test : public backend_test {
 protected:
  void SetUp() override {
    if (!is_root()) GTEST_SKIP() << needs_root;
    backend_test::SetUp();
  }
};

/// A sink that keeps every result's outcome (0: success, else the name's id) and its socket (a
/// keep_connections run's), by index; -1 for a target that got no result.
struct keeping_sink final : engine_sink {
  explicit keeping_sink(std::size_t n) : ids(n, -1), sockets(n) {}
  void on_result(const engine_result& r) override {
    ids.at(r.index) = r.outcome ? 0 : static_cast<int>(r.outcome.error());
    sockets.at(r.index) = r.take_socket();
  }
  std::vector<int> ids;
  std::vector<owned_socket> sockets;
};

/// Both back-ends, io_uring first.
inline auto both_backends() {
  return ::testing::Values(engine_backend::io_uring, engine_backend::epoll);
}

/// "io_uring" or "epoll", for the test names.
inline std::string backend_name(const ::testing::TestParamInfo<engine_backend>& p) {
  return std::string(dial::name(p.param));
}

}  // namespace dial::test
