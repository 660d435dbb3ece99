// tools/dial/demo.cpp: fixtures that make connect produce each outcome, set up with plain OS calls.
#include "demo.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <expected>
#include <filesystem>
#include <set>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include <fmt/core.h>

#include "dial/socket.hpp"
#include "endpoint.hpp"
#include "report.hpp"

namespace dial::cli {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

/// A fixture's result: the row it shows, or why it could not be set up on this machine.
template <class T>
using or_why = std::expected<T, std::string>;

std::unexpected<std::string> why(std::string text) { return std::unexpected(std::move(text)); }

// "bind: EADDRINUSE (98)", from errno right after a failed OS call.
std::unexpected<std::string> os_failed(std::string_view call) {
  return why(fmt::format("{}: {}", call, code_text(errno)));
}

// ---- building blocks -----------------------------------------------------------------------

or_why<owned_socket> new_socket(int family, int type = SOCK_STREAM) {
  auto s = dial::socket(family, type, 0);
  if (!s)
    return why(fmt::format("socket: {} {}", dial::name(s.error()), code_text(last_native_error())));
  return owned_socket(*s);
}

// 127.0.0.1:0 or [::1]:0, for bind to choose a free port.
endpoint loopback(int family) {
  endpoint e;
  e.family = family;
  if (family == AF_INET) {
    auto& sin = reinterpret_cast<sockaddr_in&>(e.storage);
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    e.length = sizeof sin;
  } else {
    auto& sin6 = reinterpret_cast<sockaddr_in6&>(e.storage);
    sin6.sin6_family = AF_INET6;
    sin6.sin6_addr = in6addr_loopback;
    e.length = sizeof sin6;
  }
  return e;
}

or_why<endpoint> unix_path(const fs::path& p) {
  auto e = parse_endpoint("unix:" + p.string());
  if (!e) return why(e.error());
  return e;
}

// The address a socket is bound to, with the text the table shows for it.
or_why<endpoint> bound_name(socket_t s) {
  endpoint e;
  e.length = sizeof e.storage;
  if (::getsockname(s, reinterpret_cast<sockaddr*>(&e.storage), &e.length) != 0)
    return os_failed("getsockname");
  e.family = e.storage.ss_family;
  if (e.family != AF_INET && e.family != AF_INET6) return why("getsockname: not an IP socket");
  char host[INET6_ADDRSTRLEN] = {};
  if (e.family == AF_INET) {
    const auto& sin = reinterpret_cast<const sockaddr_in&>(e.storage);
    ::inet_ntop(AF_INET, &sin.sin_addr, host, sizeof host);
    e.text = fmt::format("{}:{}", host, ntohs(sin.sin_port));
  } else {
    const auto& sin6 = reinterpret_cast<const sockaddr_in6&>(e.storage);
    ::inet_ntop(AF_INET6, &sin6.sin6_addr, host, sizeof host);
    e.text = fmt::format("[{}]:{}", host, ntohs(sin6.sin6_port));
  }
  return e;
}

or_why<owned_socket> bound(const endpoint& where) {
  auto s = new_socket(where.family);
  if (!s) return s;
  if (::bind(s->get(), where.address(), where.length) != 0) return os_failed("bind");
  return s;
}

or_why<owned_socket> listener(const endpoint& where, int backlog) {
  auto s = bound(where);
  if (!s) return s;
  if (::listen(s->get(), backlog) != 0) return os_failed("listen");
  return s;
}

// Waits, at most `limit`, until poll reports one of `want` on s. Bounded whatever happens.
bool wait_for(socket_t s, short events, short want, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    const auto left =
        std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{s, events, 0};
    const int rc = ::poll(&p, 1, static_cast<int>(left.count()));
    if (rc < 0 && errno != EINTR) return false;
    if (rc > 0 && (p.revents & want) != 0) return true;
    if (rc > 0) std::this_thread::sleep_for(1ms);  // ready for something else: do not spin
  }
}

// Starts a non-blocking connect that must be left under way (the fixtures' first step).
or_why<owned_socket> connect_under_way(const endpoint& to) {
  auto c = new_socket(to.family, SOCK_STREAM | SOCK_NONBLOCK);
  if (!c) return c;
  const outcome first = timed_connect(c->get(), to.address(), to.length);
  if (first.name != dial::name(connect_error::would_block))
    return why(fmt::format("first connect gave {} {}, not WouldBlock", first.name,
                           code_text(first.native)));
  return c;
}

// Connects a fixture socket that must connect (filling a backlog).
or_why<owned_socket> connected(const endpoint& to, int type = SOCK_STREAM) {
  auto c = new_socket(to.family, type);
  if (!c) return c;
  const outcome o = timed_connect(c->get(), to.address(), to.length);
  if (!o.connected)
    return why(fmt::format("filler connect gave {} {}", o.name, code_text(o.native)));
  return c;
}

row measured(std::string target, socket_t s, const endpoint& to) {
  return {std::move(target), timed_connect(s, to.address(), to.length), {}};
}

// ---- the fixtures, one per row ---------------------------------------------------------------

// A TCP listener: the one success.
or_why<row> tcp_listener(int family) {
  auto l = listener(loopback(family), 16);
  if (!l) return why(l.error());
  auto to = bound_name(l->get());
  if (!to) return why(to.error());
  auto c = new_socket(family);
  if (!c) return why(c.error());
  return measured(to->text, c->get(), *to);
}

// A port held by a bound socket that does not listen: reserved, so nothing else takes it, and
// the kernel answers the SYN with RST.
or_why<row> closed_port() {
  auto b = bound(loopback(AF_INET));
  if (!b) return why(b.error());
  auto to = bound_name(b->get());
  if (!to) return why(to.error());
  auto c = new_socket(AF_INET);
  if (!c) return why(c.error());
  return measured(to->text, c->get(), *to);
}

or_why<row> missing_unix(const fs::path& dir) {
  auto to = unix_path(dir / "missing.sock");
  if (!to) return why(to.error());
  auto c = new_socket(AF_UNIX);
  if (!c) return why(c.error());
  return measured(to->text, c->get(), *to);
}

// A socket file whose listener has been closed: the file stays, nobody is behind it.
or_why<row> stale_unix(const fs::path& dir) {
  auto to = unix_path(dir / "stale.sock");
  if (!to) return why(to.error());
  auto l = listener(*to, 1);
  if (!l) return why(l.error());
  l->reset();
  auto c = new_socket(AF_UNIX);
  if (!c) return why(c.error());
  return measured(to->text, c->get(), *to);
}

// A Unix listener with backlog 0 holds one unaccepted connection; a further non-blocking
// connect finds the queue full and gets EAGAIN instead of waiting.
or_why<row> full_unix(const fs::path& dir) {
  auto to = unix_path(dir / "full.sock");
  if (!to) return why(to.error());
  auto l = listener(*to, 0);
  if (!l) return why(l.error());
  auto filler = connected(*to, SOCK_STREAM | SOCK_NONBLOCK);
  if (!filler) return why(filler.error());
  auto c = new_socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK);
  if (!c) return why(c.error());
  return measured(to->text, c->get(), *to);
}

// A non-blocking TCP connect returns at once with the handshake under way (EINPROGRESS).
or_why<row> nonblocking_tcp() {
  auto l = listener(loopback(AF_INET), 16);
  if (!l) return why(l.error());
  auto to = bound_name(l->get());
  if (!to) return why(to.error());
  auto c = new_socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK);
  if (!c) return why(c.error());
  return measured(to->text, c->get(), *to);
}

// An IPv4 socket handed a Unix address. The address is long enough for a sockaddr_in, so the
// kernel gets as far as checking the family.
or_why<row> wrong_family(const fs::path& dir) {
  auto to = unix_path(dir / "any.sock");
  if (!to) return why(to.error());
  if (to->length < sizeof(sockaddr_in)) to->length = sizeof(sockaddr_un);
  auto c = new_socket(AF_INET);
  if (!c) return why(c.error());
  return measured(to->text, c->get(), *to);
}

// A Unix path through a regular file: ENOTDIR is in no set, so it is Unexpected with the code.
or_why<row> not_a_directory(const fs::path& dir) {
  const fs::path file = dir / "file";
  const int fd = ::open(file.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0) return os_failed(fmt::format("open {}", file.string()));
  ::close(fd);
  auto to = unix_path(file / "x.sock");
  if (!to) return why(to.error());
  auto c = new_socket(AF_UNIX);
  if (!c) return why(c.error());
  return measured(to->text, c->get(), *to);
}

// A TCP listener with backlog 0 and one queued, unaccepted connection drops further SYNs, so a
// non-blocking connect to it stays pending; connecting that socket again gives EALREADY.
or_why<row> pending_tcp() {
  auto l = listener(loopback(AF_INET), 0);
  if (!l) return why(l.error());
  auto to = bound_name(l->get());
  if (!to) return why(to.error());
  auto filler = connected(*to);
  if (!filler) return why(filler.error());
  // Readable means the filler is in the accept queue, so the queue is full from now on.
  if (!wait_for(l->get(), POLLIN, POLLIN, 1s)) return why("the accept queue did not fill in 1 s");
  auto c = connect_under_way(*to);
  if (!c) return why(c.error());
  return measured(to->text, c->get(), *to);
}

// An address length shorter than a sockaddr_in: EINVAL, which no set names, so Unexpected.
or_why<row> short_length() {
  auto b = bound(loopback(AF_INET));  // a reserved port, so nothing real is ever reached
  if (!b) return why(b.error());
  auto to = bound_name(b->get());
  if (!to) return why(to.error());
  to->length = sizeof(sockaddr_in) / 2;
  auto c = new_socket(AF_INET);
  if (!c) return why(c.error());
  return measured(to->text, c->get(), *to);
}

// The peer accepts a non-blocking attempt and resets it (SO_LINGER {1, 0} then close); once the
// client has seen the reset, calling connect again on the still-connecting socket reports it.
or_why<row> reset_by_peer() {
  auto l = listener(loopback(AF_INET), 16);
  if (!l) return why(l.error());
  auto to = bound_name(l->get());
  if (!to) return why(to.error());
  auto c = connect_under_way(*to);
  if (!c) return why(c.error());
  if (!wait_for(l->get(), POLLIN, POLLIN, 1s)) return why("the listener saw no connection in 1 s");
  owned_socket server(::accept4(l->get(), nullptr, nullptr, SOCK_CLOEXEC));
  if (!server) return os_failed("accept4");
  const linger abort_on_close{1, 0};
  if (::setsockopt(server.get(), SOL_SOCKET, SO_LINGER, &abort_on_close, sizeof abort_on_close) !=
      0)
    return os_failed("setsockopt(SO_LINGER)");
  server.reset();  // sends RST
  if (!wait_for(c->get(), POLLIN | POLLOUT, POLLHUP | POLLERR, 1s))
    return why("the client saw no reset in 1 s");
  return measured(to->text, c->get(), *to);
}

// ---- interruption ----------------------------------------------------------------------------
// SIGINT, SIGTERM and SIGHUP end the demo only once its directory is gone: the handler notes the
// signal, the fixture loop stops before the next fixture (each is bounded, about a second at
// most) and demo() removes the directory, then raises the signal again with its default action,
// so the exit status still says which signal it was. A second signal acts at once (SA_RESETHAND).

volatile std::sig_atomic_t g_stop_signal = 0;

void note_signal(int sig) { g_stop_signal = sig; }

constexpr int stop_signals[] = {SIGINT, SIGTERM, SIGHUP};

// Installs note_signal for every stop signal that is not ignored (nohup keeps SIGHUP ignored);
// the old actions come back on destruction.
class signal_guard {
 public:
  signal_guard() {
    struct sigaction sa {};
    sa.sa_handler = note_signal;
    sa.sa_flags = SA_RESETHAND;  // no SA_RESTART: a poll under way returns EINTR at once
    sigemptyset(&sa.sa_mask);
    for (std::size_t i = 0; i < std::size(stop_signals); ++i) {
      ::sigaction(stop_signals[i], nullptr, &old_[i]);
      if (old_[i].sa_handler != SIG_IGN) ::sigaction(stop_signals[i], &sa, nullptr);
    }
  }
  ~signal_guard() {
    for (std::size_t i = 0; i < std::size(stop_signals); ++i)
      ::sigaction(stop_signals[i], &old_[i], nullptr);
  }
  signal_guard(const signal_guard&) = delete;
  signal_guard& operator=(const signal_guard&) = delete;

 private:
  struct sigaction old_[std::size(stop_signals)]{};
};

std::string_view signal_name(int sig) {
  switch (sig) {
    case SIGINT: return "SIGINT";
    case SIGTERM: return "SIGTERM";
    case SIGHUP: return "SIGHUP";
  }
  return "a signal";
}

// Ends the process with `sig`, as if the demo had not caught it; 128 + sig if that fails.
int die_of(int sig) {
  std::fflush(nullptr);
  std::signal(sig, SIG_DFL);
  ::raise(sig);
  return 128 + sig;
}

// DIAL_DEMO_PAUSE_AFTER_SETUP=SECONDS, for tests only (not in --help): once the fixtures ran, with
// their socket files still in the directory, wait up to SECONDS (at most 60) for a stop signal,
// so that a test can interrupt the demo at the moment it has the most to clean up.
void pause_for_tests(const fs::path& dir) {
  const char* value = std::getenv("DIAL_DEMO_PAUSE_AFTER_SETUP");
  if (value == nullptr) return;
  const auto limit = std::chrono::seconds(std::clamp(std::atoi(value), 0, 60));
  fmt::print(stderr, "dial demo: paused with the fixtures in {}\n", dir.string());
  std::fflush(stderr);
  const auto until = std::chrono::steady_clock::now() + limit;
  while (g_stop_signal == 0 && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(10ms);
}

// ---- the demonstration -----------------------------------------------------------------------

// A private directory for the Unix-socket fixtures, removed with everything in it.
class temp_dir {
 public:
  static or_why<temp_dir> make() {
    const char* base = std::getenv("TMPDIR");
    std::string templ =
        fmt::format("{}/dial-demo-XXXXXX", base != nullptr && *base ? base : "/tmp");
    if (::mkdtemp(templ.data()) == nullptr) return os_failed(fmt::format("mkdtemp {}", templ));
    return temp_dir(templ);
  }
  temp_dir(temp_dir&& o) noexcept : path_(std::exchange(o.path_, {})) {}
  temp_dir& operator=(temp_dir&&) = delete;
  ~temp_dir() { remove(); }
  [[nodiscard]] const fs::path& path() const { return path_; }
  /// Removes the directory now; true when it is gone.
  bool remove() {
    if (path_.empty()) return true;
    std::error_code ec;
    fs::remove_all(path_, ec);
    if (ec) return false;
    path_.clear();
    return true;
  }

 private:
  explicit temp_dir(fs::path p) : path_(std::move(p)) {}
  fs::path path_;
};

// How many descriptors this process has open; -1 where /proc/self/fd cannot be read.
long open_descriptors() {
  std::error_code ec;
  long n = 0;
  for (fs::directory_iterator it("/proc/self/fd", ec), end; !ec && it != end; it.increment(ec)) ++n;
  return ec ? -1 : n;
}

struct fixture {
  std::string_view note;
  or_why<row> (*run)(const fs::path& dir);
};

std::vector<row> run_fixtures(const fs::path& dir) {
  static constexpr fixture fixtures[] = {
      {"TCP listener", [](const fs::path&) { return tcp_listener(AF_INET); }},
      {"TCP listener on IPv6 loopback", [](const fs::path&) { return tcp_listener(AF_INET6); }},
      {"TCP port bound but not listening (RST)", [](const fs::path&) { return closed_port(); }},
      {"no such Unix socket path", missing_unix},
      {"stale Unix socket file (listener closed)", stale_unix},
      {"Unix listener, backlog 0 and full; non-blocking connect", full_unix},
      {"non-blocking TCP connect: handshake under way",
       [](const fs::path&) { return nonblocking_tcp(); }},
      {"AF_INET socket given an AF_UNIX address", wrong_family},
      {"a Unix path component is a regular file", not_a_directory},
      {"connect again while pending on a full TCP backlog",
       [](const fs::path&) { return pending_tcp(); }},
      {"address length 8, shorter than sockaddr_in",
       [](const fs::path&) { return short_length(); }},
      {"peer accepted, then reset (SO_LINGER 0); connect again",
       [](const fs::path&) { return reset_by_peer(); }},
  };
  std::vector<row> rows;
  for (const auto& f : fixtures) {
    if (g_stop_signal != 0) break;  // demo() removes the directory and ends with the signal
    auto r = f.run(dir);
    if (r) {
      r->note = f.note;
      rows.push_back(std::move(*r));
    } else {
      rows.push_back({"-",
                      {false, "Skipped", 0, std::nullopt},
                      fmt::format("{}: could not set up: {}", f.note, r.error())});
    }
  }
  return rows;
}

}  // namespace

int demo() {
  const signal_guard signals;  // before the directory exists
  const long fds_before = open_descriptors();
  auto dir = temp_dir::make();
  if (!dir) {
    fmt::print(stderr, "dial demo: cannot create a directory for Unix sockets: {}\n", dir.error());
    return 1;
  }
  const fs::path dir_path = dir->path();
  const std::vector<row> rows = run_fixtures(dir_path);  // every fixture is closed on return
  pause_for_tests(dir_path);
  if (const int sig = g_stop_signal; sig != 0) {
    const bool removed = dir->remove();
    fmt::print(stderr, "dial demo: interrupted by {}; {} {}\n", signal_name(sig),
               removed ? "removed" : "could not remove", dir_path.string());
    return die_of(sig);
  }

  std::vector<std::string> targets;
  std::set<std::string_view> outcomes;
  for (const auto& r : rows) {
    targets.push_back(r.target);
    if (r.result.name != "Skipped") outcomes.insert(r.result.name);
  }
  const table t(targets, true);
  t.header();
  for (const auto& r : rows) t.print(r);

  const bool removed = dir->remove();
  const long fds_after = open_descriptors();
  fmt::print("\n{} fixtures, {} distinct outcomes. ", rows.size(), outcomes.size());
  if (!removed || fds_after != fds_before) {
    fmt::print("\n");
    if (!removed) fmt::print(stderr, "dial demo: could not remove {}\n", dir_path.string());
    if (fds_after != fds_before)
      fmt::print(stderr, "dial demo: {} descriptors open before the fixtures, {} after\n",
                 fds_before, fds_after);
    return 1;
  }
  fmt::print("Cleaned up: {} removed, {}.\n", dir_path.string(),
             fds_before < 0 ? "descriptors not checked (no /proc)" : "no descriptor left open");
  if (const int sig = g_stop_signal; sig != 0) return die_of(sig);  // came after the clean-up
  return 0;
}

}  // namespace dial::cli
