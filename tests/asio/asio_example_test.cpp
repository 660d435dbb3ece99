// tests/asio/asio_example_test.cpp: examples/asio_client against an echo server on loopback.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <thread>

#include "support.hpp"

namespace {

namespace t = dial::test;

struct run_result {
  int status = -1;
  std::string out;
};

run_result run(const std::string& args) {
  run_result r;
  const std::string cmd = std::string(DIAL_ASIO_CLIENT) + " " + args + " 2>&1";
  std::FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return r;
  char buf[512];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) r.out.append(buf, n);
  const int st = ::pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

// Accepts one connection and writes back what it reads until the peer closes.
struct echo_server {
  t::listener l = t::tcp_listener(AF_INET);
  std::thread thread{[this] {
    const int c = ::accept(l.sock.get(), nullptr, nullptr);
    if (c < 0) return;
    char buf[256];
    for (ssize_t n; (n = ::read(c, buf, sizeof buf)) > 0;)
      if (::write(c, buf, static_cast<std::size_t>(n)) != n) break;
    ::close(c);
  }};
  ~echo_server() { thread.join(); }
};

TEST(AsioExample, ConnectsToLocalhostWritesALineAndPrintsTheAnswer) {
  echo_server echo;
  const auto r = run("localhost " + std::to_string(echo.l.where.port()) + " ping");
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("connected to 127.0.0.1:"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("answer: ping\n"), std::string::npos) << r.out;
}

TEST(AsioExample, RefusedPrintsEveryAttempt) {
  auto closed = t::closed_tcp_port(AF_INET);
  const auto r = run("127.0.0.1 " + std::to_string(closed.where.port()));
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_NE(r.out.find("127.0.0.1:" + std::to_string(closed.where.port())), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("ConnectionRefused\nfailed: ConnectionRefused\n"), std::string::npos)
      << r.out;
}

TEST(AsioExample, UsageErrorIsTwo) {
  EXPECT_EQ(run("localhost").status, 2);
  EXPECT_EQ(run("localhost 0").status, 2);
  EXPECT_EQ(run("localhost 80x").status, 2);
}

}  // namespace
