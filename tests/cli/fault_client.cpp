// tests/cli/fault_client.cpp: a tiny client for `dial fault`'s tests, linked statically where the
// toolchain can (seccomp filters system calls, so a static binary is covered too).
//   fault_client connect 127.0.0.1 PORT   one blocking connect: "connected" or the errno's name
//   fault_client uring                    io_uring_setup(2): "io_uring ok" or its errno's name
#include <arpa/inet.h>
#include <linux/io_uring.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>

int main(int argc, char** argv) {
  if (argc == 4 && std::string_view(argv[1]) == "connect") {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(std::atoi(argv[3])));
    if (::inet_pton(AF_INET, argv[2], &a.sin_addr) != 1) return 2;
    const int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
      std::puts("connected");
      return 0;
    }
    std::printf("%s\n", strerrorname_np(errno));
    return 1;
  }
  if (argc == 2 && std::string_view(argv[1]) == "uring") {
    io_uring_params p{};
    const long fd = ::syscall(SYS_io_uring_setup, 4, &p);
    if (fd >= 0) {
      std::puts("io_uring ok");
      return 0;
    }
    std::printf("%s\n", strerrorname_np(errno));
    return 1;
  }
  std::fputs("usage: fault_client connect ADDR PORT | uring\n", stderr);
  return 2;
}
