// tests/support/proxy_servers.cpp: the proxy servers, the echo server and the fake proxy of
// tests/support/proxy_servers.hpp.
#include "proxy_servers.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>

namespace dial::test {

std::uint16_t free_loopback_port() {
  const listener l = closed_tcp_port(AF_INET);
  return l.where.port();
}

bool wait_listening(std::uint16_t port, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  const addr to = ip("127.0.0.1", port);
  while (std::chrono::steady_clock::now() < deadline) {  // bounded by `limit`
    const fd s = make_socket(AF_INET, SOCK_STREAM);
    if (::connect(s.get(), to.sa(), to.len) == 0) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

child_process::child_process(const std::vector<std::string>& argv, const std::string& log) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::fflush(nullptr);
  pid_ = ::fork();
  if (pid_ != 0) return;
  ::setpgid(0, 0);
  const int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (out >= 0) {
    ::dup2(out, 1);
    ::dup2(out, 2);
  }
  ::execv(args[0], args.data());
  ::_exit(127);
}

child_process& child_process::operator=(child_process&& o) noexcept {
  stop();
  pid_ = std::exchange(o.pid_, -1);
  return *this;
}

void child_process::stop() {
  if (pid_ <= 0) return;
  ::kill(-pid_, SIGTERM);
  ::kill(pid_, SIGTERM);  // before it ran setpgid, the group does not exist yet
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  int status = 0;
  while (::waitpid(pid_, &status, WNOHANG) == 0) {  // bounded: SIGKILL after 2 s
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(-pid_, SIGKILL);
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ::kill(-pid_, SIGKILL);  // a server's own children (danted's), if any outlived the leader
  pid_ = -1;
}

std::string proxy_server::log() const {
  std::ifstream f(log_path());
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

namespace {

std::unique_ptr<proxy_server> started(std::unique_ptr<proxy_server> p,
                                      const std::vector<std::string>& argv) {
  if (::access(argv[0].c_str(), X_OK) != 0) {
    p->why_not = argv[0] + " is not installed (scripts/deps.sh installs it)";
    return p;
  }
  p->process = child_process(argv, p->log_path());
  if (!wait_listening(p->port)) p->why_not = argv[0] + " did not listen on its port: " + p->log();
  return p;
}

void write_file(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

}  // namespace

std::unique_ptr<proxy_server> start_microsocks(const std::string& user, const std::string& pass) {
  auto p = std::make_unique<proxy_server>();
  p->port = free_loopback_port();
  std::vector<std::string> argv = {"/usr/bin/microsocks", "-i", "127.0.0.1", "-p",
                                   std::to_string(p->port)};
  if (!user.empty()) argv.insert(argv.end(), {"-u", user, "-P", pass});
  return started(std::move(p), argv);
}

std::unique_ptr<proxy_server> start_danted(std::uint16_t blocked_port) {
  auto p = std::make_unique<proxy_server>();
  p->port = free_loopback_port();
  const std::string conf = p->dir / "danted.conf";
  write_file(conf, "logoutput: " + p->log_path() +
                       "\ninternal: 127.0.0.1 port = " + std::to_string(p->port) +
                       "\nexternal: 127.0.0.1\nclientmethod: none\nsocksmethod: none\n"
                       "user.privileged: root\nuser.unprivileged: nobody\n"
                       "client pass { from: 127.0.0.0/8 to: 0.0.0.0/0 }\n"
                       "socks block { from: 0.0.0.0/0 to: 127.0.0.1/32 port = " +
                       std::to_string(blocked_port) +
                       "\n log: connect error\n}\n"
                       "socks pass { from: 127.0.0.0/8 to: 0.0.0.0/0 command: connect\n"
                       " log: connect error\n}\n");
  return started(std::move(p), {"/usr/sbin/danted", "-f", conf, "-N", "1"});
}

std::unique_ptr<proxy_server> start_tinyproxy(const std::vector<std::uint16_t>& connect_ports,
                                              const std::string& user, const std::string& pass) {
  auto p = std::make_unique<proxy_server>();
  p->port = free_loopback_port();
  std::string conf = "Port " + std::to_string(p->port) +
                     "\nListen 127.0.0.1\nTimeout 10\nAllow 127.0.0.1\nMaxClients 16\n"
                     "LogLevel Info\n";
  for (auto port : connect_ports) conf += "ConnectPort " + std::to_string(port) + "\n";
  if (!user.empty()) conf += "BasicAuth " + user + " " + pass + "\n";
  write_file(p->dir / "tinyproxy.conf", conf);
  return started(std::move(p), {"/usr/bin/tinyproxy", "-d", "-c", p->dir / "tinyproxy.conf"});
}

// ---- the echo server and the fake proxy ------------------------------------------------------

namespace {

// Waits up to `ms` for `s` to be readable; false on timeout.
bool readable(int s, int ms) {
  pollfd p{s, POLLIN, 0};
  return ::poll(&p, 1, ms) > 0;
}

}  // namespace

echo_server::echo_server() {
  listener l = tcp_listener(AF_INET);
  port_ = l.where.port();
  listener_ = std::move(l.sock);
  thread_ = std::thread([this] { run(); });
}

echo_server::~echo_server() {
  stop_ = true;
  thread_.join();
}

bool echo_server::idle(std::chrono::milliseconds limit) const {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (open_ != 0) {  // bounded by `limit`
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

// One poll loop over the listener and every connection; ends when the server is destroyed.
void echo_server::run() {
  std::vector<fd> conns;
  std::vector<pollfd> set;
  char buf[4096];
  while (!stop_) {
    set.assign(1, pollfd{listener_.get(), POLLIN, 0});
    for (const auto& c : conns) set.push_back({c.get(), POLLIN, 0});
    if (::poll(set.data(), set.size(), 20) <= 0) continue;
    for (std::size_t i = set.size(); i-- > 1;) {
      if (set[i].revents == 0) continue;
      const ssize_t n = ::recv(set[i].fd, buf, sizeof buf, 0);
      if (n > 0 && ::send(set[i].fd, buf, static_cast<std::size_t>(n), MSG_NOSIGNAL) == n) continue;
      conns.erase(conns.begin() + static_cast<std::ptrdiff_t>(i - 1));  // EOF or error: closed
    }
    if ((set[0].revents & POLLIN) != 0) {
      fd c(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
      if (c.get() >= 0) conns.push_back(std::move(c));
    }
    open_ = static_cast<int>(conns.size());
  }
}

fake_proxy::fake_proxy(script s) {
  listener l = tcp_listener(AF_INET);
  port_ = l.where.port();
  listener_ = std::move(l.sock);
  thread_ = std::thread([this, s = std::move(s)] {
    if (!readable(listener_.get(), 10000)) return;  // nobody came within 10 s
    const fd c(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (c.get() < 0) return;
    const timeval tv{10, 0};
    ::setsockopt(c.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    s(c.get(), received);
  });
}

fake_proxy::~fake_proxy() { join(); }

void fake_proxy::join() {
  if (thread_.joinable()) thread_.join();
}

bool read_exact(int sock, std::size_t n, std::string& into) {
  char buf[512];
  while (n > 0) {
    const ssize_t r = ::recv(sock, buf, std::min(n, sizeof buf), 0);
    if (r <= 0) return false;
    into.append(buf, static_cast<std::size_t>(r));
    n -= static_cast<std::size_t>(r);
  }
  return true;
}

bool read_until(int sock, const std::string& end, std::string& into) {
  char c = 0;
  while (into.find(end) == std::string::npos) {  // bounded by SO_RCVTIMEO
    if (::recv(sock, &c, 1, 0) != 1) return false;
    into += c;
  }
  return true;
}

bool send_all(int sock, const std::string& bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::send(sock, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace dial::test
