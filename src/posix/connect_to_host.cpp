// src/posix/connect_to_host.cpp: Happy Eyeballs v2: the lookup and every attempt in one poll set.
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <memory>
#include <optional>

#include "common/happy_eyeballs.hpp"
#include "common/lookup.hpp"
#include "common/native.hpp"
#include "posix/stop_waker.hpp"

namespace dial {

static_assert(is_subset_v<connect_to_host_error, connect_until_error>);
static_assert(is_subset_v<connect_to_host_error, connect_error>);
static_assert(is_subset_v<connect_to_host_error, socket_error>);
static_assert(is_subset_v<connect_to_host_error, resolve_error>);

namespace {

using clock = deadline_clock;
using error = connect_to_host_error;
using result = std::expected<connection, connect_to_host_failure>;

// Errors that say this host is out of something: no other address can do better.
bool is_local_resource_error(error e) noexcept {
  return e == error::process_fd_quota_exceeded || e == error::system_fd_quota_exceeded ||
         e == error::system_resources || e == error::out_of_memory;
}

struct in_flight {
  owned_socket sock;
  std::size_t index;  // into report.attempts
};

// Readiness is a hint: only a peer name proves the connection exists.
bool is_connected(socket_t s) noexcept {
  sockaddr_storage peer{};
  ::socklen_t len = sizeof peer;
  return ::getpeername(s, reinterpret_cast<sockaddr*>(&peer), &len) == 0;
}

class race {
 public:
  race(const connect_to_host_options& o, std::unique_ptr<detail::lookup> l, clock::time_point t0)
      : options_(o), plan_(o), lookup_(std::move(l)), waker_(o.stop) {
    report_.began = t0;
  }

  result run();

 private:
  void take_answers();
  bool start_attempt();  // false: a local resource error ends the race
  void finish(std::size_t index, std::expected<void, error> outcome, int native);
  std::optional<result> wait_and_handle();  // a value: the race is over
  result fail(error e, int native);
  result win(std::size_t k);
  std::optional<error> first_attempt_error() const;

  const connect_to_host_options& options_;
  detail::race_plan plan_;
  std::unique_ptr<detail::lookup> lookup_;
  detail::stop_waker waker_;
  race_report report_;
  std::vector<in_flight> live_;
  std::optional<resolve_error> lookup_failure_;
  int lookup_native_ = 0;
  std::optional<error> stop_error_;  // a local resource error that ends the race
  int stop_native_ = 0;
};

void race::take_answers() {
  for (auto& a : lookup_->take_answers()) {
    const auto now = clock::now();
    lookup_event ev{a.family, now, a.result ? a.result->size() : 0, {}};
    if (!a.result) {
      ev.outcome = std::unexpected(a.result.error());
      lookup_failure_ = lookup_failure_
                            ? detail::combine_failures(*lookup_failure_, a.result.error())
                            : a.result.error();
      if (*lookup_failure_ == a.result.error()) lookup_native_ = a.native;
    }
    report_.lookups.push_back(ev);
    plan_.on_answer(a.family, a.result ? *a.result : std::vector<address>{}, now);
  }
}

void race::finish(std::size_t index, std::expected<void, error> outcome, int native) {
  connect_attempt& at = report_.attempts[index];
  at.end = clock::now();
  at.outcome = outcome;
  at.native = native;
}

bool race::start_attempt() {
  const auto now = clock::now();
  const address to = plan_.take_next(now);
  report_.attempts.push_back({to, now, now, {}, 0});
  const std::size_t index = report_.attempts.size() - 1;
  auto s = dial::socket(to.family(), SOCK_STREAM | SOCK_NONBLOCK, 0);
  if (!s) {
    const error e = widen<error>(s.error());
    finish(index, std::unexpected(e), last_native_error());
    if (!is_local_resource_error(e)) return true;
    stop_error_ = e;
    stop_native_ = last_native_error();
    return false;
  }
  owned_socket sock(*s);
  sockaddr_storage ss{};
  const socklen_t len = to.to_native(ss);
  auto r = dial::connect(sock.get(), reinterpret_cast<const sockaddr*>(&ss), len);
  if (r || r.error() == connect_error::would_block) {  // connected at once, or in progress
    live_.push_back({std::move(sock), index});
    return true;
  }
  const error e = widen<error>(r.error());
  finish(index, std::unexpected(e), last_native_error());
  if (!is_local_resource_error(e)) return true;
  stop_error_ = e;
  stop_native_ = last_native_error();
  return false;
}

std::optional<error> race::first_attempt_error() const {
  for (const auto& a : report_.attempts)
    if (!a.outcome) return a.outcome.error();
  return std::nullopt;
}

result race::fail(error e, int native) {
  for (auto& f : live_)  // closed unfinished: the whole call ends with e
    finish(f.index, std::unexpected(e == error::timeout ? error::timeout : error::canceled), 0);
  live_.clear();
  detail::record_native(native);
  return std::unexpected(connect_to_host_failure{e, std::move(report_)});
}

result race::win(std::size_t k) {
  in_flight winner = std::move(live_[k]);
  live_.erase(live_.begin() + static_cast<std::ptrdiff_t>(k));
  finish(winner.index, {}, 0);
  for (auto& f : live_) finish(f.index, std::unexpected(error::canceled), 0);
  live_.clear();    // closes every loser
  lookup_.reset();  // cancels a query still outstanding
  if (!options_.non_blocking) {
    const int flags = ::fcntl(winner.sock.get(), F_GETFL);
    if (flags >= 0) ::fcntl(winner.sock.get(), F_SETFL, flags & ~O_NONBLOCK);
  }
  const address peer = report_.attempts[winner.index].to;
  return connection{std::move(winner.sock), peer, std::move(report_)};
}

// One wait for the lookup, the waker and every attempt; then handles what polled ready.
std::optional<result> race::wait_and_handle() {
  std::vector<detail::lookup_fd> lfds;
  if (lookup_) lookup_->wait_set(lfds);
  std::vector<pollfd> p;
  for (const auto& f : live_) p.push_back({f.sock.get(), POLLOUT, 0});
  for (const auto& f : lfds)
    p.push_back({f.fd, static_cast<short>((f.read ? POLLIN : 0) | (f.write ? POLLOUT : 0)), 0});
  if (waker_.fd() >= 0) p.push_back({waker_.fd(), POLLIN, 0});
  auto wake = std::min(options_.deadline, plan_.next_event(live_.size()));
  if (lookup_) wake = std::min(wake, lookup_->wake_at());
  const int rc = ::poll(p.data(), p.size(), waker_.timeout_ms(wake));
  if (rc < 0 && errno != EINTR) {
    const int e = errno;
    return fail(e == ENOMEM ? error::system_resources : error::unexpected, e);
  }
  if (rc > 0 && lookup_) {
    for (std::size_t i = 0; i < lfds.size(); ++i)
      if (const short ev = p[live_.size() + i].revents; ev != 0)
        lookup_->on_ready(lfds[i].fd, (ev & (POLLIN | POLLERR | POLLHUP)) != 0,
                          (ev & POLLOUT) != 0);
  }
  if (lookup_) lookup_->on_tick();
  for (std::size_t k = live_.size(); rc > 0 && k-- > 0;) {
    const short ev = p[k].revents;
    if (ev == 0) continue;
    auto done = getsockopt_error(live_[k].sock.get());
    if (done && is_connected(live_[k].sock.get())) return win(k);
    if (done && (ev & POLLHUP) == 0) continue;  // spurious: no error, no peer yet
    const error e = done ? error::connection_reset_by_peer : widen<error>(done.error());
    finish(live_[k].index, std::unexpected(e), done ? 0 : last_native_error());
    live_.erase(live_.begin() + static_cast<std::ptrdiff_t>(k));
  }
  return std::nullopt;
}

result race::run() {
  for (;;) {  // ends on a win, when everything failed, at the deadline, or on a stop
    if (lookup_) take_answers();
    if (lookup_ && lookup_->finished() && !plan_.has_candidates() && live_.empty()) lookup_.reset();
    if (options_.stop.stop_requested()) return fail(error::canceled, 0);
    while (plan_.attempt_due(clock::now(), live_.size()))
      if (!start_attempt()) return fail(*stop_error_, stop_native_);
    if (!lookup_ && !plan_.has_candidates() && live_.empty()) {
      if (auto e = first_attempt_error()) return fail(*e, report_.attempts.front().native);
      return fail(
          widen<error>(lookup_failure_.value_or(resolve_error::host_lacks_network_addresses)),
          lookup_native_);
    }
    if (clock::now() >= options_.deadline) return fail(error::timeout, 0);
    if (auto over = wait_and_handle()) return std::move(*over);
  }
}

}  // namespace

std::expected<connection, connect_to_host_failure> connect_to_host(
    std::string_view host, std::uint16_t port, const connect_to_host_options& options) {
  const auto began = clock::now();
  if (options.stop.stop_requested()) {
    detail::record_native(0);
    return std::unexpected(connect_to_host_failure{error::canceled, {began, {}, {}}});
  }
  auto l = detail::start_lookup(host, port, options.resolve);
  if (!l) return std::unexpected(connect_to_host_failure{widen<error>(l.error()), {began, {}, {}}});
  race r(options, std::move(*l), began);
  return r.run();
}

}  // namespace dial
