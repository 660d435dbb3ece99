// tests/unit/poll_test.cpp: dial::poll, every line of its table (real kernel, injection, death
// test), and EINTR retried with the time that remains.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <thread>

#include "dial/dial.hpp"
#include "sibling_support.hpp"
#include "support.hpp"

namespace {

using dial::poll_error;
using namespace std::chrono_literals;
namespace t = dial::test;
namespace sib = dial::test::sib;
using ::testing::KilledBySignal;
using clock_type = std::chrono::steady_clock;

TEST(Poll, ReportsReadinessAndRunsOutOfTime) {
  auto p = sib::connected_tcp();
  std::array<dial::poll_fd, 2> fds{{{p.client.get(), dial::poll_in, 0}, {-1, dial::poll_in, 0}}};
  auto n = dial::poll(fds, 0);
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 0u);  // nothing to read yet: the time ran out at once
  ASSERT_EQ(::send(p.server.get(), "x", 1, 0), 1);
  n = dial::poll(fds, 5000);
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 1u);
  EXPECT_TRUE(fds[0].revents & dial::poll_in);
  EXPECT_EQ(fds[1].revents, 0);  // a negative descriptor is skipped
}

TEST(Poll, WaitsForTheTimeout) {
  auto p = sib::connected_tcp();
  std::array<dial::poll_fd, 1> fds{{{p.client.get(), dial::poll_in, 0}}};
  const auto start = clock_type::now();
  auto n = dial::poll(fds, 50);
  const auto took = clock_type::now() - start;
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 0u);
  EXPECT_GE(took, 49ms);
  EXPECT_LT(took, 2s);
}

TEST(Poll, ProcessFdQuotaExceededForMoreEntriesThanTheDescriptorLimit) {
  const int rc = t::run_in_child([] {
    rlimit lim{};
    ::getrlimit(RLIMIT_NOFILE, &lim);
    lim.rlim_cur = 16;  // lowered after start, as prlimit can do from outside
    if (::setrlimit(RLIMIT_NOFILE, &lim) != 0) return static_cast<int>(sib::setup_failed);
    std::array<dial::poll_fd, 32> fds{};
    for (auto& f : fds) f = {-1, dial::poll_in, 0};
    auto n = dial::poll(fds, 0);
    if (!n && dial::last_native_error() != EINVAL) return static_cast<int>(sib::lost_native_code);
    return sib::code_of(n);
  });
  EXPECT_EQ(rc, sib::code(poll_error::process_fd_quota_exceeded));
}

TEST(Poll, InterruptedPollKeepsItsDeadline) {
  // Interrupted every 5 ms, a 300 ms poll still ends after about 300 ms: each retry waits only
  // for what remains. A retry with the whole timeout would never end (the child is killed).
  const int rc = t::run_in_child(
      [] {
        sib::interruptions counted;
        auto p = sib::connected_tcp();
        std::array<dial::poll_fd, 1> fds{{{p.client.get(), dial::poll_in, 0}}};
        std::expected<std::size_t, poll_error> n;
        const auto start = clock_type::now();
        {
          sib::signal_storm storm(::pthread_self(), 5ms);
          n = dial::poll(fds, 300);
        }
        const auto took = clock_type::now() - start;
        if (counted.count() < 10) return 150;  // the storm must have hit the wait
        if (took < 295ms || took > 1500ms) return 151;
        if (n && *n != 0) return 152;
        return sib::code_of(n);
      },
      10s);
  EXPECT_EQ(rc, 0);
}

TEST(Poll, InterruptedPollWithoutATimeoutSeesTheData) {
  const int rc = t::run_in_child(
      [] {
        sib::interruptions counted;
        auto p = sib::connected_tcp();
        std::thread sender([&] {
          std::this_thread::sleep_for(200ms);
          (void)::send(p.server.get(), "x", 1, 0);
        });
        std::array<dial::poll_fd, 1> fds{{{p.client.get(), dial::poll_in, 0}}};
        std::expected<std::size_t, poll_error> n;
        {
          sib::signal_storm storm(::pthread_self(), 2ms);
          n = dial::poll(fds, -1);
        }
        sender.join();
        if (counted.count() < 10) return 150;
        if (n && (*n != 1 || !(fds[0].revents & dial::poll_in))) return 151;
        return sib::code_of(n);
      },
      10s);
  EXPECT_EQ(rc, 0);
}

TEST(Poll, AnArrayOfTheSystemsPollfdCanBePassed) {
  auto p = sib::connected_tcp();
  ASSERT_EQ(::send(p.server.get(), "x", 1, 0), 1);
  pollfd sys[1] = {{p.client.get(), POLLIN, 0}};
  auto n = dial::poll(std::span(reinterpret_cast<dial::poll_fd*>(sys), 1), 5000);
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 1u);
  EXPECT_TRUE(sys[0].revents & POLLIN);
}

// ---- every line of the table, injected ----------------------------------------------------

// The seccomp filter compares the low 32 bits of the first argument: for ppoll, the array.
int array_key(const dial::poll_fd* fds) {
  return static_cast<int>(static_cast<std::uint32_t>(reinterpret_cast<std::uintptr_t>(fds)));
}

int injected_poll(int code) {
  std::array<dial::poll_fd, 1> fds{{{-1, dial::poll_in, 0}}};
  return sib::injected(SYS_ppoll, code, array_key(fds.data()), [&] { return dial::poll(fds, 0); });
}

class PollTable : public ::testing::TestWithParam<sib::line<poll_error>> {};

TEST_P(PollTable, MapsTheInjectedCodeToItsName) {
  EXPECT_EQ(injected_poll(GetParam().code), sib::code(GetParam().want));
}

INSTANTIATE_TEST_SUITE_P(Table, PollTable,
                         ::testing::Values(DIAL_LINE(poll_error, ENOMEM, system_resources),
                                           DIAL_LINE(poll_error, ENOBUFS, system_resources),
                                           DIAL_LINE(poll_error, EINVAL,
                                                     process_fd_quota_exceeded)),
                         sib::line_name<poll_error>);

INSTANTIATE_TEST_SUITE_P(OutsideTheTable, PollTable,
                         ::testing::Values(DIAL_LINE(poll_error, EIO, unexpected),
                                           DIAL_LINE(poll_error, EBADF, unexpected)),
                         sib::line_name<poll_error>);

TEST(PollInjection, InjectedBadPointerTraps) { EXPECT_EQ(injected_poll(EFAULT), sib::trapped); }

TEST(PollErrorFromNative, IsThePureTable) {
  EXPECT_EQ(dial::poll_error_from_native(ENOMEM), poll_error::system_resources);
  EXPECT_EQ(dial::last_native_error(), ENOMEM);
}

class PollTrapDeathTest : public ::testing::Test {
 protected:
  void SetUp() override { GTEST_FLAG_SET(death_test_style, "threadsafe"); }
};

TEST_F(PollTrapDeathTest, ArrayOutsideTheAddressSpaceTraps) {
  const std::span<dial::poll_fd> wild(reinterpret_cast<dial::poll_fd*>(std::uintptr_t{16}), 1);
  EXPECT_EXIT((void)dial::poll(wild, 0), KilledBySignal(SIGABRT),
              "programmer error trapped in poll: EFAULT");
}

}  // namespace
