// dial/asio.hpp: layer 3, the Happy Eyeballs race driven by a Boost.Asio executor (header-only).
#pragma once

#include <boost/asio/append.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/cancellation_type.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/system/error_code.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

#include "dial/dialer.hpp"
#include "dial/happy_eyeballs.hpp"
#include "dial/lookup.hpp"
#include "dial/sys.hpp"

namespace dial::asio {

/// The completion signature of async_connect_to_host. The error is in dial's category (empty on
/// success); the socket is connected and open on the given executor on success, closed
/// otherwise; the report holds every lookup answer and attempt, as connect_to_host's does.
using connect_signature = void(std::error_code, boost::asio::ip::tcp::socket, race_report);

namespace detail {

namespace net = boost::asio;
using tcp = net::ip::tcp;
using clock = deadline_clock;

/// Where an attempt connects, as Asio spells it.
[[nodiscard]] inline tcp::endpoint endpoint(const address& a) {
  if (a.kind() == address_kind::ipv4) return {net::ip::address_v4(a.ipv4_bytes()), a.port()};
  return {net::ip::address_v6(a.ipv6_bytes(), a.scope_id()), a.port()};
}

/// An endpoint Asio's resolver found, as a dial::address.
[[nodiscard]] inline address from_endpoint(const tcp::endpoint& e) {
  if (e.address().is_v4()) return address::ipv4(e.address().to_v4().to_bytes(), e.port());
  const auto v6 = e.address().to_v6();
  return address::ipv6(v6.to_bytes(), e.port(), static_cast<std::uint32_t>(v6.scope_id()));
}

/// The codes connect's table traps on (EBADF, EFAULT, EISCONN, ENOTSOCK, EPROTOTYPE,
/// ECONNABORTED): on dial's own sockets they are dial's bugs, on a code that the caller's Asio
/// code produced they are the caller's, and a conversion must not end the program over them.
[[nodiscard]] constexpr bool connect_traps_on(int code) noexcept {
  return code == EBADF || code == EFAULT || code == EISCONN || code == ENOTSOCK ||
         code == EPROTOTYPE || code == ECONNABORTED;
}

/// An OS code an Asio connect produced, through connect's one table (`trap`: a programmer-error
/// code traps as in dial::connect; otherwise it is Unexpected). ECANCELED is Asio's
/// operation_aborted: Canceled.
[[nodiscard]] inline connect_to_host_error from_os_code(int code, bool trap) noexcept {
  if (code == ECANCELED) return connect_to_host_error::canceled;
  if (code == EINTR || (!trap && connect_traps_on(code))) return connect_to_host_error::unexpected;
  return widen<connect_to_host_error>(connect_error_from_native(code, "connect"));
}

/// Asio's resolver errors (netdb and getaddrinfo categories) by resolve's names.
[[nodiscard]] inline connect_to_host_error from_resolver_code(
    const boost::system::error_code& ec) noexcept {
  namespace e = net::error;
  using enum connect_to_host_error;
  if (ec == e::host_not_found) return unknown_host_name;
  if (ec == e::host_not_found_try_again) return temporary_name_server_failure;
  if (ec == e::no_data) return host_lacks_network_addresses;
  if (ec == e::no_recovery) return name_server_failure;
  if (ec == e::socket_type_not_supported) return socket_type_not_supported;
  return unexpected;
}

/// One family's async_resolve failure by resolve's names. Asio folds EAI_NODATA and
/// EAI_ADDRFAMILY into host_not_found, so a family without addresses reads UnknownHostName
/// here; no error with no endpoint is HostLacksNetworkAddresses.
[[nodiscard]] inline resolve_error resolve_error_from(
    const boost::system::error_code& ec) noexcept {
  namespace e = net::error;
  using enum resolve_error;
  if (!ec) return host_lacks_network_addresses;
  if (ec == e::host_not_found) return unknown_host_name;
  if (ec == e::host_not_found_try_again) return temporary_name_server_failure;
  if (ec == e::no_data) return host_lacks_network_addresses;
  if (ec == e::no_recovery) return name_server_failure;
  if (ec == e::no_memory) return out_of_memory;
  return unexpected;
}

}  // namespace detail

/// The dial name for an error that an Asio call produced: for an OS code (Asio's system
/// category, as every async_connect failure is) the name dial::connect gives the same code
/// (ECONNREFUSED is ConnectionRefused, ETIMEDOUT ConnectionTimedOut, ...); operation_aborted is
/// Canceled; the resolver's codes of async_resolve are resolve's names (host_not_found is
/// UnknownHostName, no_data HostLacksNetworkAddresses, host_not_found_try_again
/// TemporaryNameServerFailure, no_recovery NameServerFailure); anything else is Unexpected.
/// The codes dial::connect traps on (EBADF, ENOTSOCK, EISCONN, ...) are Unexpected here: they
/// are bugs of the calling code, and a conversion does not abort. Success gives an empty code.
/// The result is in dial's category, so `from_error_code(ec) == dial::connect_error::
/// connection_refused` and `== std::errc::connection_refused` both hold for ECONNREFUSED, and
/// dial::name(dial::error_id(r.value())) spells it. last_native_error() keeps the OS code.
[[nodiscard]] inline std::error_code from_error_code(const boost::system::error_code& ec) noexcept {
  if (!ec) return {};
  const auto& c = ec.category();
  if (c == boost::system::system_category() || c == boost::system::generic_category())
    return make_error_code(detail::from_os_code(ec.value(), false));
  if (c == boost::asio::error::get_netdb_category() ||
      c == boost::asio::error::get_addrinfo_category())
    return make_error_code(detail::from_resolver_code(ec));
  return make_error_code(connect_to_host_error::unexpected);
}

namespace detail {

/// One asynchronous race: the driver of happy_eyeballs on an Asio executor. It only carries out
/// the race's actions (start and close attempts, wait with a timer) and feeds it the events
/// (lookup answers, attempt outcomes, the time, a stop or an Asio cancellation); every decision
/// is the race's. Its handlers run on the given executor, each under the race's one lock, so an
/// io_context run by several threads is safe (without the cost of a strand per race: an
/// allocation and a queue per handler). It is kept alive by its outstanding operations.
template <class Executor, class Handler>
class race_op final : public std::enable_shared_from_this<race_op<Executor, Handler>> {
 public:
  using handler_executor = net::associated_executor_t<Handler, Executor>;

  race_op(const Executor& ex, const connect_to_host_options& o, Handler&& h)
      : ex_(ex),
        race_(o, clock::now()),
        socket_options_(o.socket),
        source_(o.source),
        stop_(o.stop),
        proxied_(o.proxy.has_value()),
        handler_(std::move(h)),
        work_(net::get_associated_executor(handler_, ex_)) {
    now_ = race_.report().began;
  }
  race_op(const race_op&) = delete;
  race_op& operator=(const race_op&) = delete;
  ~race_op() { unwatch(); }  // the lookup's descriptors are never Asio's to close

  /// Starts the lookup (a numeric host or a hosts-file hit is answered here, a DNS query is
  /// sent), hooks up the stop token and the handler's cancellation slot, and posts the first
  /// step: the handler is never called from inside the initiating function.
  void begin(std::string_view host, std::uint16_t port, const resolve_options& ro) {
    const std::lock_guard lock(mutex_);  // a stop or a cancellation may come from another thread
    if (proxied_) {  // not carried out by this adapter (docs/asio.md): refused, not ignored
      race_.abort(connect_to_host_error::operation_not_supported, 0, clock::now());
    } else if (!stop_.stop_requested()) {
      if (ro.backend == resolver_backend::system)
        begin_system(host, port, ro);
      else if (auto l = name_lookup::start(host, port, ro))
        lookup_.emplace(std::move(*l));
      else
        race_.abort(widen<connect_to_host_error>(l.error()), last_native_error(), clock::now());
    }
    slot_ = net::get_associated_cancellation_slot(handler_);
    if (slot_.is_connected()) slot_.template emplace<on_cancel>(this->weak_from_this());
    if (stop_.stop_possible()) stop_callback_.emplace(stop_, on_stop{this->weak_from_this()});
    net::post(ex_, [self = this->shared_from_this()] { self->locked([&] { self->wake(); }); });
  }

 private:
  struct live_attempt {
    attempt_id id;
    tcp::socket sock;
  };

  // The handler's cancellation slot: terminal and partial cancellation end the race (every
  // attempt closed, Canceled). Emitted from the caller's context, acted on in a handler of the
  // race's own.
  struct on_cancel {
    std::weak_ptr<race_op> self;
    void operator()(net::cancellation_type t) const {
      if ((t & (net::cancellation_type::terminal | net::cancellation_type::partial)) ==
          net::cancellation_type::none)
        return;
      if (auto s = self.lock())
        net::post(s->ex_, [s] {
          s->locked([&] {
            s->cancelled_ = true;
            s->wake();
          });
        });
    }
  };
  // options.stop, requested from any thread.
  struct on_stop {
    std::weak_ptr<race_op> self;
    void operator()() const noexcept {
      if (auto s = self.lock()) net::post(s->ex_, [s] { s->locked([&] { s->wake(); }); });
    }
  };

  // The system back-end: a numeric host needs no resolver; otherwise AAAA and A are asked
  // separately through Asio's async_resolve (getaddrinfo on Asio's own resolver thread).
  void begin_system(std::string_view host, std::uint16_t port, const resolve_options& ro) {
    auto local = name_lookup::answer_at_once(host, port, ro);
    if (!local)
      return race_.abort(widen<connect_to_host_error>(local.error()), last_native_error(),
                         clock::now());
    if (*local) return static_cast<void>(lookup_.emplace(std::move(**local)));
    resolver_.emplace(ex_);
    for (const auto family : {address_kind::ipv6, address_kind::ipv4})
      resolver_->async_resolve(
          family == address_kind::ipv6 ? tcp::v6() : tcp::v4(), host, std::to_string(port),
          tcp::resolver::numeric_service,
          [self = this->shared_from_this(), family](const boost::system::error_code& ec,
                                                    const tcp::resolver::results_type& found) {
            self->locked([&] { self->resolved(family, ec, found); });
          });
  }

  void resolved(address_kind family, const boost::system::error_code& ec,
                const tcp::resolver::results_type& found) {
    if (done_ || ec == net::error::operation_aborted) return;
    now_ = clock::now();
    std::vector<address> v;
    for (const auto& e : found) v.push_back(from_endpoint(e.endpoint()));
    sort_destinations(v);  // also drops duplicates
    if (ec || v.empty())
      race_.on_answer(family, std::unexpected(resolve_error_from(ec)), ec.value(), now_);
    else
      race_.on_answer(family, std::move(v), 0, now_);
    step();
  }

  void wake() {
    now_ = clock::now();
    step();
  }

  // Carries out the race's actions until it waits or has finished.
  void step() {
    if (done_) return;
    for (;;) {
      if (lookup_) take_answers();
      if (cancelled_ || stop_.stop_requested()) race_.cancel(now_);
      const race_action act = race_.next(now_);
      switch (act.step) {
        case race_step::start_attempt: start(act.attempt, act.to); break;
        case race_step::cancel_attempt: drop(act.attempt); break;
        case race_step::wait: return wait(act.until);
        case race_step::finished: return finish();
      }
    }
  }

  void take_answers() {
    for (auto& a : lookup_->take_answers())
      race_.on_answer(a.family, std::move(a.result), a.native, now_);
    if (lookup_->finished()) {
      unwatch();
      lookup_.reset();
    }
  }

  // A socket of dial's (close-on-exec, dial::socket's table), handed to Asio, connecting.
  void start(attempt_id id, const address& to) {
    auto fd = open_socket(to.family(), SOCK_STREAM, socket_options_);
    if (!fd)
      return race_.on_failed(id, widen<connect_to_host_error>(fd.error()), last_native_error(),
                             now_);
    if (const auto e = prepare(*fd, to)) {
      const int code = last_native_error();
      dial::close(*fd);
      return race_.on_failed(id, *e, code, now_);
    }
    const tcp::endpoint ep = endpoint(to);
    tcp::socket sock(ex_);
    boost::system::error_code ec;
    sock.assign(ep.protocol(), *fd, ec);
    if (ec) {
      dial::close(*fd);
      return race_.on_failed(id, from_os_code(ec.value(), true), ec.value(), now_);
    }
    live_.push_back({id, std::move(sock)});
    live_.back().sock.async_connect(
        ep, [self = this->shared_from_this(), id](const boost::system::error_code& e) {
          self->locked([&] { self->connected(id, e); });
        });
  }

  // The options, then the source (the race tries only addresses of its family); the first
  // refusal, if any.
  std::optional<connect_to_host_error> prepare(socket_t fd, const address& to) {
    if (auto o = apply_socket_options(fd, to.family(), socket_options_); !o)
      return widen<connect_to_host_error>(o.error());
    if (source_)
      if (auto b = bind_source(fd, *source_); !b) return widen<connect_to_host_error>(b.error());
    return std::nullopt;
  }

  void connected(attempt_id id, const boost::system::error_code& ec) {
    const auto it = std::find_if(live_.begin(), live_.end(),
                                 [id](const live_attempt& a) { return a.id == id; });
    if (done_ || it == live_.end()) return;  // closed by the race: its outcome is Canceled
    now_ = clock::now();
    if (!ec) {
      race_.on_connected(id, now_);  // kept in live_ until it is handed over
    } else {
      race_.on_failed(id, from_os_code(ec.value(), true), ec.value(), now_);
      live_.erase(it);
    }
    step();
  }

  void drop(attempt_id id) {
    std::erase_if(live_, [id](const live_attempt& a) { return a.id == id; });  // closes it
  }

  // The race waits until `until` (or an event); the lookup's descriptors and retry timer are
  // watched too while it runs. One timer: re-armed only for an earlier time (a wake-up that
  // comes too early just asks the race again).
  void wait(clock::time_point until) {
    if (lookup_) {
      if (lookup_dirty_) watch_lookup();
      until = std::min(until, lookup_->wake_at());
    }
    if (until >= timer_at_) return;
    timer_at_ = until;
    const auto gen = ++timer_gen_;
    if (!timer_) timer_.emplace(ex_);  // most races never wait for a time: no timer for them
    timer_->expires_at(until);
    timer_->async_wait([self = this->shared_from_this(), gen](const boost::system::error_code&) {
      self->locked([&] { self->timer_fired(gen); });
    });
  }

  void timer_fired(unsigned gen) {
    if (done_ || gen != timer_gen_) return;  // re-armed since, or over
    timer_at_ = clock::time_point::max();
    now_ = clock::now();
    if (lookup_) {
      unwatch();  // the lookup may close and reopen its sockets inside on_tick
      lookup_->on_tick();
      lookup_dirty_ = true;
    }
    step();
  }

  // Registers the lookup's descriptors with Asio's reactor, borrowed: each is released (never
  // closed) before the lookup runs again, since it may close one and reuse its number.
  void watch_lookup() {
    lookup_dirty_ = false;
    fds_.clear();
    lookup_->wait_set(fds_);
    const auto gen = ++watch_gen_;
    watches_.reserve(fds_.size());
    for (const lookup_watch& f : fds_) {
      auto& d = watches_.emplace_back(ex_);
      boost::system::error_code ec;
      d.assign(f.fd, ec);
      if (ec) {
        watches_.pop_back();
        race_.abort(connect_to_host_error::unexpected, ec.value(), now_);
        continue;
      }
      using w = net::posix::descriptor_base::wait_type;
      for (const auto& [want, type] : {std::pair{f.read, w::wait_read}, {f.write, w::wait_write}})
        if (want)
          d.async_wait(type, [self = this->shared_from_this(), gen, fd = f.fd,
                              read = type == w::wait_read](const boost::system::error_code& e) {
            self->locked([&] { self->lookup_ready(gen, e, fd, read); });
          });
    }
  }

  void lookup_ready(unsigned gen, const boost::system::error_code& ec, socket_t fd, bool read) {
    if (done_ || gen != watch_gen_ || ec == net::error::operation_aborted || !lookup_) return;
    unwatch();
    now_ = clock::now();
    lookup_->on_ready(fd, read, !read);
    lookup_->on_tick();
    lookup_dirty_ = true;
    step();
  }

  void unwatch() noexcept {
    ++watch_gen_;
    for (auto& d : watches_) static_cast<void>(d.release());  // cancels its waits, keeps the fd
    watches_.clear();
  }

  // The race is over: everything but the winner is closed; locked() hands it over.
  void finish() {
    done_ = true;
    completing_ = true;
    unwatch();
    lookup_.reset();
    if (timer_) timer_->cancel();
    if (resolver_) resolver_->cancel();  // a getaddrinfo under way finishes on Asio's thread
    stop_callback_.reset();
    if (slot_.is_connected()) slot_.clear();
  }

  // Every entry point (a completion of one of the race's operations, a stop, a cancellation)
  // runs under the race's one lock: an io_context run by several threads may run two of them at
  // once. A race that has finished calls its handler after the lock is released, on the
  // handler's executor (the given one by default), at once when that is where we are.
  template <class F>
  void locked(F&& f) {
    std::unique_lock lock(mutex_);
    f();
    if (!completing_) return;
    completing_ = false;
    std::error_code ec;
    auto w = live_.end();
    if (const auto won = race_.result())
      w = std::find_if(live_.begin(), live_.end(),
                       [id = *won](const live_attempt& a) { return a.id == id; });
    else
      ec = make_error_code(won.error());
    tcp::socket winner = w != live_.end() ? std::move(w->sock) : tcp::socket(ex_);
    live_.clear();
    auto report = race_.take_report();
    auto work = std::move(work_);
    auto handler = std::move(handler_);
    lock.unlock();
    net::dispatch(ex_, net::append(std::move(handler), ec, std::move(winner), std::move(report)));
  }

  Executor ex_;
  std::mutex mutex_;
  std::optional<net::steady_timer> timer_;
  happy_eyeballs race_;
  socket_options socket_options_;  // set on every attempt's socket before its connect
  std::optional<address> source_;  // every attempt's socket is bound to it
  std::stop_token stop_;
  bool proxied_;  // options.proxy was set: refused with OperationNotSupported
  Handler handler_;
  net::executor_work_guard<handler_executor> work_;
  net::cancellation_slot slot_;
  std::optional<std::stop_callback<on_stop>> stop_callback_;
  std::optional<name_lookup> lookup_;
  std::optional<tcp::resolver> resolver_;  // the system back-end
  std::vector<lookup_watch> fds_;
  std::vector<net::posix::stream_descriptor> watches_;  // the lookup's, borrowed
  std::vector<live_attempt> live_;
  clock::time_point now_;
  clock::time_point timer_at_ = clock::time_point::max();
  unsigned timer_gen_ = 0;
  unsigned watch_gen_ = 0;
  bool lookup_dirty_ = true;
  bool cancelled_ = false;
  bool done_ = false;
  bool completing_ = false;  // finish() ran: locked() calls the handler
};

template <class Executor>
struct initiate_connect_to_host {
  Executor ex;
  template <class Handler>
  void operator()(Handler&& handler, const std::string& host, std::uint16_t port,
                  const connect_to_host_options& options) const {
    using op = race_op<Executor, std::decay_t<Handler>>;
    auto state = std::make_shared<op>(ex, options, std::forward<Handler>(handler));
    state->begin(host, port, options.resolve);
  }
};

}  // namespace detail

/// Connects to `host`:`port` with Happy Eyeballs v2 (RFC 8305), asynchronously, on `ex`: the
/// same race as dial::connect_to_host (every decision is dial::happy_eyeballs'), carried out
/// with Asio's reactor instead of a blocking poll loop. No thread of dial's: attempts are
/// tcp::sockets on `ex` (created close-on-exec by dial::socket), the attempt delay, resolution
/// delay and deadline are one steady_timer, and c-ares' sockets are watched by the reactor
/// (numeric hosts and hosts-file names need no lookup at all); with resolver_backend::system,
/// AAAA and A are two async_resolve calls (getaddrinfo on Asio's own resolver thread).
///
/// Completes once with connect_signature: (error in dial's category, the socket, the report).
/// `ec == dial::connect_to_host_error::connection_refused` and, where a portable condition fits,
/// `ec == std::errc::connection_refused` hold. Every completion token works: a callback,
/// use_awaitable (co_await gives the tuple (ec, socket, report): no exception, so the report of
/// a failure is not lost), use_future (a future of that tuple), deferred, and the rest.
///
/// Stopping: options.deadline ends the race with Timeout, options.stop (requested from any
/// thread) and terminal or partial cancellation through the handler's cancellation slot end it
/// with Canceled; every attempt is closed in each case, and each appears in the report.
/// `host` and `options` are copied: neither need outlive the call. options.non_blocking is
/// ignored (Asio manages the socket's mode). options.proxy is not carried out here: a call with a
/// proxy completes with OperationNotSupported and no attempt (use dial::connect_to_host on a
/// thread for a proxied connection; docs/proxy.md). POSIX only (the lookup's descriptors are
/// watched with posix::stream_descriptor).
template <class Executor, BOOST_ASIO_COMPLETION_TOKEN_FOR(connect_signature) CompletionToken =
                              boost::asio::default_completion_token_t<Executor>>
requires(
    boost::asio::execution::is_executor<Executor>::value ||
    boost::asio::is_executor<Executor>::
        value) auto async_connect_to_host(const Executor& ex, std::string_view host,
                                          std::uint16_t port,
                                          const connect_to_host_options& options,
                                          CompletionToken&& token =
                                              boost::asio::default_completion_token_t<Executor>()) {
  return boost::asio::async_initiate<CompletionToken, connect_signature>(
      detail::initiate_connect_to_host<Executor>{ex}, token, std::string(host), port, options);
}

/// async_connect_to_host on an execution context's executor (an io_context).
template <class ExecutionContext,
          BOOST_ASIO_COMPLETION_TOKEN_FOR(connect_signature) CompletionToken =
              boost::asio::default_completion_token_t<typename ExecutionContext::executor_type>>
requires std::is_convertible_v<ExecutionContext&, boost::asio::execution_context&>
auto async_connect_to_host(
    ExecutionContext& ctx, std::string_view host, std::uint16_t port,
    const connect_to_host_options& options,
    CompletionToken&& token =
        boost::asio::default_completion_token_t<typename ExecutionContext::executor_type>()) {
  return async_connect_to_host(ctx.get_executor(), host, port, options,
                               std::forward<CompletionToken>(token));
}

}  // namespace dial::asio
