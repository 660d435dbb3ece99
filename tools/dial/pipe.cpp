// tools/dial/pipe.cpp: `dial pipe TARGET`: connect with the race, then relay both directions.
#include "pipe.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <expected>
#include <functional>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/core.h>

#include "host_probe.hpp"
#include "progress.hpp"
#include "report.hpp"

namespace dial::cli {
namespace {

constexpr int exit_ok = 0;
constexpr int exit_failed = 1;
constexpr int exit_usage = 2;
constexpr int exit_interrupted = 130;

constexpr std::string_view pipe_help =
    R"help(Usage: dial pipe TARGET [--timeout DURATION] [--proxy URL] [-v] [connect options]

Connect to TARGET, then relay: standard input to the connection and the connection to standard
output, byte for byte (the nc / socat use). Standard output carries nothing but the relayed
bytes; every diagnostic goes to standard error.

TARGET is the grammar of `dial TARGET` (dial --help): HOST:PORT (a name, resolved and raced with
Happy Eyeballs v2), a.b.c.d:PORT, [v6addr]:PORT, unix:/path or unix:@name.

The relay:
  * end of standard input: the connection is shut down for sending (shutdown SHUT_WR, the peer
    reads end-of-stream, as with `nc -N`) once every byte read has been sent; the connection is
    still read until the peer closes
  * end of the connection (the peer closed or shut down its side): standard output is closed
    once every byte received has been written; standard input is still relayed until its end
  * the relay ends when both directions have ended. There is no timer: unlike socat's -t
    (0.5 s after one direction's end) the other direction runs to its own end; at a
    terminal, Ctrl-D ends the input
  * a closed standard input (<&-) reads as empty; a closed standard output (>&-) is refused
  * bytes never enter user space where the kernel can move them: splice(2) where one end is
    a pipe (stdin from `|`, stdout into `|`; the pipe's capacity is raised to 1 MiB where
    allowed), sendfile(2) when stdin is a regular file (`< FILE`); otherwise (a terminal,
    /dev/null, a socket, stdout a file) read/write through a 256 KiB buffer

Options:
  --timeout DURATION  give up connecting after DURATION (resolution and every attempt
                      included; the outcome is Timeout). Default 10s. DURATION is a number and
                      a unit: us, ms, s or m; a bare number is milliseconds. The relay itself
                      has no timeout.
  --proxy URL         connect through a proxy (socks5://, socks5h:// or http://, as for
                      `dial --proxy`): the race is to the proxy, then its handshake within
                      the same --timeout; the relay then runs through the tunnel. Not for
                      Unix targets
  -v, --verbose       print the race on standard error: every DNS answer and every attempt
                      (as `dial -v` does), the proxy hop with --proxy, then the peer connected
                      to
)help";

// After the connect flags (connect_flags_help): with --fastopen the first bytes of standard
// input ride in the SYN.
constexpr std::string_view pipe_help_tail = R"help(  -h, --help          show this help and exit
  --                  end of options: the next argument is the target

A failure is one line on standard error: for the connect, the target, its outcome's name from
dial's closed set and the OS code, the peer and the time, as `dial TARGET`'s row shows them
("dial pipe: 127.0.0.1:1: ConnectionRefused ECONNREFUSED (111), peer 127.0.0.1:1, 61 µs");
for the relay, what failed and its name ("dial pipe: recv from 127.0.0.1:8080:
ConnectionResetByPeer ECONNRESET (104)", "dial pipe: write to standard output: BrokenPipe EPIPE
(32)"). SIGPIPE is ignored: a closed reader is BrokenPipe, not a silent death.

Exit status:
  0    connected, and the relay ended cleanly (both directions at their end)
  1    the connect failed, or the relay's first error (named on standard error)
  2    usage error: an unknown option, a malformed target, none or more than one
  130  interrupted by Ctrl-C (SIGINT) or SIGTERM, while connecting or relaying
)help";

int usage(std::string_view message) {
  fmt::print(stderr, "dial pipe: {}\nTry 'dial pipe --help' for more information.\n", message);
  return exit_usage;
}

struct pipe_command {
  std::string_view target;
  bool verbose = false;
  std::optional<std::chrono::nanoseconds> timeout;
  std::optional<dial::proxy> proxy;
  connect_flags connect{};
};

// The command line, or a usage error's message; --help sets `help` and ends the parse.
std::expected<pipe_command, std::string> parse_pipe_args(std::span<char* const> args, bool& help) {
  pipe_command c;
  bool have_target = false;
  bool options_done = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view a = args[i];
    if (!options_done && a.size() > 1 && a.front() == '-') {
      if (a == "--") {
        options_done = true;
      } else if (a == "-h" || a == "--help") {
        help = true;
        return c;
      } else if (a == "-v" || a == "--verbose") {
        c.verbose = true;
      } else if (a == "--timeout" || a.starts_with("--timeout=")) {
        if (a == "--timeout" && i + 1 == args.size())
          return std::unexpected("--timeout needs a duration");
        const std::string_view v = a == "--timeout" ? std::string_view(args[++i]) : a.substr(10);
        const auto t = parse_duration(v);
        if (!t) return std::unexpected(describe("duration", v, t.error()));
        c.timeout = *t;
      } else if (a == "--proxy" || a.starts_with("--proxy=")) {
        if (a == "--proxy" && i + 1 == args.size()) return std::unexpected("--proxy needs a URL");
        auto p = parse_proxy_option(a == "--proxy" ? std::string_view(args[++i]) : a.substr(8));
        if (!p) return std::unexpected(p.error());
        c.proxy = std::move(*p);
      } else if (auto flag = take_connect_flag(c.connect, args, i); !flag) {
        return std::unexpected(flag.error());
      } else if (!*flag) {
        return std::unexpected(fmt::format("unknown option '{}'", echo(a)));
      }
    } else if (have_target) {
      return std::unexpected(
          fmt::format("one target at a time ('{}' and '{}')", echo(c.target), echo(a)));
    } else {
      c.target = a;
      have_target = true;
    }
  }
  if (!have_target) return std::unexpected("no target given");
  return c;
}

// ---- the relay -------------------------------------------------------------------------------

// Standard input's and output's failures by name (Zig's ReadError and WriteError names): the
// socket's have dial's sets (recv_error, send_error), these are read(2)'s and write(2)'s.
std::string_view stream_error_name(int code, bool writing) noexcept {
  switch (code) {
    case EPIPE: return "BrokenPipe";  // the reader of standard output has gone
    case EIO: return "InputOutput";   // a terminal hung up, a device error
    case ENOSPC: return "NoSpaceLeft";
    case EDQUOT: return "DiskQuota";
    case EFBIG: return "FileTooBig";
    case EISDIR: return "IsDir";  // standard input is a directory
    case EBADF: return writing ? "NotOpenForWriting" : "NotOpenForReading";
    case ENOMEM:
    case ENOBUFS: return "SystemResources";
    case EACCES:
    case EPERM: return "AccessDenied";
    case ECONNRESET: return "ConnectionResetByPeer";  // standard input or output is a socket
    case ETIMEDOUT: return "ConnectionTimedOut";
    case ENOTCONN: return "SocketNotConnected";
    default: return "Unexpected";
  }
}

// The names of a descriptor-making call's failures (eventfd, open), dial::socket's where they
// are the same conditions.
std::string_view descriptor_error_name(int code) noexcept {
  switch (code) {
    case EMFILE: return "ProcessFdQuotaExceeded";
    case ENFILE: return "SystemFdQuotaExceeded";
    case ENOMEM:
    case ENODEV: return "SystemResources";  // eventfd: no anonymous inode could be mounted
    default: return "Unexpected";
  }
}

// The relay's first error: what failed ("recv from 127.0.0.1:80"), its name and native code.
struct relay_failure {
  std::string what;
  std::string_view name;
  int native = 0;
};

constexpr std::size_t copy_buffer = 256 * 1024;
constexpr std::size_t splice_chunk = 1 << 20;
constexpr int pipe_capacity = 1 << 20;  // Linux's default pipe-max-size: no privilege needed

// How a direction moves its bytes: splice(2) when one end is a pipe, sendfile(2) from a regular
// file standard input, else read/write through a buffer. The first two never copy to user space.
enum class mover : std::uint8_t { copy, splice, sendfile };

// One direction: bytes from `from` to `to`. With copy they pass through `buf`, [begin, end) not
// yet written; otherwise the kernel moves them. It waits for `from` to be readable, or (want_to)
// for `to` to be writable: after a full destination (splice, sendfile), or while buf holds bytes.
struct direction {
  int from = -1;
  int to = -1;
  mover how = mover::copy;
  bool want_to = false;  // waiting for `to` to take bytes (it was full; copy: buf holds some)
  bool done = false;
  std::vector<std::byte> buf{};
  std::size_t begin = 0;
  std::size_t end = 0;
};

mode_t file_type(int fd) {
  struct stat st {};
  return ::fstat(fd, &st) == 0 ? (st.st_mode & S_IFMT) : 0;
}

direction copy_direction(int from, int to) {
  return {from, to, mover::copy, false, false, std::vector<std::byte>(copy_buffer)};
}

// `end` is the standard stream of the direction (its pipe, if either end is one); `may_sendfile`:
// it is the source, so a regular file can be sent with sendfile.
direction make_direction(int from, int to, int end, bool may_sendfile) {
  const mode_t type = file_type(end);
  if (type == S_IFIFO) {
    if (::fcntl(end, F_GETPIPE_SZ) < pipe_capacity)     // never shrink a larger one
      (void)::fcntl(end, F_SETPIPE_SZ, pipe_capacity);  // fewer, larger splices; best effort
    return {from, to, mover::splice};
  }
  if (may_sendfile && type == S_IFREG) return {from, to, mover::sendfile};
  return copy_direction(from, to);
}

// The relay of one connection: `up` is standard input to the socket, `down` the socket to
// standard output. Each step function does one transfer after poll said its end is ready.
class relay {
 public:
  relay(int sock, std::string peer)
      : sock_(sock),
        peer_(std::move(peer)),
        up_(make_direction(STDIN_FILENO, sock, STDIN_FILENO, true)),
        down_(make_direction(sock, STDOUT_FILENO, STDOUT_FILENO, false)) {}

  [[nodiscard]] bool finished() const noexcept { return up_.done && down_.done; }
  [[nodiscard]] poll_fd up_wait() const noexcept { return wait_of(up_); }
  [[nodiscard]] poll_fd down_wait() const noexcept { return wait_of(down_); }

  // One step of a direction whose end was ready; the first error ends the relay.
  [[nodiscard]] std::optional<relay_failure> step_up();
  [[nodiscard]] std::optional<relay_failure> step_down();

 private:
  static poll_fd wait_of(const direction& d) noexcept {
    if (d.done) return {-1, 0, 0};
    return d.want_to ? poll_fd{d.to, poll_out, 0} : poll_fd{d.from, poll_in, 0};
  }
  std::optional<relay_failure> splice_up();
  std::optional<relay_failure> splice_down();
  std::optional<relay_failure> read_stdin();
  std::optional<relay_failure> send_buffer();
  std::optional<relay_failure> recv_socket();
  std::optional<relay_failure> write_stdout();
  std::optional<relay_failure> input_ended();
  void output_ended();
  relay_failure send_failed(send_error e) const {
    return {"send to " + peer_, name(e), last_native_error()};
  }
  relay_failure recv_failed(recv_error e) const {
    return {"recv from " + peer_, name(e), last_native_error()};
  }

  int sock_;
  std::string peer_;
  direction up_;
  direction down_;
};

std::optional<relay_failure> relay::step_up() {
  if (up_.how != mover::copy) {
    // The socket has room again: wait for standard input once more, so that every transfer
    // follows a poll of its source and its EAGAIN can only mean a full destination (no spin).
    if (std::exchange(up_.want_to, false)) return std::nullopt;
    return splice_up();
  }
  return up_.end > up_.begin ? send_buffer() : read_stdin();
}

std::optional<relay_failure> relay::step_down() {
  if (down_.how != mover::copy) {
    if (std::exchange(down_.want_to, false)) return std::nullopt;  // as step_up
    return splice_down();
  }
  return down_.end > down_.begin ? write_stdout() : recv_socket();
}

// Standard input (a pipe; or a regular file, sent with sendfile from its offset) to the socket.
// Standard input polled readable, so EAGAIN means the socket is full: wait for it. EINVAL: this
// pair cannot be spliced, copy instead.
std::optional<relay_failure> relay::splice_up() {
  const auto n = up_.how == mover::sendfile
                     ? ::sendfile(sock_, STDIN_FILENO, nullptr, splice_chunk)
                     : ::splice(STDIN_FILENO, nullptr, sock_, nullptr, splice_chunk,
                                SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
  if (n > 0) return std::nullopt;
  if (n == 0) return input_ended();
  if (errno == EAGAIN) {
    up_.want_to = true;
    return std::nullopt;
  }
  if (errno == EINTR) return std::nullopt;
  if (errno == EINVAL || errno == ENOSYS) {
    up_ = copy_direction(STDIN_FILENO, sock_);
    return std::nullopt;
  }
  if (errno == EIO) return relay_failure{"read standard input", "InputOutput", EIO};  // the file
  return send_failed(send_error_from_native(errno));
}

// The socket to standard output (a pipe). The socket polled readable, so EAGAIN means the pipe
// is full. EPIPE is standard output's reader gone; any other error is the socket's.
std::optional<relay_failure> relay::splice_down() {
  const auto n = ::splice(sock_, nullptr, STDOUT_FILENO, nullptr, splice_chunk,
                          SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
  if (n > 0) return std::nullopt;
  if (n == 0) {
    output_ended();
    return std::nullopt;
  }
  if (errno == EAGAIN) {
    down_.want_to = true;
    return std::nullopt;
  }
  if (errno == EINTR) return std::nullopt;
  if (errno == EPIPE) return relay_failure{"write to standard output", "BrokenPipe", EPIPE};
  if (errno == EINVAL) {
    down_ = copy_direction(sock_, STDOUT_FILENO);
    return std::nullopt;
  }
  return recv_failed(recv_error_from_native(errno));
}

std::optional<relay_failure> relay::read_stdin() {
  const auto n = ::read(STDIN_FILENO, up_.buf.data(), up_.buf.size());
  if (n == 0) return input_ended();
  if (n < 0) {
    if (errno == EAGAIN || errno == EINTR) return std::nullopt;  // a non-blocking stdin: poll again
    const int e = errno;
    return relay_failure{"read standard input", stream_error_name(e, false), e};
  }
  up_.begin = 0;
  up_.end = static_cast<std::size_t>(n);
  return send_buffer();  // most often the socket has room: no poll in between
}

std::optional<relay_failure> relay::send_buffer() {
  const auto r = send(sock_, std::span(up_.buf).subspan(up_.begin, up_.end - up_.begin));
  if (!r) {
    if (r.error() != send_error::would_block) return send_failed(r.error());
    up_.want_to = true;
    return std::nullopt;
  }
  up_.begin += *r;
  up_.want_to = up_.begin < up_.end;
  return std::nullopt;
}

std::optional<relay_failure> relay::recv_socket() {
  const auto r = recv(sock_, down_.buf);
  if (!r) {
    if (r.error() == recv_error::would_block) return std::nullopt;  // a spurious wake-up
    return recv_failed(r.error());
  }
  if (*r == 0) {
    output_ended();
    return std::nullopt;
  }
  down_.begin = 0;
  down_.end = *r;
  return write_stdout();
}

std::optional<relay_failure> relay::write_stdout() {
  const auto n = ::write(STDOUT_FILENO, down_.buf.data() + down_.begin, down_.end - down_.begin);
  if (n < 0) {
    if (errno != EAGAIN && errno != EINTR) {
      const int e = errno;
      return relay_failure{"write to standard output", stream_error_name(e, true), e};
    }
    down_.want_to = true;
    return std::nullopt;
  }
  down_.begin += static_cast<std::size_t>(n);
  down_.want_to = down_.begin < down_.end;
  return std::nullopt;
}

// Standard input ended and every byte of it was sent (a splice leaves none behind, a copy reads
// again only once its buffer is empty): the peer reads end-of-stream.
std::optional<relay_failure> relay::input_ended() {
  up_.done = true;
  if (const auto r = shutdown(sock_, shutdown_how::send); !r)
    return relay_failure{"shutdown of " + peer_, name(r.error()), last_native_error()};
  return std::nullopt;
}

// The peer ended its side: standard output is closed, so that its reader sees its end now,
// while standard input may still be relayed. Descriptor 1 stays free: the relay opens nothing
// more, and nothing is written to standard output after it.
void relay::output_ended() {
  down_.done = true;
  (void)::close(STDOUT_FILENO);
}

// An eventfd that becomes readable when `stop` is requested (Ctrl-C), for the relay's poll.
class stop_event {
 public:
  explicit stop_event(const std::stop_token& stop)
      : fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)), wake_(stop, [this] { signal(); }) {}
  stop_event(const stop_event&) = delete;
  stop_event& operator=(const stop_event&) = delete;
  ~stop_event() {
    if (fd_ >= 0) ::close(fd_);
  }
  [[nodiscard]] int fd() const noexcept { return fd_; }

 private:
  void signal() const noexcept {
    const std::uint64_t one = 1;
    if (fd_ >= 0) (void)::write(fd_, &one, sizeof one);
  }
  int fd_;
  std::stop_callback<std::function<void()>> wake_;
};

bool ready(const poll_fd& p) {
  return p.fd >= 0 && (p.revents & (p.events | poll_err | poll_hup | poll_nval)) != 0;
}

// Relays until both directions ended; the exit status.
int run_relay(int sock, const std::string& peer, const std::stop_token& stop) {
  relay r(sock, peer);
  const stop_event stopped(stop);
  if (stopped.fd() < 0) {
    const int e = errno;
    fmt::print(stderr, "dial pipe: eventfd: {} {}\n", descriptor_error_name(e), code_text(e));
    return exit_failed;
  }
  while (!r.finished()) {
    poll_fd fds[3] = {{stopped.fd(), poll_in, 0}, r.up_wait(), r.down_wait()};
    if (const auto p = poll(fds, -1); !p) {
      fmt::print(stderr, "dial pipe: poll: {} {}\n", name(p.error()),
                 code_text(last_native_error()));
      return exit_failed;
    }
    if (ready(fds[0])) {
      fmt::print(stderr, "dial pipe: interrupted\n");
      return exit_interrupted;
    }
    std::optional<relay_failure> f;
    if (ready(fds[1])) f = r.step_up();
    if (!f && ready(fds[2])) f = r.step_down();
    if (f) {
      fmt::print(stderr, "dial pipe: {}: {} {}\n", f->what, f->name, code_text(f->native));
      return exit_failed;
    }
  }
  return exit_ok;
}

// ---- connecting ------------------------------------------------------------------------------

// A descriptor 0 or 1 that is not open would be taken by the connection's socket: standard
// input closed reads as empty (/dev/null); standard output closed is refused before connecting.
bool standard_streams_open() {
  if (::fcntl(STDIN_FILENO, F_GETFD) < 0) {
    // The lowest free descriptor: 0. Close-on-exec as every descriptor dial makes (no exec).
    const int null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (null != STDIN_FILENO) {
      const int e = null < 0 ? errno : EBADF;
      fmt::print(stderr,
                 "dial pipe: standard input is closed and /dev/null cannot stand in: {} {}\n",
                 null < 0 ? descriptor_error_name(e) : "Unexpected", code_text(e));
      return false;
    }
  }
  if (::fcntl(STDOUT_FILENO, F_GETFD) < 0) {
    fmt::print(stderr, "dial pipe: standard output: NotOpenForWriting {}\n", code_text(EBADF));
    return false;
  }
  return true;
}

void print_connect_failure(const row& r) {
  fmt::print(stderr, "dial pipe: {}: {} {}, peer {}, {}\n", r.target, r.result.name,
             code_text(r.result.native, r.result.native_name), r.peer.empty() ? "-" : r.peer,
             time_text(r.result.elapsed));
}

int connect_and_relay(const host_target& t, const pipe_command& c, std::stop_source& stop) {
  auto conn = connect_target(t, {c.verbose, c.timeout, stop.get_token(), c.proxy, c.connect});
  if (c.verbose) print_race(stderr, conn.report, t.numeric);
  if (c.verbose) print_connection(stderr, c.connect, conn);
  if (!conn.result.result.connected) {
    print_connect_failure(conn.result);
    return stop.stop_requested() ? exit_interrupted : exit_failed;
  }
  if (c.verbose && c.proxy)
    fmt::print(stderr, "dial pipe: connected to {} through {} (peer {}) in {}\n", t.text,
               c.proxy->to_string(), conn.result.peer, time_text(conn.result.result.elapsed));
  else if (c.verbose)
    fmt::print(stderr, "dial pipe: connected to {} in {}\n", conn.result.peer,
               time_text(conn.result.result.elapsed));
  const int sock = conn.socket.get();
  const int flags = ::fcntl(sock, F_GETFL);
  if (flags < 0 || ::fcntl(sock, F_SETFL, flags | O_NONBLOCK) < 0) {
    fmt::print(stderr, "dial pipe: fcntl O_NONBLOCK: Unexpected {}\n", code_text(errno));
    return exit_failed;
  }
  return run_relay(sock, conn.result.peer, stop.get_token());
}

}  // namespace

int pipe_main(std::span<char* const> args) {
  bool help = false;
  const auto c = parse_pipe_args(args, help);
  if (help) {
    fmt::print("{}{}{}", pipe_help, connect_flags_help, pipe_help_tail);
    return exit_ok;
  }
  if (!c) return usage(c.error());
  const auto t = parse_probe_target(c->target);
  if (!t) return usage(describe("endpoint", c->target, t.error()));
  if (c->proxy && t->host.empty())
    return usage(
        fmt::format("--proxy: a Unix target ('{}') cannot go through a proxy", echo(c->target)));
  if (!standard_streams_open()) return exit_failed;
  ::signal(SIGPIPE, SIG_IGN);  // a closed reader is EPIPE, named BrokenPipe
  block_stop_signals();        // before the monitor's thread: only it takes them
  std::stop_source stop;
  const std::atomic<std::size_t> none{0};
  scan_monitor monitor(0, false, stop, none);
  const int status = connect_and_relay(*t, *c, stop);
  monitor.finish();
  return monitor.interrupted() ? exit_interrupted : status;
}

}  // namespace dial::cli
