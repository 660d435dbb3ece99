// examples/happy_eyeballs_poll.cpp: drives dial::happy_eyeballs, the sans-I/O RFC 8305 race, from
// a plain poll(2) loop. The race decides; this loop only carries out what it is told.
//
//   happy_eyeballs_poll HOST:PORT      e.g. localhost:8080, 127.0.0.1:22, [::1]:443
//
// Names are looked up with getaddrinfo, one family at a time (blocking, for brevity: any
// resolver will do, and an asynchronous one would simply call on_answer when it answers).
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "dial/happy_eyeballs.hpp"
#include "dial/sys.hpp"

namespace {

using clock_type = dial::deadline_clock;
using dial::connect_to_host_error;

// One family's addresses (AAAA or A), or why there are none.
std::expected<std::vector<dial::address>, dial::resolve_error> lookup(const std::string& host,
                                                                      int family,
                                                                      std::uint16_t port) {
  addrinfo hints{};
  hints.ai_family = family;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  const int rc = ::getaddrinfo(host.c_str(), nullptr, &hints, &res);
  if (rc == EAI_NONAME) return std::unexpected(dial::resolve_error::unknown_host_name);
  if (rc != 0) return std::unexpected(dial::resolve_error::host_lacks_network_addresses);
  std::vector<dial::address> out;
  for (const addrinfo* ai = res; ai != nullptr; ai = ai->ai_next)
    if (auto a = dial::address::from_native(ai->ai_addr, static_cast<socklen_t>(ai->ai_addrlen)))
      out.push_back(a->with_port(port));
  ::freeaddrinfo(res);
  return out;
}

// start_attempt: a non-blocking socket and connect, through dial's layer 1 so that every failure
// is a name. Returns the descriptor of an attempt under way, or -1 when it has ended already
// (the race has been told how).
int start(dial::happy_eyeballs& race, dial::attempt_id id, const dial::address& to) {
  auto s = dial::socket(to.family(), SOCK_STREAM | SOCK_NONBLOCK, 0);
  if (!s) {
    race.on_failed(id, dial::widen<connect_to_host_error>(s.error()), dial::last_native_error(),
                   clock_type::now());
    return -1;
  }
  sockaddr_storage ss{};
  const socklen_t len = to.to_native(ss);
  auto r = dial::connect(*s, reinterpret_cast<const sockaddr*>(&ss), len);
  if (!r && r.error() == dial::connect_error::would_block) return *s;  // EINPROGRESS
  if (r) {
    race.on_connected(id, clock_type::now());
    return *s;  // the winner: kept until the race is finished
  }
  race.on_failed(id, dial::widen<connect_to_host_error>(r.error()), dial::last_native_error(),
                 clock_type::now());
  dial::close(*s);
  return -1;
}

// wait: one poll over every attempt in flight, until the race's `until` at the latest.
void wait(dial::happy_eyeballs& race, std::map<dial::attempt_id, int>& live,
          clock_type::time_point until) {
  std::vector<pollfd> set;
  std::vector<dial::attempt_id> ids;
  for (const auto& [id, fd] : live) {
    set.push_back({fd, POLLOUT, 0});
    ids.push_back(id);
  }
  int ms = -1;
  if (until != clock_type::time_point::max())
    ms = static_cast<int>(std::max<long long>(
        0, std::chrono::ceil<std::chrono::milliseconds>(until - clock_type::now()).count()));
  if (::poll(set.data(), set.size(), ms) < 0) return;  // EINTR: the loop asks again
  for (std::size_t k = 0; k < set.size(); ++k) {
    if (set[k].revents == 0) continue;
    // The outcome through connect's table. (Linux sets POLLOUT on a connecting socket only once
    // the handshake is over; a portable driver also checks getpeername before trusting it.)
    auto done = dial::getsockopt_error(set[k].fd);
    if (done) {
      race.on_connected(ids[k], clock_type::now());
    } else {
      race.on_failed(ids[k], dial::widen<connect_to_host_error>(done.error()),
                     dial::last_native_error(), clock_type::now());
      dial::close(set[k].fd);
      live.erase(ids[k]);
    }
  }
}

void print(const dial::race_report& r) {
  auto ms = [&](clock_type::time_point t) {
    return std::chrono::duration<double, std::milli>(t - r.began).count();
  };
  for (const auto& l : r.lookups)
    std::printf("  %+8.1f ms  %-4s %s\n", ms(l.at),
                l.family == dial::address_kind::ipv6 ? "AAAA" : "A",
                l.outcome ? (std::to_string(l.addresses) + " address(es)").c_str()
                          : std::string(dial::name(l.outcome.error())).c_str());
  for (const auto& a : r.attempts)
    std::printf("  %+8.1f ms .. %+8.1f ms  %-26s %s\n", ms(a.start), ms(a.end),
                a.to.to_string().c_str(), std::string(a.outcome_name()).c_str());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: happy_eyeballs_poll HOST:PORT\n");
    return 2;
  }
  std::string host = argv[1];
  const auto colon = host.rfind(':');
  if (colon == std::string::npos) return 2;
  const auto port = static_cast<std::uint16_t>(std::atoi(host.c_str() + colon + 1));
  host.resize(colon);
  if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);

  dial::connect_to_host_options options;
  options.deadline = clock_type::now() + std::chrono::seconds(5);  // resolution and attempts
  dial::happy_eyeballs race(options, clock_type::now());
  race.on_answer(dial::address_kind::ipv6, lookup(host, AF_INET6, port), 0, clock_type::now());
  race.on_answer(dial::address_kind::ipv4, lookup(host, AF_INET, port), 0, clock_type::now());

  std::map<dial::attempt_id, int> live;  // attempts in flight (and the winner), by id
  for (;;) {  // every path ends in finished: the race never waits with nothing to wait for
    const dial::race_action act = race.next(clock_type::now());
    switch (act.step) {
      case dial::race_step::start_attempt:
        if (const int fd = start(race, act.attempt, act.to); fd >= 0) live[act.attempt] = fd;
        break;
      case dial::race_step::cancel_attempt:
        dial::close(live[act.attempt]);
        live.erase(act.attempt);
        break;
      case dial::race_step::wait: wait(race, live, act.until); break;
      case dial::race_step::finished:
        print(race.report());
        if (!race.result()) {
          std::printf("failed: %s\n", std::string(dial::name(race.result().error())).c_str());
          return 1;
        }
        std::printf("connected to %s\n",
                    race.report().attempts[*race.result()].to.to_string().c_str());
        dial::close(live[*race.result()]);
        return 0;
    }
  }
}
