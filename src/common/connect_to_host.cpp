// src/common/connect_to_host.cpp: the blocking driver of the Happy Eyeballs race: the lookup, the
// stop waker and every attempt in one dial::poll set; every decision is the race's.
#include "common/sockets.hpp"  // sockaddr_storage

#include <algorithm>
#include <memory>

#include "common/dialer_os.hpp"
#include "common/lookup.hpp"
#include "common/native.hpp"
#include "common/proxy_connect.hpp"
#include "common/socket_owner_os.hpp"
#include "dial/happy_eyeballs.hpp"

namespace dial {

static_assert(is_subset_v<connect_to_host_error, connect_until_error>);
static_assert(is_subset_v<connect_to_host_error, connect_error>);
static_assert(is_subset_v<connect_to_host_error, socket_error>);
static_assert(is_subset_v<connect_to_host_error, resolve_error>);
static_assert(is_subset_v<connect_to_host_error, poll_error>);
static_assert(is_subset_v<connect_to_host_error, setsockopt_error>);
static_assert(is_subset_v<connect_to_host_error, bind_error>);

namespace {

using clock = deadline_clock;
using error = connect_to_host_error;
using result = std::expected<connection, connect_to_host_failure>;

struct live_attempt {
  attempt_id id;
  owned_socket sock;
  bool non_blocking;
};

class poll_driver {
 public:
  poll_driver(const connect_to_host_options& o, happy_eyeballs& race, clock::time_point now)
      : options_(o), race_(race), waker_(o.stop), now_(now) {}

  /// Carries out the race's actions until it has finished; the winner's socket (blocking unless
  /// options.non_blocking), if any.
  owned_socket run(std::unique_ptr<detail::lookup> lookup);

 private:
  void take_answers();
  void start(attempt_id id, const address& to, bool alone);
  void drop(attempt_id id);
  void wait(clock::time_point until);
  void handle(std::size_t k, short revents);
  owned_socket hand_over(attempt_id winner);

  const connect_to_host_options& options_;
  happy_eyeballs& race_;
  std::unique_ptr<detail::lookup> lookup_;
  detail::stop_waker waker_;
  std::vector<live_attempt> live_;
  live_attempt at_once_{0, owned_socket(), false};  // an attempt that connected inside connect()
  std::vector<detail::lookup_fd> lookup_fds_;       // kept between waits: no allocation per wait
  std::vector<poll_fd> set_;
  clock::time_point now_;  // read after every system call that can take time, not per event
};

void poll_driver::take_answers() {
  for (auto& a : lookup_->take_answers()) {
    auto answer = a.result
                      ? std::expected<std::vector<address>, resolve_error>(std::move(*a.result))
                      : std::unexpected(a.result.error());
    race_.on_answer(a.family, std::move(answer), a.native, now_);
  }
  if (lookup_->finished()) lookup_.reset();  // both families answered: nothing more to wait for
}

// A blocking connect when the race has nothing else to do and nothing to watch: the same
// outcome as a non-blocking one, with two system calls fewer.
void poll_driver::start(attempt_id id, const address& to, bool alone) {
  const bool blocking = alone && options_.deadline == clock::time_point::max() &&
                        !options_.stop.stop_possible() && !options_.non_blocking;
  const int type = detail::owner_socket_type(socket_type::stream, !blocking);
  auto s = open_socket(to.family(), type, options_.socket);
  if (!s) return race_.on_failed(id, widen<error>(s.error()), last_native_error(), now_);
  owned_socket sock(*s);
  if (!blocking && !detail::owner_set_non_blocking(sock.get()))
    return race_.on_failed(id, error::unexpected, last_native_error(), now_);
  if (auto o = apply_socket_options(sock.get(), to.family(), options_.socket); !o)
    return race_.on_failed(id, widen<error>(o.error()), last_native_error(), now_);
  if (options_.source)  // the race tries only addresses of its family
    if (auto b = bind_source(sock.get(), *options_.source); !b)
      return race_.on_failed(id, widen<error>(b.error()), last_native_error(), now_);
  sockaddr_storage ss;
  const socklen_t len = to.to_native(ss);
  auto r = dial::connect(sock.get(), reinterpret_cast<const sockaddr*>(&ss), len);
  now_ = clock::now();  // a blocking connect takes the handshake's time
  if (r) {
    at_once_ = {id, std::move(sock), !blocking};  // it wins: nothing else is decided yet
    return race_.on_connected(id, now_);
  }
  if (!blocking && r.error() == connect_error::would_block &&
      detail::owner_attempt_in_progress(last_native_error()))
    return live_.push_back({id, std::move(sock), true});
  race_.on_failed(id, widen<error>(r.error()), last_native_error(), now_);
}

void poll_driver::drop(attempt_id id) {
  for (std::size_t k = 0; k < live_.size(); ++k)
    if (live_[k].id == id) {
      live_.erase(live_.begin() + static_cast<std::ptrdiff_t>(k));  // closes it
      return;
    }
}

// An attempt polled ready. Readiness is a hint: success needs no error and a peer; no error and
// no peer is a spurious wake-up (wait again), unless the socket hung up.
void poll_driver::handle(std::size_t k, short revents) {
  const socket_t s = live_[k].sock.get();
  const attempt_id id = live_[k].id;
  auto done = getsockopt_error(s);
  if (done && detail::is_connected(s)) return race_.on_connected(id, now_);
  if (done && (revents & (poll_hup | poll_err)) == 0) return;
  const error e = done ? error::connection_reset_by_peer : widen<error>(done.error());
  race_.on_failed(id, e, done ? 0 : last_native_error(), now_);
  live_.erase(live_.begin() + static_cast<std::ptrdiff_t>(k));
}

void poll_driver::wait(clock::time_point until) {
  set_.clear();
  for (const auto& a : live_) set_.push_back({a.sock.get(), poll_out, 0});
  lookup_fds_.clear();
  if (lookup_) {
    lookup_->wait_set(lookup_fds_);
    until = std::min(until, lookup_->wake_at());
  }
  for (const auto& f : lookup_fds_)
    set_.push_back(
        {f.fd, static_cast<short>((f.read ? poll_in : 0) | (f.write ? poll_out : 0)), 0});
  if (waker_.has_fd()) set_.push_back({waker_.fd(), poll_in, 0});
  auto n = dial::poll(set_, waker_.timeout_ms(until));
  now_ = clock::now();
  if (!n) return race_.abort(widen<error>(n.error()), last_native_error(), now_);
  if (lookup_) {
    for (std::size_t i = 0; *n > 0 && i < lookup_fds_.size(); ++i)
      if (const short ev = set_[live_.size() + i].revents; ev != 0)
        lookup_->on_ready(lookup_fds_[i].fd, (ev & (poll_in | poll_err | poll_hup)) != 0,
                          (ev & poll_out) != 0);
    lookup_->on_tick();
  }
  for (std::size_t k = live_.size(); *n > 0 && k-- > 0;)  // backwards: handle may erase k
    if (set_[k].revents != 0) handle(k, set_[k].revents);
}

// The winner's socket, in the mode the caller asked for.
owned_socket poll_driver::hand_over(attempt_id winner) {
  live_attempt* w = at_once_.sock && at_once_.id == winner ? &at_once_ : nullptr;
  for (auto& a : live_)
    if (w == nullptr && a.id == winner) w = &a;
  if (w == nullptr) return owned_socket();  // unreachable: the winner is kept until handed over
  if (w->non_blocking && !options_.non_blocking) detail::leave_non_blocking(w->sock.get());
  return std::move(w->sock);
}

owned_socket poll_driver::run(std::unique_ptr<detail::lookup> lookup) {
  lookup_ = std::move(lookup);
  for (;;) {  // each turn carries out one action; the race ends every path with finished
    if (lookup_) take_answers();
    if (options_.stop.stop_requested()) race_.cancel(now_);
    const race_action act = race_.next(now_);
    switch (act.step) {
      case race_step::start_attempt: start(act.attempt, act.to, act.alone); break;
      case race_step::cancel_attempt: drop(act.attempt); break;
      case race_step::wait: wait(act.until); break;
      case race_step::finished:
        lookup_.reset();  // cancels a query still outstanding
        if (!race_.result()) return owned_socket();
        return hand_over(*race_.result());
    }
  }
}

// Addresses known at once (a numeric host, the hosts file) go to the race as the two families'
// answers, a family without any as NODATA. One family (the common case) moves without a copy.
void answer_at_once(happy_eyeballs& race, std::vector<address> all, clock::time_point now) {
  const auto is_v6 = [](const address& a) { return a.kind() == address_kind::ipv6; };
  std::vector<address> v6, v4;
  if (std::all_of(all.begin(), all.end(), is_v6)) {
    v6 = std::move(all);
  } else if (std::none_of(all.begin(), all.end(), is_v6)) {
    v4 = std::move(all);
  } else {
    for (auto& a : all) (is_v6(a) ? v6 : v4).push_back(a);
  }
  for (auto* family : {&v6, &v4}) {
    const address_kind kind = family == &v6 ? address_kind::ipv6 : address_kind::ipv4;
    if (family->empty())
      race.on_answer(kind, std::unexpected(resolve_error::host_lacks_network_addresses), 0, now);
    else
      race.on_answer(kind, std::move(*family), 0, now);
  }
}

}  // namespace

std::expected<connection, connect_to_host_failure> connect_to_host(
    std::string_view host, std::uint16_t port, const connect_to_host_options& options) {
  if (options.proxy) return detail::connect_through_proxy(host, port, options);
  const auto began = clock::now();
  happy_eyeballs race(options, began);
  owned_socket winner;
  if (options.stop.stop_requested()) {
    race.cancel(began);
  } else if (auto l = detail::begin_lookup(host, port, options.resolve); !l) {
    race.abort(widen<error>(l.error()), last_native_error(), clock::now());
  } else {
    const auto now = l->pending ? clock::now() : began;  // an answer at once took no time
    if (!l->pending) answer_at_once(race, std::move(l->ready), now);
    poll_driver driver(options, race, now);
    winner = driver.run(std::move(l->pending));
  }
  if (auto won = race.result()) {
    const address peer = race.report().attempts[*won].to;
    const transport protocol = transport_protocol(winner.get());
    return connection{std::move(winner), peer, race.take_report(), protocol};
  }
  detail::record_native(race.native());
  return std::unexpected(connect_to_host_failure{race.result().error(), race.take_report()});
}

}  // namespace dial
