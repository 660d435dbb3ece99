// tests/cli/with_fixture.cpp: runs a command while loopback fixtures exist, naming them in its
// arguments. Usage: dial_cli_with_fixture KIND... -- COMMAND ARG...
// Each KIND sets up one fixture; "{0}", "{1}", ... in the arguments become their endpoints:
//   tcp4-listen   a TCP listener on 127.0.0.1:PORT (never accepts; the backlog completes connects)
//   tcp6-listen   the same on [::1]:PORT
//   tcp4-closed   127.0.0.1:PORT held by a bound socket that does not listen (answers RST)
//   unix-listen   a listener on a Linux abstract name, as unix:@NAME
// The exit status is the command's; 77 (skip) when a fixture cannot be set up here, 99 on misuse.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace {

constexpr int exit_skip = 77;
constexpr int exit_misuse = 99;

// Sets up one fixture; returns its endpoint text, or "" (with a message) when it cannot.
std::string set_up(std::string_view kind, int id) {
  const bool v6 = kind == "tcp6-listen";
  const bool is_unix = kind == "unix-listen";
  const int fd = ::socket(is_unix ? AF_UNIX
                          : v6    ? AF_INET6
                                  : AF_INET,
                          SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    std::fprintf(stderr, "with_fixture: socket for %.*s: %s\n", static_cast<int>(kind.size()),
                 kind.data(), std::strerror(errno));
    return {};
  }
  // The descriptor stays open until this process exits, after the command.
  sockaddr_storage ss{};
  ::socklen_t len = 0;
  std::string name;
  if (is_unix) {
    auto& sun = reinterpret_cast<sockaddr_un&>(ss);
    sun.sun_family = AF_UNIX;
    name = "dial-cli-test-" + std::to_string(::getpid()) + "-" + std::to_string(id);
    std::memcpy(sun.sun_path + 1, name.data(), name.size());
    len = static_cast<::socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size());
  } else if (v6) {
    auto& sin6 = reinterpret_cast<sockaddr_in6&>(ss);
    sin6.sin6_family = AF_INET6;
    sin6.sin6_addr = in6addr_loopback;
    len = sizeof sin6;
  } else {
    auto& sin = reinterpret_cast<sockaddr_in&>(ss);
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    len = sizeof sin;
  }
  const bool listens = kind != "tcp4-closed";
  if (::bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0 ||
      (listens && ::listen(fd, 16) != 0)) {
    std::fprintf(stderr, "with_fixture: bind/listen for %.*s: %s\n", static_cast<int>(kind.size()),
                 kind.data(), std::strerror(errno));
    return {};
  }
  if (is_unix) return "unix:@" + name;
  len = sizeof ss;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return {};
  const auto port = [&] {
    return ntohs(v6 ? reinterpret_cast<sockaddr_in6&>(ss).sin6_port
                    : reinterpret_cast<sockaddr_in&>(ss).sin_port);
  }();
  return (v6 ? "[::1]:" : "127.0.0.1:") + std::to_string(port);
}

// Replaces every "{i}" in arg with endpoints[i].
std::string substitute(std::string arg, const std::vector<std::string>& endpoints) {
  for (std::size_t i = 0; i < endpoints.size(); ++i) {
    const std::string key = "{" + std::to_string(i) + "}";
    for (std::size_t at; (at = arg.find(key)) != std::string::npos;)
      arg.replace(at, key.size(), endpoints[i]);
  }
  return arg;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> endpoints;
  int i = 1;
  for (; i < argc && std::string_view(argv[i]) != "--"; ++i) {
    const std::string_view kind = argv[i];
    if (kind != "tcp4-listen" && kind != "tcp6-listen" && kind != "tcp4-closed" &&
        kind != "unix-listen") {
      std::fprintf(stderr, "with_fixture: unknown fixture '%s'\n", argv[i]);
      return exit_misuse;
    }
    std::string e = set_up(kind, static_cast<int>(endpoints.size()));
    if (e.empty()) return exit_skip;
    endpoints.push_back(std::move(e));
  }
  if (i + 1 >= argc) {
    std::fprintf(stderr, "usage: with_fixture KIND... -- COMMAND ARG...\n");
    return exit_misuse;
  }
  std::vector<std::string> args;
  for (int j = i + 1; j < argc; ++j) args.push_back(substitute(argv[j], endpoints));
  std::vector<char*> cargs;
  for (auto& a : args) cargs.push_back(a.data());
  cargs.push_back(nullptr);

  std::fflush(nullptr);
  const pid_t child = ::fork();
  if (child < 0) return exit_misuse;
  if (child == 0) {
    ::execvp(cargs[0], cargs.data());
    std::fprintf(stderr, "with_fixture: cannot run %s: %s\n", cargs[0], std::strerror(errno));
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(child, &status, 0) < 0)
    if (errno != EINTR) return exit_misuse;
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  std::fprintf(stderr, "with_fixture: %s died of signal %d\n", cargs[0], WTERMSIG(status));
  return 128 + WTERMSIG(status);
}
