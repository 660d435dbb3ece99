// tests/support/proxy_servers.hpp: real proxy servers from Debian packages (microsocks, danted,
// tinyproxy) run on loopback as the test's children, an echo server, and a scripted fake proxy
// (Linux).
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "dial/dial.hpp"
#include "support.hpp"

namespace dial::test {

/// A loopback port that was free a moment ago (bound to port 0, read, closed): for servers that
/// take their port on the command line.
std::uint16_t free_loopback_port();

/// Whether something accepts connections on 127.0.0.1:port within `limit`.
bool wait_listening(std::uint16_t port, std::chrono::milliseconds limit = std::chrono::seconds(5));

/// A program run as a child in its own process group (so a server's own children go too):
/// SIGTERM to the group on destruction, SIGKILL after 2 s, always reaped.
class child_process {
 public:
  child_process() = default;
  /// Starts argv[0] (a path) with `argv`; stdout and stderr go to `log` (appended).
  child_process(const std::vector<std::string>& argv, const std::string& log);
  child_process(child_process&& o) noexcept : pid_(std::exchange(o.pid_, -1)) {}
  child_process& operator=(child_process&& o) noexcept;
  ~child_process() { stop(); }
  /// Ends the group and reaps the child (idempotent).
  void stop();
  [[nodiscard]] bool running() const noexcept { return pid_ > 0; }

 private:
  pid_t pid_ = -1;
};

/// A proxy server listening on 127.0.0.1:port, with its files in a scratch directory.
struct proxy_server {
  scratch_dir dir;
  std::uint16_t port = 0;
  child_process process;
  std::string why_not;  ///< empty when it runs, else why it could not be started
  [[nodiscard]] std::string log_path() const { return dir / "log"; }
  /// The log's contents so far.
  [[nodiscard]] std::string log() const;
};

/// microsocks -i 127.0.0.1 -p PORT [-u USER -P PASS].
std::unique_ptr<proxy_server> start_microsocks(const std::string& user = {},
                                               const std::string& pass = {});
/// danted with no authentication; `blocked_port`: CONNECTs to 127.0.0.1:blocked_port are refused
/// by a `socks block` rule (REP 02). Needs root (it switches to nobody for the rest).
std::unique_ptr<proxy_server> start_danted(std::uint16_t blocked_port);
/// tinyproxy; CONNECT allowed to `connect_ports` only (a port not listed is 403); with a user,
/// BasicAuth USER PASS.
std::unique_ptr<proxy_server> start_tinyproxy(const std::vector<std::uint16_t>& connect_ports,
                                              const std::string& user = {},
                                              const std::string& pass = {});

/// A TCP echo server on 127.0.0.1 (a thread, any number of connections at once): every byte
/// read is sent back until the peer closes.
class echo_server {
 public:
  echo_server();
  ~echo_server();
  echo_server(const echo_server&) = delete;
  echo_server& operator=(const echo_server&) = delete;
  [[nodiscard]] std::uint16_t port() const noexcept { return port_; }
  /// Waits (at most `limit`) until no connection is open; false if one still is. For descriptor
  /// counts: the server's own connections are this process's descriptors too.
  bool idle(std::chrono::milliseconds limit = std::chrono::seconds(5)) const;

 private:
  void run();
  fd listener_;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> open_{0};
  std::thread thread_;
};

/// A fake proxy on 127.0.0.1 (a thread) that serves exactly one connection with `script`: it gets
/// the accepted socket (blocking, a 10 s receive timeout) and returns. join() waits for it; the
/// bytes the script recorded are in `received` after join().
class fake_proxy {
 public:
  using script = std::function<void(int sock, std::string& received)>;
  explicit fake_proxy(script s);
  ~fake_proxy();
  fake_proxy(const fake_proxy&) = delete;
  fake_proxy& operator=(const fake_proxy&) = delete;
  [[nodiscard]] std::uint16_t port() const noexcept { return port_; }
  /// Waits for the script to end (it ends within its own receive timeouts) and closes its socket.
  void join();
  std::string received;

 private:
  fd listener_;
  std::uint16_t port_ = 0;
  std::thread thread_;
};

/// For scripts: reads exactly n bytes (appended to `into`); false on EOF, error or timeout.
bool read_exact(int sock, std::size_t n, std::string& into);
/// For scripts: reads until `end` has been seen (appended to `into`); false on EOF or timeout.
bool read_until(int sock, const std::string& end, std::string& into);
/// For scripts: sends all of `bytes`; false on error.
bool send_all(int sock, const std::string& bytes);

}  // namespace dial::test
