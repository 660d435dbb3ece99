// tests/asio/asio_test.cpp: dial/asio.hpp on loopback: every completion token, refusal, the
// deadline, cancellation (Asio's and the stop token), and from_error_code.
#include "dial/asio.hpp"

#include <gtest/gtest.h>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>

#include <fstream>
#include <thread>

#include "support.hpp"

namespace {

namespace net = boost::asio;
using dial::connect_to_host_error;
using dial::asio::async_connect_to_host;
using tcp = net::ip::tcp;
using namespace std::chrono_literals;
namespace t = dial::test;
using steady = std::chrono::steady_clock;

// A hosts file naming `name` with `ips`, and options that read it and would send any DNS query
// to a loopback port where nothing listens (so no query can leave the machine).
struct names {
  t::scratch_dir dir;
  dial::connect_to_host_options options;
  explicit names(const std::vector<std::string>& ips, const std::string& name = "asio.test") {
    const std::string path = dir / "hosts";
    std::ofstream out(path);
    for (const auto& ip : ips) out << ip << ' ' << name << '\n';
    options.resolve.hosts_file = path;
    options.resolve.servers = {dial::address::loopback_ipv4(9)};
  }
};

struct outcome {
  int calls = 0;
  std::error_code ec;
  tcp::socket sock;
  dial::race_report report;
  explicit outcome(net::io_context& io) : sock(io) {}
  auto handler() {
    return [this](std::error_code e, tcp::socket s, dial::race_report r) {
      ++calls;
      ec = e;
      sock = std::move(s);
      report = std::move(r);
    };
  }
};

// A TCP listener at ip:port (port 0: ephemeral) whose accept queue is full: SYNs go unanswered.
t::full_listener full_at(const std::string& ip, std::uint16_t port) {
  t::addr at = t::ip(ip, port);
  t::fd s = t::make_socket(at.family(), SOCK_STREAM);
  if (::bind(s.get(), at.sa(), at.len) != 0 || ::listen(s.get(), 0) != 0) return {};
  ::getsockname(s.get(), at.sa(), &at.len);
  t::full_listener f{{std::move(s), at}, t::make_socket(at.family(), SOCK_STREAM)};
  if (::connect(f.queued.get(), at.sa(), at.len) != 0) return {};
  return f;
}

TEST(AsioConnect, HostsFileNameConnectsWithACallback) {
  auto l = t::tcp_listener(AF_INET);
  names n({"127.0.0.1"});
  net::io_context io;
  outcome o(io);
  async_connect_to_host(io.get_executor(), "asio.test", l.where.port(), n.options, o.handler());
  EXPECT_EQ(o.calls, 0) << "never called from inside the initiating function";
  io.run();
  ASSERT_EQ(o.calls, 1);
  ASSERT_FALSE(o.ec) << o.ec.message();
  ASSERT_TRUE(o.sock.is_open());
  EXPECT_TRUE(o.sock.get_executor() == net::any_io_executor(io.get_executor()));
  EXPECT_EQ(o.sock.remote_endpoint(),
            tcp::endpoint(net::ip::make_address("127.0.0.1"), l.where.port()));
  ASSERT_EQ(o.report.attempts.size(), 1u);
  EXPECT_EQ(o.report.attempts[0].outcome_name(), "Connected");
  EXPECT_EQ(o.report.attempts[0].to, dial::address::loopback_ipv4(l.where.port()));
  ASSERT_EQ(o.report.lookups.size(), 2u);  // AAAA (none in the file) and A
}

TEST(AsioConnect, ExecutionContextOverloadAndNumericIpv6) {
  auto l = t::tcp_listener(AF_INET6);
  net::io_context io;
  outcome o(io);
  async_connect_to_host(io, "::1", l.where.port(), {}, o.handler());
  io.run();
  ASSERT_EQ(o.calls, 1);
  ASSERT_FALSE(o.ec) << o.ec.message();
  EXPECT_EQ(o.sock.remote_endpoint().address(), net::ip::make_address("::1"));
}

TEST(AsioConnect, AwaitableGivesTheTupleWithoutThrowing) {
  auto l = t::tcp_listener(AF_INET);
  auto closed = t::closed_tcp_port(AF_INET);
  names n({"127.0.0.1"});
  net::io_context io;
  int done = 0;
  net::co_spawn(
      io,
      [&]() -> net::awaitable<void> {
        auto ex = co_await net::this_coro::executor;
        auto [ec, sock, report] = co_await async_connect_to_host(ex, "asio.test", l.where.port(),
                                                                 n.options, net::use_awaitable);
        EXPECT_FALSE(ec) << ec.message();
        EXPECT_TRUE(sock.is_open());
        EXPECT_EQ(report.attempts.size(), 1u);
        auto [ec2, sock2, report2] = co_await async_connect_to_host(
            ex, "asio.test", closed.where.port(), n.options, net::use_awaitable);
        EXPECT_EQ(ec2, connect_to_host_error::connection_refused);
        EXPECT_FALSE(sock2.is_open());
        EXPECT_EQ(report2.attempts.size(), 1u);
        ++done;
      },
      net::detached);
  io.run();
  EXPECT_EQ(done, 1);
}

TEST(AsioConnect, FutureFromAnotherThread) {
  auto l = t::tcp_listener(AF_INET);
  names n({"127.0.0.1"});
  net::io_context io;
  auto work = net::make_work_guard(io);
  std::thread runner([&] { io.run(); });
  auto f = async_connect_to_host(io.get_executor(), "asio.test", l.where.port(), n.options,
                                 net::use_future);
  auto [ec, sock, report] = f.get();
  work.reset();
  runner.join();
  EXPECT_FALSE(ec) << ec.message();
  EXPECT_TRUE(sock.is_open());
  EXPECT_EQ(report.attempts.size(), 1u);
}

TEST(AsioConnect, DeferredStartsWhenInvokedAndOwnsItsArguments) {
  auto l = t::tcp_listener(AF_INET);
  names n({"127.0.0.1"});
  net::io_context io;
  outcome o(io);
  auto host = std::make_unique<std::string>("asio.test");
  auto options = std::make_unique<dial::connect_to_host_options>(n.options);
  auto op =
      async_connect_to_host(io.get_executor(), *host, l.where.port(), *options, net::deferred);
  host.reset();  // the deferred operation copied both
  options.reset();
  io.run();
  EXPECT_EQ(o.calls, 0) << "nothing ran before the deferred operation was invoked";
  io.restart();
  std::move(op)(o.handler());
  io.run();
  ASSERT_EQ(o.calls, 1);
  EXPECT_FALSE(o.ec) << o.ec.message();
  EXPECT_TRUE(o.sock.is_open());
}

TEST(AsioConnect, RefusedComparesAsDialAndStdNames) {
  auto closed = t::closed_tcp_port(AF_INET);
  names n({"127.0.0.1"});
  net::io_context io;
  outcome o(io);
  const int before = t::count_open_fds();
  async_connect_to_host(io.get_executor(), "asio.test", closed.where.port(), n.options,
                        o.handler());
  io.run();
  ASSERT_EQ(o.calls, 1);
  EXPECT_EQ(o.ec, connect_to_host_error::connection_refused);
  EXPECT_EQ(o.ec, std::errc::connection_refused);
  EXPECT_EQ(o.ec, dial::connect_error::connection_refused);
  EXPECT_EQ(&o.ec.category(), &dial::category());
  EXPECT_FALSE(o.sock.is_open());
  ASSERT_EQ(o.report.attempts.size(), 1u);
  EXPECT_EQ(o.report.attempts[0].outcome_name(), "ConnectionRefused");
  EXPECT_EQ(o.report.attempts[0].native, ECONNREFUSED);
  EXPECT_EQ(t::count_open_fds(), before);
}

// The adapter does not carry out a proxy: a clear refusal, not a direct connection.
TEST(AsioConnect, AProxyIsRefusedWithOperationNotSupported) {
  auto l = t::tcp_listener(AF_INET);
  dial::connect_to_host_options options;
  options.proxy = dial::parse_proxy("socks5://127.0.0.1:1080").value();
  net::io_context io;
  outcome o(io);
  async_connect_to_host(io.get_executor(), "127.0.0.1", l.where.port(), options, o.handler());
  io.run();
  ASSERT_EQ(o.calls, 1);
  EXPECT_EQ(o.ec, connect_to_host_error::operation_not_supported);
  EXPECT_FALSE(o.sock.is_open());
  EXPECT_TRUE(o.report.attempts.empty());
}

TEST(AsioConnect, FullBacklogAndDeadlineIsTimeout) {
  auto full = t::full_tcp_listener(AF_INET);
  names n({"127.0.0.1"});
  n.options.deadline = steady::now() + 300ms;
  net::io_context io;
  outcome o(io);
  const int before = t::count_open_fds();
  const auto start = steady::now();
  async_connect_to_host(io.get_executor(), "asio.test", full.l.where.port(), n.options,
                        o.handler());
  io.run();
  const auto took = steady::now() - start;
  ASSERT_EQ(o.calls, 1);
  EXPECT_EQ(o.ec, connect_to_host_error::timeout);
  EXPECT_EQ(o.ec, std::errc::timed_out);
  EXPECT_GE(took, 290ms);
  EXPECT_LT(took, 2s);
  ASSERT_EQ(o.report.attempts.size(), 1u);
  EXPECT_EQ(o.report.attempts[0].outcome_name(), "Timeout");
  EXPECT_EQ(t::count_open_fds(), before);
}

// Two addresses whose SYNs go unanswered, so both attempts are in flight when the cancel comes.
struct two_full {
  t::full_listener v6 = full_at("::1", 0);
  t::full_listener v4 = full_at("127.0.0.1", v6.l.where.port());
  names n{{"::1", "127.0.0.1"}};
  std::uint16_t port() const { return v6.l.where.port(); }
};

void expect_canceled_mid_race(const outcome& o, steady::duration took) {
  ASSERT_EQ(o.calls, 1);
  EXPECT_EQ(o.ec, connect_to_host_error::canceled);
  EXPECT_EQ(o.ec, std::errc::operation_canceled);
  EXPECT_GE(took, 395ms);
  EXPECT_LT(took, 2s);
  ASSERT_EQ(o.report.attempts.size(), 2u) << "IPv6, then IPv4 one attempt delay later";
  for (const auto& a : o.report.attempts) EXPECT_EQ(a.outcome_name(), "Canceled");
  EXPECT_FALSE(o.sock.is_open());
}

TEST(AsioConnect, TerminalCancellationMidRaceClosesEveryAttempt) {
  two_full f;
  ASSERT_GE(f.v4.queued.get(), 0);
  net::io_context io;
  outcome o(io);
  net::cancellation_signal cancel;
  net::steady_timer timer(io, 400ms);
  timer.async_wait([&](auto) { cancel.emit(net::cancellation_type::terminal); });
  const int before = t::count_open_fds();
  const auto start = steady::now();
  async_connect_to_host(io.get_executor(), "asio.test", f.port(), f.n.options,
                        net::bind_cancellation_slot(cancel.slot(), o.handler()));
  io.run();
  expect_canceled_mid_race(o, steady::now() - start);
  EXPECT_EQ(t::count_open_fds(), before);
}

TEST(AsioConnect, AwaitableCancelledThroughItsCoroutine) {
  two_full f;
  net::io_context io;
  outcome o(io);
  net::cancellation_signal cancel;
  net::steady_timer timer(io, 400ms);
  timer.async_wait([&](auto) { cancel.emit(net::cancellation_type::terminal); });
  const auto start = steady::now();
  net::co_spawn(
      io,
      [&]() -> net::awaitable<void> {
        auto [ec, sock, report] =
            co_await async_connect_to_host(co_await net::this_coro::executor, "asio.test", f.port(),
                                           f.n.options, net::use_awaitable);
        o.handler()(ec, std::move(sock), std::move(report));
      },
      net::bind_cancellation_slot(cancel.slot(), net::detached));
  io.run();
  expect_canceled_mid_race(o, steady::now() - start);
}

TEST(AsioConnect, StopTokenFromAnotherThreadMidRace) {
  two_full f;
  std::stop_source stop;
  f.n.options.stop = stop.get_token();
  net::io_context io;
  outcome o(io);
  const int before = t::count_open_fds();
  const auto start = steady::now();
  async_connect_to_host(io.get_executor(), "asio.test", f.port(), f.n.options, o.handler());
  std::thread stopper([&] {
    std::this_thread::sleep_for(400ms);
    stop.request_stop();
  });
  io.run();
  stopper.join();
  expect_canceled_mid_race(o, steady::now() - start);
  EXPECT_EQ(t::count_open_fds(), before);
}

TEST(AsioConnect, StopAlreadyRequestedIsCanceledWithoutAnAttempt) {
  std::stop_source stop;
  stop.request_stop();
  dial::connect_to_host_options options;
  options.stop = stop.get_token();
  net::io_context io;
  outcome o(io);
  async_connect_to_host(io.get_executor(), "127.0.0.1", 9, options, o.handler());
  EXPECT_EQ(o.calls, 0);
  io.run();
  ASSERT_EQ(o.calls, 1);
  EXPECT_EQ(o.ec, connect_to_host_error::canceled);
  EXPECT_TRUE(o.report.attempts.empty());
}

TEST(AsioConnect, InvalidHostNameFailsWithoutAQuery) {
  net::io_context io;
  outcome o(io);
  async_connect_to_host(io.get_executor(), "bad..name", 80, {}, o.handler());
  io.run();
  ASSERT_EQ(o.calls, 1);
  EXPECT_EQ(o.ec, connect_to_host_error::invalid_host_name);
  EXPECT_EQ(dial::name(static_cast<dial::error_id>(o.ec.value())), "InvalidHostName");
}

// ---- from_error_code: Asio's own errors by dial's names ----------------------------------------

TEST(AsioFromErrorCode, OsCodesGetConnectsNames) {
  using dial::asio::from_error_code;
  namespace e = net::error;
  EXPECT_FALSE(from_error_code({}));
  EXPECT_EQ(from_error_code(e::connection_refused), dial::connect_error::connection_refused);
  EXPECT_EQ(from_error_code(e::connection_refused), std::errc::connection_refused);
  EXPECT_EQ(from_error_code(e::timed_out), connect_to_host_error::connection_timed_out);
  EXPECT_EQ(from_error_code(e::network_unreachable), connect_to_host_error::network_unreachable);
  EXPECT_EQ(from_error_code(e::host_unreachable), connect_to_host_error::network_unreachable);
  EXPECT_EQ(from_error_code(e::connection_reset), connect_to_host_error::connection_reset_by_peer);
  EXPECT_EQ(from_error_code(e::access_denied), connect_to_host_error::access_denied);
  EXPECT_EQ(from_error_code(e::address_in_use), connect_to_host_error::address_in_use);
  EXPECT_EQ(from_error_code(e::no_buffer_space), connect_to_host_error::system_resources);
  EXPECT_EQ(from_error_code(e::would_block), connect_to_host_error::would_block);
  EXPECT_EQ(from_error_code(e::in_progress), connect_to_host_error::would_block);
  EXPECT_EQ(from_error_code(e::already_started), connect_to_host_error::connection_pending);
  EXPECT_EQ(from_error_code(e::operation_aborted), connect_to_host_error::canceled);
  static_cast<void>(from_error_code(e::timed_out));
  EXPECT_EQ(dial::last_native_error(), ETIMEDOUT) << "the OS code is kept, as connect keeps it";
}

TEST(AsioFromErrorCode, ResolverCodesGetResolvesNames) {
  using dial::asio::from_error_code;
  namespace e = net::error;
  EXPECT_EQ(from_error_code(e::host_not_found), connect_to_host_error::unknown_host_name);
  EXPECT_EQ(from_error_code(e::host_not_found_try_again),
            connect_to_host_error::temporary_name_server_failure);
  EXPECT_EQ(from_error_code(e::no_data), connect_to_host_error::host_lacks_network_addresses);
  EXPECT_EQ(from_error_code(e::no_recovery), connect_to_host_error::name_server_failure);
}

TEST(AsioFromErrorCode, ProgrammerErrorCodesAndOtherCategoriesAreUnexpectedNotATrap) {
  using dial::asio::from_error_code;
  namespace e = net::error;
  for (boost::system::error_code c :
       {boost::system::error_code(e::bad_descriptor), boost::system::error_code(e::not_socket),
        boost::system::error_code(e::already_connected),
        boost::system::error_code(e::connection_aborted), boost::system::error_code(e::fault),
        boost::system::error_code(e::eof), boost::system::error_code(e::already_open),
        boost::system::error_code(e::interrupted)})
    EXPECT_EQ(from_error_code(c), connect_to_host_error::unexpected) << c.message();
}

TEST(AsioFromErrorCode, AnAsioConnectsRealRefusal) {
  auto closed = t::closed_tcp_port(AF_INET);
  net::io_context io;
  tcp::socket s(io);
  boost::system::error_code got;
  s.async_connect({net::ip::make_address("127.0.0.1"), closed.where.port()},
                  [&](boost::system::error_code ec) { got = ec; });
  io.run();
  const std::error_code ec = dial::asio::from_error_code(got);
  EXPECT_EQ(ec, dial::connect_error::connection_refused);
  EXPECT_EQ(dial::name(static_cast<dial::error_id>(ec.value())), "ConnectionRefused");
  EXPECT_EQ(dial::last_native_error(), ECONNREFUSED);
}

}  // namespace

namespace {

// connect_to_host_options::source and socket.multipath through the adapter: bound on every
// attempt, only the source's family tried, the winner's protocol read from its handle.
TEST(AsioConnect, SourceIsBoundAndOnlyItsFamilyIsTried) {
  auto l = t::tcp_listener(AF_INET);
  names n({"::1", "127.0.0.1"});
  n.options.source = *dial::address::parse("127.0.0.7:0");
  n.options.socket.multipath = true;  // to a TCP listener: the peer's fallback, TCP
  net::io_context io;
  outcome o(io);
  async_connect_to_host(io.get_executor(), "asio.test", l.where.port(), n.options, o.handler());
  io.run();
  ASSERT_EQ(o.calls, 1);
  ASSERT_FALSE(o.ec) << o.ec.message();
  EXPECT_EQ(o.sock.local_endpoint().address(), net::ip::make_address("127.0.0.7"));
  ASSERT_EQ(o.report.attempts.size(), 1u) << "the IPv6 address is not of the source's family";
  EXPECT_EQ(dial::transport_protocol(o.sock.native_handle()), dial::transport::tcp);
  n.options.source = *dial::address::parse("[::1]:0");
  outcome none(io);
  async_connect_to_host(io.get_executor(), "127.0.0.1", l.where.port(), n.options, none.handler());
  io.restart();
  io.run();
  ASSERT_EQ(none.calls, 1);
  EXPECT_EQ(none.ec, connect_to_host_error::address_family_not_supported);
  EXPECT_TRUE(none.report.attempts.empty());
}

}  // namespace
