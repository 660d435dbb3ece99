// tools/dial/demo_windows.cpp: `dial demo` on Windows: the loopback TCP fixtures that Winsock
// has (no Unix sockets, fork or POSIX signals), connected to through dial's own calls.
#include "platform.hpp"  // first: <winsock2.h>

#include <chrono>
#include <expected>
#include <set>
#include <string>
#include <vector>

#include <fmt/core.h>

#include "demo.hpp"
#include "dial/dialer.hpp"
#include "dial/socket.hpp"
#include "endpoint.hpp"
#include "report.hpp"

namespace dial::cli {
namespace {

using namespace std::chrono_literals;

/// A fixture's row, or why it could not be set up here.
template <class T>
using or_why = std::expected<T, std::string>;

std::unexpected<std::string> why(std::string text) { return std::unexpected(std::move(text)); }

std::unexpected<std::string> failed(std::string_view call) {
  return why(fmt::format("{}: {}", call, code_text(last_native_error())));
}

/// A listener on loopback (port 0: a free one) and the endpoint it is reached at.
struct listening {
  owned_socket socket;
  endpoint where;
};

or_why<listening> listener(const address& at, int backlog) {
  auto l = dial::listen_on(at, backlog);
  if (!l) return failed(fmt::format("listen_on: {}", dial::name(l.error())));
  const auto bound = dial::local_address(l->get());
  if (!bound) return why("getsockname gave no address");
  auto e = parse_endpoint(bound->to_string());
  if (!e) return why(e.error());
  return listening{std::move(*l), std::move(*e)};
}

or_why<owned_socket> new_socket(int family, bool non_blocking = false) {
  auto s = dial::socket(family, SOCK_STREAM, 0);
  if (!s) return failed(fmt::format("socket: {}", dial::name(s.error())));
  owned_socket owned(*s);
  u_long on = 1;  // Winsock has no SOCK_NONBLOCK: FIONBIO after socket()
  if (non_blocking && ::ioctlsocket(owned.get(), FIONBIO, &on) != 0) return failed("ioctlsocket");
  return owned;
}

row measured(const endpoint& to, socket_t s) {
  return {to.text, timed_connect(s, to.address(), to.length), {}};
}

// A listener whose queue (backlog 0) holds one unaccepted connection already.
or_why<std::pair<listening, owned_socket>> full_listener() {
  auto l = listener(address::loopback_ipv4(0), 0);
  if (!l) return why(l.error());
  auto filler = new_socket(AF_INET);
  if (!filler) return why(filler.error());
  if (const auto o = timed_connect(filler->get(), l->where.address(), l->where.length);
      !o.connected)
    return why(fmt::format("filler connect gave {} {}", o.name, code_text(o.native)));
  return std::pair{std::move(*l), std::move(*filler)};
}

// ---- the fixtures, one per row ---------------------------------------------------------------

or_why<row> tcp_listener(const address& at) {
  auto l = listener(at, 16);
  if (!l) return why(l.error());
  auto c = new_socket(l->where.family);
  if (!c) return why(c.error());
  return measured(l->where, c->get());
}

// A port held by a bound socket that does not listen: the SYN is answered with RST.
or_why<row> closed_port() {
  auto b = new_socket(AF_INET);
  if (!b) return why(b.error());
  const auto any = parse_endpoint("127.0.0.1:1");  // the port is replaced by bind's choice
  if (!any) return why(any.error());
  endpoint at = *any;
  reinterpret_cast<sockaddr_in&>(at.storage).sin_port = 0;
  if (::bind(b->get(), at.address(), at.length) != 0) return failed("bind");
  const auto bound = dial::local_address(b->get());
  if (!bound) return why("getsockname gave no address");
  auto to = parse_endpoint(bound->to_string());
  if (!to) return why(to.error());
  auto c = new_socket(AF_INET);
  if (!c) return why(c.error());
  return measured(*to, c->get());
}

// A connect with a 500 ms deadline (dial::connect_for) to a full queue: nothing answers.
or_why<row> full_backlog_timeout() {
  auto full = full_listener();
  if (!full) return why(full.error());
  const endpoint& to = full->first.where;
  auto c = new_socket(AF_INET);
  if (!c) return why(c.error());
  const auto start = std::chrono::steady_clock::now();
  const auto r = dial::connect_for(c->get(), to.address(), to.length, 500ms);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  if (r) return row{to.text, {true, "Connected", 0, elapsed}, {}};
  return row{to.text, {false, dial::name(r.error()), last_native_error(), elapsed}, {}};
}

// A non-blocking connect returns at once with the handshake under way (WSAEWOULDBLOCK).
or_why<row> nonblocking_tcp() {
  auto l = listener(address::loopback_ipv4(0), 16);
  if (!l) return why(l.error());
  auto c = new_socket(AF_INET, true);
  if (!c) return why(c.error());
  return measured(l->where, c->get());
}

// A second connect while the first waits on a full queue: WSAEALREADY.
or_why<row> pending_tcp() {
  auto full = full_listener();
  if (!full) return why(full.error());
  const endpoint& to = full->first.where;
  auto c = new_socket(AF_INET, true);
  if (!c) return why(c.error());
  const outcome first = timed_connect(c->get(), to.address(), to.length);
  if (first.name != dial::name(connect_error::would_block))
    return why(fmt::format("first connect gave {} {}, not WouldBlock", first.name,
                           code_text(first.native)));
  return measured(to, c->get());
}

// An IPv4 socket handed an IPv6 address.
or_why<row> wrong_family() {
  auto l = listener(address::loopback_ipv6(0), 16);
  if (!l) return why(l.error());
  auto c = new_socket(AF_INET);
  if (!c) return why(c.error());
  return measured(l->where, c->get());
}

struct fixture {
  std::string_view note;
  or_why<row> (*run)();
};

std::vector<row> run_fixtures() {
  static constexpr fixture fixtures[] = {
      {"TCP listener", [] { return tcp_listener(address::loopback_ipv4(0)); }},
      {"TCP listener on IPv6 loopback", [] { return tcp_listener(address::loopback_ipv6(0)); }},
      {"TCP port bound but not listening (RST)", closed_port},
      {"TCP listener, backlog 0 and full; 500 ms deadline", full_backlog_timeout},
      {"non-blocking TCP connect: handshake under way", nonblocking_tcp},
      {"connect again while pending on a full TCP backlog", pending_tcp},
      {"AF_INET socket given an AF_INET6 address", wrong_family},
  };
  std::vector<row> rows;
  for (const auto& f : fixtures) {  // each fixture's sockets are closed when it returns
    auto r = f.run();
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
  const std::vector<row> rows = run_fixtures();
  std::vector<std::string> targets;
  std::set<std::string_view> outcomes;
  for (const auto& r : rows) {
    targets.push_back(r.target);
    if (r.result.name != "Skipped") outcomes.insert(r.result.name);
  }
  const table t(targets, true);
  t.header();
  for (const auto& r : rows) t.print(r);
  fmt::print("\n{} fixtures, {} distinct outcomes. Cleaned up: every socket closed.\n", rows.size(),
             outcomes.size());
  return 0;
}

}  // namespace dial::cli
