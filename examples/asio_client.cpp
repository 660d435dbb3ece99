// examples/asio_client.cpp: a Boost.Asio coroutine that connects with dial's Happy Eyeballs race
// (co_await dial::asio::async_connect_to_host), writes one line and prints the line it gets back.
//
//   asio_client HOST PORT [LINE]      e.g. asio_client localhost 7 hello
//
// Exit status: 0 when an answer came, 1 when connecting or the exchange failed (every attempt of
// the race is printed), 2 for a usage error. The race runs on the coroutine's own executor: no
// thread but the one that runs the io_context.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <charconv>
#include <chrono>
#include <cstdio>
#include <istream>
#include <string>
#include <string_view>

#include "dial/asio.hpp"

namespace {

namespace net = boost::asio;
using namespace std::chrono_literals;

double ms(dial::deadline_clock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

// Every answer and attempt of the race, as `dial -v` prints them.
void print_report(const dial::race_report& r) {
  for (const auto& l : r.lookups)
    std::printf("  %+8.1f ms  %-4s %zu address(es)%s%s\n", ms(l.at - r.began),
                l.family == dial::address_kind::ipv6 ? "AAAA" : "A", l.addresses,
                l.outcome ? "" : ", ", l.outcome ? "" : dial::name(l.outcome.error()).data());
  for (const auto& a : r.attempts)
    std::printf("  %+8.1f ms .. %+8.1f ms  %-24s %s\n", ms(a.start - r.began), ms(a.end - r.began),
                a.to.to_string().c_str(), std::string(a.outcome_name()).c_str());
}

net::awaitable<int> exchange(std::string host, std::uint16_t port, std::string line) {
  dial::connect_to_host_options options;
  options.deadline = dial::deadline_clock::now() + 10s;
  auto [ec, sock, report] = co_await dial::asio::async_connect_to_host(
      co_await net::this_coro::executor, host, port, options, net::use_awaitable);
  if (ec) {
    print_report(report);
    std::printf("failed: %s\n", dial::name(static_cast<dial::error_id>(ec.value())).data());
    co_return 1;
  }
  std::printf("connected to %s\n", report.attempts.back().to.to_string().c_str());
  line += '\n';
  auto [wec, written] =
      co_await net::async_write(sock, net::buffer(line), net::as_tuple(net::use_awaitable));
  net::streambuf answer;
  auto [rec, read] =
      co_await net::async_read_until(sock, answer, '\n', net::as_tuple(net::use_awaitable));
  if (wec || rec) {
    const std::error_code e = dial::asio::from_error_code(wec ? wec : rec);
    std::printf("exchange failed: %s\n", dial::name(static_cast<dial::error_id>(e.value())).data());
    co_return 1;
  }
  std::string text;
  std::istream in(&answer);
  std::getline(in, text);
  std::printf("answer: %s\n", text.c_str());
  co_return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::uint16_t port = 0;
  const std::string_view p = argc >= 3 ? argv[2] : "";
  const auto parsed = std::from_chars(p.data(), p.data() + p.size(), port);
  if (argc < 3 || argc > 4 || parsed.ec != std::errc{} || parsed.ptr != p.data() + p.size() ||
      port == 0) {
    std::fprintf(stderr, "usage: asio_client HOST PORT [LINE]\n");
    return 2;
  }
  net::io_context io;
  int status = 1;
  net::co_spawn(io, exchange(argv[1], port, argc == 4 ? argv[3] : "hello"),
                [&](std::exception_ptr e, int s) { status = e ? 1 : s; });
  io.run();
  return status;
}
