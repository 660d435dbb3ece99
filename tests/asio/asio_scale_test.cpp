// tests/asio/asio_scale_test.cpp: 10 000 races at once on one io_context thread, half to
// listeners and half refused, each completing exactly once; 1 000 cancelled in flight; an
// io_context run by two threads. Each in a fresh network namespace (a flood of loopback connects
// of its own), checked against the descriptor count.
#include "dial/asio.hpp"

#include <gtest/gtest.h>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/io_context.hpp>

#include <cstdio>
#include <fstream>
#include <mutex>
#include <optional>
#include <thread>

#include "netns_fixtures.hpp"

namespace {

namespace net = boost::asio;
using dial::connect_to_host_error;
using namespace std::chrono_literals;
namespace t = dial::test;
namespace conf = dial::test::conf;

constexpr int listeners = 10;  // 500 queued connections each: below the backlog, never accepted

struct targets {
  std::vector<t::listener> open, closed;
  t::scratch_dir dir;
  dial::connect_to_host_options options;
  targets() {
    for (int i = 0; i < listeners; ++i) {
      open.push_back(t::tcp_listener(AF_INET, 1024));
      closed.push_back(t::closed_tcp_port(AF_INET));
    }
    std::ofstream(dir / "hosts") << "127.0.0.1 scale.test\n";
    options.resolve.hosts_file = dir / "hosts";
    options.resolve.servers = {dial::address::loopback_ipv4(9)};
  }
  std::uint16_t port(int i) const {
    const auto& set = i % 2 == 0 ? open : closed;
    return set[static_cast<std::size_t>(i / 2 % listeners)].where.port();
  }
};

// n races on `io`; each index's completions counted and checked.
struct tally {
  std::vector<int> calls;
  std::vector<std::error_code> ec;
  explicit tally(int n) : calls(static_cast<std::size_t>(n)), ec(static_cast<std::size_t>(n)) {}
  auto handler(int i) {
    return [this, i](std::error_code e, net::ip::tcp::socket, dial::race_report) {
      ++calls[static_cast<std::size_t>(i)];
      ec[static_cast<std::size_t>(i)] = e;
    };  // the socket closes here
  }
};

int half_open_half_refused(int n, int threads) {
  targets tg;
  const int before = t::count_open_fds();
  tally tl(n);
  std::optional<net::io_context> io(std::in_place, threads);  // its own descriptors: epoll, ...
  std::mutex m;  // two threads: the handlers of different races may run at once
  for (int i = 0; i < n; ++i)
    dial::asio::async_connect_to_host(
        io->get_executor(), "scale.test", tg.port(i), tg.options,
        [&, i, h = tl.handler(i)](std::error_code e, net::ip::tcp::socket s,
                                  dial::race_report r) mutable {
          const std::lock_guard lock(m);
          h(e, std::move(s), std::move(r));
        });
  std::vector<std::thread> extra;
  for (int k = 1; k < threads; ++k) extra.emplace_back([&] { io->run(); });
  io->run();
  for (auto& th : extra) th.join();
  io.reset();
  for (int i = 0; i < n; ++i) {
    const auto k = static_cast<std::size_t>(i);
    CHILD_CHECK(tl.calls[k] == 1, "race " + std::to_string(i) + " completed " +
                                      std::to_string(tl.calls[k]) + " times");
    if (i % 2 == 0)
      CHILD_CHECK(!tl.ec[k], "race " + std::to_string(i) + ": " + tl.ec[k].message());
    else
      CHILD_CHECK(tl.ec[k] == connect_to_host_error::connection_refused, tl.ec[k].message());
  }
  CHILD_CHECK(t::count_open_fds() == before,
              "descriptors left: " + std::to_string(t::count_open_fds() - before));
  return 0;
}

TEST(AsioScale, TenThousandAtOnceOnOneThreadHalfOpenHalfRefused) {
  if (!t::is_root()) GTEST_SKIP() << t::needs_root;
  const int rc = conf::in_netns([] { return half_open_half_refused(10'000, 1); }, 120s);
  EXPECT_EQ(rc, 0) << conf::describe(rc);
}

TEST(AsioScale, TwoThreadsRunOneIoContext) {
  if (!t::is_root()) GTEST_SKIP() << t::needs_root;
  const int rc = conf::in_netns([] { return half_open_half_refused(2'000, 2); }, 120s);
  EXPECT_EQ(rc, 0) << conf::describe(rc);
}

TEST(AsioScale, ThousandCancelledInFlightEachCompleteOnceAsCanceled) {
  if (!t::is_root()) GTEST_SKIP() << t::needs_root;
  const int rc = conf::in_netns(
      [] {
        std::vector<t::full_listener> full;
        for (int i = 0; i < 4; ++i) full.push_back(t::full_tcp_listener(AF_INET));
        const int before = t::count_open_fds();
        constexpr int n = 1000;
        std::optional<net::io_context> io(std::in_place, 1);
        tally tl(n);
        std::vector<net::cancellation_signal> cancel(n);
        std::vector<std::size_t> attempts(n);
        for (int i = 0; i < n; ++i)
          dial::asio::async_connect_to_host(
              io->get_executor(), "127.0.0.1", full[static_cast<std::size_t>(i % 4)].l.where.port(),
              {},
              net::bind_cancellation_slot(
                  cancel[static_cast<std::size_t>(i)].slot(),
                  [&, i, h = tl.handler(i)](std::error_code e, net::ip::tcp::socket s,
                                            dial::race_report r) mutable {
                    for (const auto& a : r.attempts)
                      if (a.outcome_name() == "Canceled") ++attempts[static_cast<std::size_t>(i)];
                    h(e, std::move(s), std::move(r));
                  }));
        std::optional<net::steady_timer> timer(std::in_place, *io, 200ms);
        int in_flight = 0;
        timer->async_wait([&](auto) {
          in_flight = t::count_open_fds() - before;
          for (auto& c : cancel) c.emit(net::cancellation_type::terminal);
        });
        io->run();
        timer.reset();
        io.reset();
        CHILD_CHECK(in_flight >= n, "every attempt was in flight: " + std::to_string(in_flight));
        for (int i = 0; i < n; ++i) {
          const auto k = static_cast<std::size_t>(i);
          CHILD_CHECK(tl.calls[k] == 1, "completed " + std::to_string(tl.calls[k]) + " times");
          CHILD_CHECK(tl.ec[k] == connect_to_host_error::canceled, tl.ec[k].message());
          CHILD_CHECK(attempts[k] == 1, "its one attempt is in the report as Canceled");
        }
        CHILD_CHECK(t::count_open_fds() == before, "nothing leaks");
        return 0;
      },
      120s);
  EXPECT_EQ(rc, 0) << conf::describe(rc);
}

}  // namespace
