// tests/consumer/consumer.cpp: a program that uses dial as a dependency: a refused connect, a
// lookup through the c_ares back-end and an engine, so that a static link needs every library
// dial was built with (c-ares, liburing): what dial.pc's Requires.private and dialConfig.cmake's
// find_dependency calls must give.
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdio>
#include <system_error>

#include <dial/dial.hpp>

int main() {
  // A bound socket that never listens reserves a loopback port and refuses connections.
  auto holder = dial::socket(AF_INET, SOCK_STREAM, 0);
  if (!holder) return 2;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (::bind(*holder, reinterpret_cast<sockaddr*>(&a), len) != 0) return 3;
  if (::getsockname(*holder, reinterpret_cast<sockaddr*>(&a), &len) != 0) return 4;
  auto s = dial::socket(AF_INET, SOCK_STREAM, 0);
  if (!s) return 5;
  auto r = dial::connect(*s, reinterpret_cast<sockaddr*>(&a), len);
  dial::close(*s);
  dial::close(*holder);
  if (r) return 6;
  std::error_code ec = r.error();
  // localhost is in the hosts file, which the c_ares back-end reads first: no query is sent.
  auto found = dial::resolve("localhost", 80, dial::resolve_options{});
  if (!found || found->empty()) return 8;
#if DIAL_HAS_ENGINE
  auto eng = dial::engine::create(dial::engine_options{.concurrency = 4, .threads = 1});
  if (!eng) return 9;
  std::printf("consumer: engine back-end %.*s\n",
              static_cast<int>(dial::name(eng->backend()).size()),
              dial::name(eng->backend()).data());
#endif
  std::printf(
      "consumer: DIAL_HAS_ENGINE=%d DIAL_HAS_IO_URING=%d DIAL_HAS_CARES=%d DIAL_SHARED=%d\n",
      DIAL_HAS_ENGINE, DIAL_HAS_IO_URING, DIAL_HAS_CARES, DIAL_SHARED);
  std::printf("consumer: dial %s: %.*s\n", dial::version,
              static_cast<int>(dial::name(r.error()).size()), dial::name(r.error()).data());
  return ec == std::errc::connection_refused ? 0 : 7;
}
