// tests/consumer/consumer.cpp: a program that uses dial as a dependency; refused connect expected.
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
  std::printf("consumer: dial %s: %.*s\n", dial::version,
              static_cast<int>(dial::name(r.error()).size()), dial::name(r.error()).data());
  return ec == std::errc::connection_refused ? 0 : 7;
}
