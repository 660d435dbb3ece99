// bench/engine_bench.cpp: many simultaneous loopback connects (dial's engine, a raw io_uring
// loop, libuv, Asio), a full-port scan (dial scan against nmap), and peak RSS, in one run.
//
// A whole run is the unit, so this is a plain timed harness, not Google Benchmark: every
// contender runs in a forked child (so that ru_maxrss is its own), sets up, waits at a barrier,
// then does all N connects with all N allowed in flight at once, closing each socket as soon as
// its connect completes. The parent times from the barrier to the last child's end (CLOCK_MONOTONIC
// stamps taken by the children), drains the listeners and rotates the order every round.
// docs/benchmarks.md ("Many connects in flight") explains the conditions; bench/engine_run.sh
// runs it inside a private network namespace.
#include <fcntl.h>
#include <liburing.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <uv.h>

#include <algorithm>
#include <array>
#include <asio.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "dial/engine.hpp"
#include "loopback.hpp"

namespace {

using bench::die;

std::int64_t now_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

/// What a child reports through its pipe.
struct child_report {
  std::int64_t start_ns = 0;
  std::int64_t end_ns = 0;
  std::size_t connected = 0;
  std::size_t failed = 0;
  std::size_t in_flight_max = 0;  ///< the engine's concurrency after clamping (dial only)
  int first_errno = 0;
};

/// One connect workload: N connects to the targets round-robin.
struct workload {
  std::vector<sockaddr_in> targets;
};

workload make_workload(const std::vector<sockaddr_in>& ports, std::size_t n) {
  workload w;
  w.targets.reserve(n);
  for (std::size_t i = 0; i < n; ++i) w.targets.push_back(ports[i % ports.size()]);
  return w;
}

// ---- contender: a raw single-threaded io_uring loop --------------------------------------------
// Per connect three linked SQEs: IORING_OP_SOCKET into a free direct-descriptor slot,
// IORING_OP_CONNECT on that fixed file (hard-linked, so that the close runs whatever the connect
// gave), and IORING_OP_CLOSE of the slot, which frees it. At most `window` connects in flight
// (all of them for the simultaneous runs; 4096 for the scan). No per-connect deadline: every
// connect here is to loopback, and no self-connect check (the scan row is a speed reference).
struct raw_uring {
  io_uring ring{};
  const workload* w = nullptr;
  std::vector<unsigned> free_slots;

  void setup(const workload& wl, std::size_t window) {
    w = &wl;
    io_uring_params p{};
    p.flags = IORING_SETUP_CQSIZE | IORING_SETUP_SUBMIT_ALL | IORING_SETUP_COOP_TASKRUN;
    p.cq_entries = 65536;
    if (io_uring_queue_init_params(4096, &ring, &p) != 0) die("io_uring_queue_init_params");
    const auto slots = static_cast<unsigned>(std::max<std::size_t>(1, window));
    if (io_uring_register_files_sparse(&ring, slots) != 0) die("io_uring_register_files_sparse");
    for (unsigned i = slots; i-- > 0;) free_slots.push_back(i);
  }
  void setup(const workload& wl) { setup(wl, wl.targets.size()); }

  void start(std::uint64_t index, unsigned slot) {
    const std::uint64_t tag = index << 32 | std::uint64_t{slot} << 2;
    io_uring_sqe* s = io_uring_get_sqe(&ring);
    io_uring_prep_socket_direct(s, AF_INET, SOCK_STREAM, 0, slot, 0);  // no CLOEXEC: no real fd
    s->flags |= IOSQE_IO_LINK;
    s->user_data = tag | 0;
    s = io_uring_get_sqe(&ring);
    io_uring_prep_connect(s, static_cast<int>(slot),
                          reinterpret_cast<const sockaddr*>(&w->targets[index]),
                          sizeof(sockaddr_in));
    s->flags |= IOSQE_FIXED_FILE | IOSQE_IO_HARDLINK;
    s->user_data = tag | 1;
    s = io_uring_get_sqe(&ring);
    io_uring_prep_close_direct(s, slot);
    s->user_data = tag | 2;
  }

  void run(child_report& r) {
    const std::size_t n = w->targets.size();
    std::size_t next = 0, closed = 0;
    while (closed < n) {
      while (next < n && !free_slots.empty() && io_uring_sq_space_left(&ring) >= 3) {
        start(next++, free_slots.back());
        free_slots.pop_back();
      }
      if (io_uring_submit_and_wait(&ring, 1) < 0) die("io_uring_submit_and_wait");
      unsigned head = 0, seen = 0;
      io_uring_cqe* cqe = nullptr;
      io_uring_for_each_cqe(&ring, head, cqe) {
        ++seen;
        switch (cqe->user_data & 3) {
          case 1:
            if (cqe->res == 0) {
              ++r.connected;
            } else {
              ++r.failed;
              if (r.first_errno == 0 && cqe->res != -ECONNREFUSED) r.first_errno = -cqe->res;
            }
            break;
          case 2:
            ++closed;
            free_slots.push_back(static_cast<unsigned>((cqe->user_data & 0xffffffffu) >> 2));
            break;
          default:  // the socket: a failure here cancels the linked connect
            if (cqe->res < 0 && r.first_errno == 0) r.first_errno = -cqe->res;
            break;
        }
      }
      io_uring_cq_advance(&ring, seen);
    }
  }
  ~raw_uring() { io_uring_queue_exit(&ring); }
};

// ---- contender: dial's engine
// --------------------------------------------------------------------
struct dial_engine {
  std::vector<dial::address> targets;
  std::optional<dial::engine> e;
  unsigned threads = 1;

  struct counter final : dial::engine_sink {
    child_report* r = nullptr;
    void on_result(const dial::engine_result& x) override {
      if (x.outcome) {
        ++r->connected;
      } else {
        ++r->failed;
        if (r->first_errno == 0) r->first_errno = x.native_code != 0 ? x.native_code : -1;
      }
    }
  };

  void setup(const workload& wl) {
    for (const auto& a : wl.targets)
      targets.push_back(dial::address::loopback_ipv4(ntohs(a.sin_port)));
    auto made = dial::engine::create(
        {dial::engine_backend::io_uring, targets.size(), std::chrono::seconds(10), threads});
    if (!made) {
      std::fprintf(stderr, "bench: engine::create: %s\n",
                   std::string(dial::name(made.error())).c_str());
      std::exit(2);
    }
    e.emplace(std::move(*made));
  }
  void run(child_report& r) {
    counter c;
    c.r = &r;
    r.in_flight_max = e->concurrency();
    e->run(targets, c);
  }
};

// ---- contender: libuv
// ------------------------------------------------------------------------------
struct libuv {
  uv_loop_t loop{};
  std::vector<uv_tcp_t> handles;
  std::vector<uv_connect_t> requests;
  const workload* w = nullptr;
  child_report* r = nullptr;

  void setup(const workload& wl) {
    w = &wl;
    if (uv_loop_init(&loop) != 0) die("uv_loop_init");
    handles.resize(wl.targets.size());
    requests.resize(wl.targets.size());
    loop.data = this;
  }
  static void on_connect(uv_connect_t* req, int status) {
    auto* self = static_cast<libuv*>(req->handle->loop->data);
    if (status == 0) {
      ++self->r->connected;
    } else {
      ++self->r->failed;
      if (self->r->first_errno == 0) self->r->first_errno = -status;
    }
    uv_close(reinterpret_cast<uv_handle_t*>(req->handle), nullptr);
  }
  void run(child_report& rep) {
    r = &rep;
    for (std::size_t i = 0; i < handles.size(); ++i) {
      if (uv_tcp_init(&loop, &handles[i]) != 0) die("uv_tcp_init");
      const int rc = uv_tcp_connect(&requests[i], &handles[i],
                                    reinterpret_cast<const sockaddr*>(&w->targets[i]), on_connect);
      if (rc != 0) {
        ++rep.failed;
        if (rep.first_errno == 0) rep.first_errno = -rc;
        uv_close(reinterpret_cast<uv_handle_t*>(&handles[i]), nullptr);
      }
    }
    uv_run(&loop, UV_RUN_DEFAULT);
  }
  ~libuv() { uv_loop_close(&loop); }
};

// ---- contender: Asio (standalone, single-threaded io_context)
// -------------------------------------
struct asio_connects {
  asio::io_context ctx{1};
  std::vector<asio::ip::tcp::socket> sockets;
  std::vector<asio::ip::tcp::endpoint> endpoints;

  void setup(const workload& wl) {
    sockets.reserve(wl.targets.size());
    for (const auto& a : wl.targets) {
      sockets.emplace_back(ctx);
      endpoints.emplace_back(asio::ip::address_v4::loopback(), ntohs(a.sin_port));
    }
  }
  void run(child_report& r) {
    for (std::size_t i = 0; i < sockets.size(); ++i) {
      sockets[i].async_connect(endpoints[i], [this, i, &r](const asio::error_code& ec) {
        if (!ec) {
          ++r.connected;
        } else {
          ++r.failed;
          if (r.first_errno == 0) r.first_errno = ec.value();
        }
        asio::error_code ignored;
        sockets[i].close(ignored);
      });
    }
    ctx.run();
  }
};

// ---- children
// ------------------------------------------------------------------------------------

/// One contender as the parent runs it.
struct contender {
  std::string name;      ///< as printed
  std::string kind;      ///< raw_uring, dial, libuv, asio, idle
  unsigned procs = 1;    ///< processes, each doing n / procs connects
  unsigned threads = 1;  ///< dial's engine threads
  bool pin = true;       ///< pin each process to its own CPU (process k on CPU k)
};

template <class Impl>
void child_body(Impl& impl, const workload& w, int go_fd, int report_fd) {
  impl.setup(w);
  child_report r;
  const char ready = 'r';
  if (::write(report_fd, &ready, 1) != 1) die("write ready");
  char go = 0;
  if (::read(go_fd, &go, 1) != 1) die("read go");
  r.start_ns = now_ns();
  impl.run(r);
  r.end_ns = now_ns();
  if (::write(report_fd, &r, sizeof r) != sizeof r) die("write report");
}

[[noreturn]] void child_main(const contender& c, const workload& w, int go_fd, int report_fd,
                             int cpu) {
  if (cpu >= 0) bench::pin_this_thread(cpu);
  if (c.kind == "raw_uring") {
    raw_uring impl;
    child_body(impl, w, go_fd, report_fd);
  } else if (c.kind == "raw_uring_scan") {
    struct scan_window : raw_uring {
      void setup(const workload& wl) { raw_uring::setup(wl, 4096); }
    } impl;
    child_body(impl, w, go_fd, report_fd);
  } else if (c.kind == "dial") {
    dial_engine impl;
    impl.threads = c.threads;
    child_body(impl, w, go_fd, report_fd);
  } else if (c.kind == "libuv") {
    libuv impl;
    child_body(impl, w, go_fd, report_fd);
  } else if (c.kind == "asio") {
    asio_connects impl;
    child_body(impl, w, go_fd, report_fd);
  } else {  // idle: the baseline for peak RSS
    struct idle {
      void setup(const workload&) {}
      void run(child_report&) {}
    } impl;
    child_body(impl, w, go_fd, report_fd);
  }
  std::fflush(nullptr);
  ::_exit(0);
}

/// What one run of a contender gave.
struct run_result {
  double ms = 0;
  std::size_t connected = 0, failed = 0, in_flight_max = 0;
  long max_rss_kb = 0;  ///< the largest child's peak RSS
  long sum_rss_kb = 0;  ///< summed over the children
  int first_errno = 0;
};

bool read_all(int fd, void* buf, std::size_t n) {
  auto* p = static_cast<char*>(buf);
  while (n > 0) {
    const ssize_t got = ::read(fd, p, n);
    if (got <= 0) {
      if (got < 0 && errno == EINTR) continue;
      return false;
    }
    p += got;
    n -= static_cast<std::size_t>(got);
  }
  return true;
}

run_result run_contender(const contender& c, const std::vector<sockaddr_in>& ports, std::size_t n) {
  int go[2];
  if (::pipe2(go, O_CLOEXEC) != 0) die("pipe2");
  std::vector<int> reports;
  std::vector<pid_t> pids;
  const auto cpus = bench::allowed_cpus();
  for (unsigned k = 0; k < c.procs; ++k) {
    const workload w = make_workload(ports, n / c.procs);
    int rep[2];
    if (::pipe2(rep, O_CLOEXEC) != 0) die("pipe2");
    std::fflush(nullptr);
    const pid_t pid = ::fork();
    if (pid < 0) die("fork");
    if (pid == 0) {
      ::close(rep[0]);
      ::close(go[1]);
      child_main(c, w, go[0], rep[1], c.pin ? cpus[k % cpus.size()] : -1);
    }
    ::close(rep[1]);
    reports.push_back(rep[0]);
    pids.push_back(pid);
  }
  ::close(go[0]);
  for (int fd : reports) {  // every child has set up
    char ready = 0;
    if (!read_all(fd, &ready, 1)) die("child failed during setup");
  }
  const std::string gos(c.procs, 'g');
  if (::write(go[1], gos.data(), gos.size()) != static_cast<ssize_t>(gos.size())) die("write go");
  run_result out;
  std::int64_t start = INT64_MAX, end = 0;
  for (std::size_t k = 0; k < reports.size(); ++k) {
    child_report r;
    if (!read_all(reports[k], &r, sizeof r)) die("child failed during its run");
    start = std::min(start, r.start_ns);
    end = std::max(end, r.end_ns);
    out.connected += r.connected;
    out.failed += r.failed;
    out.in_flight_max += r.in_flight_max;
    if (out.first_errno == 0) out.first_errno = r.first_errno;
    ::close(reports[k]);
    int status = 0;
    rusage ru{};
    if (::wait4(pids[k], &status, 0, &ru) < 0) die("wait4");
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) die("child exit status");
    out.max_rss_kb = std::max(out.max_rss_kb, ru.ru_maxrss);
    out.sum_rss_kb += ru.ru_maxrss;
  }
  ::close(go[1]);
  out.ms = static_cast<double>(end - start) / 1e6;
  return out;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t m = v.size() / 2;
  return v.size() % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

std::string fmt_notes(const contender& c, const run_result& r, std::size_t n) {
  std::string s = std::to_string(c.procs) + " proc" + (c.procs > 1 ? "s" : "") + " x " +
                  std::to_string(n / c.procs) + ", " + (c.pin ? "pinned" : "unpinned");
  if (c.kind == "dial")
    s += ", " + std::to_string(c.threads) + " thr, in flight " + std::to_string(r.in_flight_max);
  return s;
}

// ---- part (a) and (c): simultaneous connects and peak RSS
// ------------------------------------------

void connects(std::size_t n, const std::vector<contender>& cs, int rounds,
              const bench::listeners& l) {
  std::map<std::string, std::vector<run_result>> results;
  const run_result idle = run_contender({"idle", "idle", 1, 1, true}, l.addrs, 0);
  for (int round = 0; round < rounds; ++round) {
    for (std::size_t j = 0; j < cs.size(); ++j) {
      const contender& c = cs[(j + static_cast<std::size_t>(round)) % cs.size()];
      results[c.name].push_back(run_contender(c, l.addrs, n));
      l.drain_all();
      ::usleep(50'000);
    }
  }
  std::printf("\n== %zu simultaneous connects to %zu loopback listeners, %d rounds (medians)\n", n,
              l.fds.size(), rounds);
  std::printf("%-26s %9s %8s %8s %11s %8s %8s %8s %9s %s\n", "contender", "median_ms", "min_ms",
              "max_ms", "connects/s", "raw/this", "(min)", "rss_kb", "B/connect", "notes");
  const auto times = [&](const std::string& name) {
    std::vector<double> v;
    for (const auto& r : results[name]) v.push_back(r.ms);
    return v;
  };
  const double raw = median(times(cs.front().name));
  const auto raw_all = times(cs.front().name);
  const double raw_min = *std::min_element(raw_all.begin(), raw_all.end());
  for (const auto& c : cs) {
    const auto& rs = results[c.name];
    std::vector<double> ms;
    std::size_t bad = 0;
    int first_errno = 0;
    for (const auto& r : rs) {
      ms.push_back(r.ms);
      if (r.connected != n || r.failed != 0) {
        ++bad;
        if (first_errno == 0) first_errno = r.first_errno;
      }
    }
    const double med = median(ms);
    const auto& last = rs.back();
    // Peak RSS above an idle child's, per connect each process made.
    const double per_connect = static_cast<double>(last.sum_rss_kb - c.procs * idle.max_rss_kb) *
                               1024.0 / static_cast<double>(n);
    std::string notes = fmt_notes(c, last, n);
    if (bad != 0)
      notes += " FAILED-RUNS=" + std::to_string(bad) + " errno=" + std::to_string(first_errno);
    const double lo = *std::min_element(ms.begin(), ms.end());
    std::printf("%-26s %9.1f %8.1f %8.1f %11.0f %8.3f %8.3f %8ld %9.0f %s\n", c.name.c_str(), med,
                lo, *std::max_element(ms.begin(), ms.end()), static_cast<double>(n) / (med / 1e3),
                raw / med, raw_min / lo, last.sum_rss_kb, per_connect, notes.c_str());
  }
  std::printf(
      "(raw/this: the raw io_uring loop's time over this one's, of the medians and of the\n"
      " minimums; above 1 is faster than raw. rss_kb: peak RSS summed over the processes;\n"
      " B/connect: that above an idle child's %ld kB each, per connect)\n",
      idle.max_rss_kb);
}

}  // namespace

namespace {

// ---- part (b): a full-port scan of 127.0.0.1, dial scan against nmap ----------------------------

struct scan_run {
  double seconds = 0;
  std::set<int> open;
  int status = 0;
};

// Runs argv with stdout into a pipe; the wall-clock time covers exec to exit.
scan_run run_scan(const std::vector<std::string>& argv, const std::regex& open_port) {
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) die("pipe2");
  const std::int64_t start = now_ns();
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) die("fork");
  if (pid == 0) {
    ::dup2(out[1], STDOUT_FILENO);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  ::close(out[1]);
  std::string text;
  char buf[65536];
  for (ssize_t got; (got = ::read(out[0], buf, sizeof buf)) != 0;) {
    if (got < 0) {
      if (errno == EINTR) continue;
      die("read");
    }
    text.append(buf, static_cast<std::size_t>(got));
  }
  ::close(out[0]);
  scan_run r;
  if (::waitpid(pid, &r.status, 0) < 0) die("waitpid");
  r.seconds = static_cast<double>(now_ns() - start) / 1e9;
  for (std::sregex_iterator it(text.begin(), text.end(), open_port), e; it != e; ++it)
    r.open.insert(std::stoi((*it)[1]));
  if (r.open.empty()) std::printf("(%s printed:)\n%s\n", argv[0].c_str(), text.c_str());
  return r;
}

std::string set_text(const std::set<int>& s) {
  std::string t;
  for (int p : s) t += (t.empty() ? "" : ",") + std::to_string(p);
  return t;
}

// Listeners on a handful of fixed ports (one in the ephemeral range), accepted and closed by a
// thread; bench/engine_run.sh runs this in a private network namespace, where they are free.
void scan(const std::string& dial, int rounds) {
  const std::array<std::uint16_t, 6> fixed{22, 80, 443, 5432, 8080, 45000};
  std::vector<int> fds;
  std::set<int> want;
  for (const auto port : fixed) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    const int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        ::listen(fd, 4096) != 0)
      die("scan listener (run through bench/engine_run.sh, in a private network namespace)");
    fds.push_back(fd);
    want.insert(port);
  }
  struct holder : bench::listeners {
    explicit holder(std::vector<int> f) : bench::listeners(0, 0, false) { fds = std::move(f); }
  } l(fds);
  const bench::acceptor acc(l, -1);
  const std::vector<std::string> dial_cmd{dial, "scan", "127.0.0.1", "-p", "1-65535", "--quiet"};
  const std::vector<std::string> nmap_cmd{"nmap", "-sT", "-p-", "-n",
                                          "-T5",  "-oG", "-",   "127.0.0.1"};
  const std::regex dial_open(R"((?:^|\n)127\.0\.0\.1:(\d+) )");
  const std::regex nmap_open(R"((\d+)/open/tcp)");
  std::vector<double> d_s, n_s;
  bool same = true;
  std::printf("\n== full-port scan of 127.0.0.1 (1-65535), listeners on %s, %d rounds\n",
              set_text(want).c_str(), rounds);
  for (int round = 0; round < rounds; ++round) {
    scan_run d, n;
    if (round % 2 == 0) {
      d = run_scan(dial_cmd, dial_open);
      n = run_scan(nmap_cmd, nmap_open);
    } else {
      n = run_scan(nmap_cmd, nmap_open);
      d = run_scan(dial_cmd, dial_open);
    }
    d_s.push_back(d.seconds);
    n_s.push_back(n.seconds);
    const bool ok = d.open == want && n.open == want && d.status == 0;
    same = same && ok;
    std::printf("round %d: dial scan %.3f s open {%s}; nmap %.3f s open {%s}%s\n", round + 1,
                d.seconds, set_text(d.open).c_str(), n.seconds, set_text(n.open).c_str(),
                ok ? "" : "  MISMATCH");
  }
  // Reference: the raw io_uring loop over the same 65535 ports, 4096 in flight, in a child timed
  // from its barrier (no process start-up or output), as docs/kernel-facts.md's raw io_uring scan.
  std::vector<sockaddr_in> all_ports;
  for (unsigned p = 1; p <= 65535; ++p) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<std::uint16_t>(p));
    all_ports.push_back(a);
  }
  std::vector<double> raw_s;
  for (int round = 0; round < rounds; ++round) {
    const auto r = run_contender({"raw", "raw_uring_scan", 1, 1, true}, all_ports, 65535);
    raw_s.push_back(r.ms / 1e3);
    std::printf("round %d: raw io_uring scan loop %.3f s, %zu connected (self-connects included)\n",
                round + 1, r.ms / 1e3, r.connected);
  }
  std::printf("raw io_uring scan loop median %.3f s (nmap/raw %.2fx)\n", median(raw_s),
              median(n_s) / median(raw_s));
  const double dm = median(d_s), nm = median(n_s);
  std::printf("scan medians: dial scan %.3f s, nmap %.3f s, nmap/dial %.2fx; open sets %s\n", dm,
              nm, nm / dm, same ? "identical to the listeners in every round" : "DIFFER");
  std::printf("target (>= 2x faster than nmap, same open set): %s\n",
              nm / dm >= 2 && same ? "met" : "NOT met");
}

}  // namespace

int main(int argc, char** argv) {
  std::string dial = "dial", only;
  int rounds = 5, scan_rounds = 5;
  int listener_port = 20000;  // fixed server ports, below the ephemeral range (32768-60999)
  // Every argument is checked before any socket is opened: --help prints the usage, anything
  // else unknown (or a missing or bad value) is refused.
  const char* const usage =
      "Usage: dial_engine_bench [--dial PATH] [--rounds N] [--scan-rounds N]\n"
      "                         [--only connects|scan] [--listener-port P]\n"
      "Many connects in flight on loopback: dial's engine against a raw io_uring loop, libuv and\n"
      "Asio (10 000 and 30 000 at once), and dial scan against nmap -sT -p- (a full-port scan).\n"
      "Runs in its own network namespace (root: unshare(CLONE_NEWNET)); nmap only inside it.\n"
      "  --dial PATH         the dial CLI to time (default: dial on PATH)\n"
      "  --rounds N          interleaved rounds of the connect benchmark (default 5)\n"
      "  --scan-rounds N     interleaved rounds of the scan benchmark (default 5)\n"
      "  --only WHAT         connects or scan (default: both)\n"
      "  --listener-port P   first listener port (default 20000; 0: kernel-chosen)\n";
  for (int i = 1; i < argc; ++i) {
    const std::string_view k = argv[i];
    if (k == "--help" || k == "-h") {
      std::fputs(usage, stdout);
      return 0;
    }
    const bool takes_value = k == "--dial" || k == "--rounds" || k == "--scan-rounds" ||
                             k == "--only" || k == "--listener-port";
    if (!takes_value) {
      std::fprintf(stderr, "dial_engine_bench: unknown argument '%s'\n%s", argv[i], usage);
      return 2;
    }
    if (i + 1 >= argc) {
      std::fprintf(stderr, "dial_engine_bench: %s needs a value\n", argv[i]);
      return 2;
    }
    const std::string_view v = argv[++i];
    const int n = std::atoi(argv[i]);
    if (k == "--dial") {
      dial = v;
    } else if (k == "--only") {
      if (v != "connects" && v != "scan") {
        std::fprintf(stderr, "dial_engine_bench: --only takes connects or scan\n");
        return 2;
      }
      only = v;
    } else if (k == "--listener-port") {
      if (n < 0 || n > 65535 - 32 || (n == 0 && v != "0")) {
        std::fprintf(stderr, "dial_engine_bench: --listener-port needs 0 to 65503\n");
        return 2;
      }
      listener_port = n;
    } else {
      if (n < 1 || n > 1000) {
        std::fprintf(stderr, "dial_engine_bench: %s needs a number from 1 to 1000\n", argv[i - 1]);
        return 2;
      }
      (k == "--rounds" ? rounds : scan_rounds) = n;
    }
  }
  // A private network namespace before the first socket: the scans and floods reach only this
  // benchmark's own listeners, never another program's on the host's loopback.
  if (!bench::enter_own_netns()) {
    std::fprintf(stderr,
                 "dial_engine_bench: cannot enter a network namespace of its own "
                 "(unshare(CLONE_NEWNET) needs root)\n");
    return 1;
  }
  rlimit rl{};
  ::getrlimit(RLIMIT_NOFILE, &rl);
  std::printf("== machine: %u CPUs, RLIMIT_NOFILE %llu, somaxconn in this namespace: see script\n",
              std::thread::hardware_concurrency(), static_cast<unsigned long long>(rl.rlim_cur));
  if (only.empty() || only == "connects") {
    // 32 listeners, backlog 4096 each, never accepting during a run: the accept queues hold
    // every connection, so the server side needs no descriptor (30 000 would not fit in one
    // process's 20 000). SO_LINGER {1, 0}: the drain after each run resets every connection,
    // so no FIN_WAIT2 or TIME_WAIT state builds up from run to run. The listeners sit on fixed
    // ports 20000-20031 like servers do (--listener-port 0: kernel-chosen ports, which lie in
    // the ephemeral range, where dial's engine checks every success for a self-connect).
    const bench::listeners l(32, 4096, true, listener_port);
    std::printf("== listeners: 127.0.0.1 ports %d-%d%s\n", ntohs(l.addrs.front().sin_port),
                ntohs(l.addrs.back().sin_port),
                listener_port == 0 ? " (kernel-chosen, inside the ephemeral range)" : "");
    const std::vector<contender> ten{
        {"raw io_uring, 1 thread", "raw_uring", 1, 1, true},
        {"dial engine, 1 thread", "dial", 1, 1, true},
        {"dial engine, 2 threads", "dial", 1, 2, false},
        {"libuv, 1 thread", "libuv", 1, 1, true},
        {"Asio, 1 thread", "asio", 1, 1, true},
    };
    connects(10000, ten, rounds, l);
    const std::vector<contender> thirty{
        {"raw io_uring, 2 procs", "raw_uring", 2, 1, true},
        {"dial engine, 2 procs", "dial", 2, 1, true},
        {"dial engine, 1 proc 2 thr", "dial", 1, 2, false},
        {"libuv, 2 procs", "libuv", 2, 1, true},
        {"Asio, 2 procs", "asio", 2, 1, true},
    };
    connects(30000, thirty, rounds, l);
  }
  if (only.empty() || only == "scan") scan(dial, scan_rounds);
  return 0;
}
