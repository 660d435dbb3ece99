// src/posix/resolve.cpp: dial::resolve, the asynchronous lookup driven by one poll loop.
#include <poll.h>

#include <cerrno>
#include <optional>

#include "common/lookup.hpp"
#include "common/native.hpp"
#include "posix/stop_waker.hpp"

namespace dial {
namespace {

using result = std::expected<std::vector<address>, resolve_error>;

result fail(resolve_error e, int native) {
  detail::record_native(native);
  return std::unexpected(e);
}

resolve_error poll_failure(int e) noexcept {
  return e == ENOMEM ? resolve_error::system_resources : resolve_error::unexpected;
}

// Waits once for the lookup's descriptors, the stop waker and the nearest timer; false with
// errno set when poll itself failed.
bool wait_once(detail::lookup& l, const detail::stop_waker& waker,
               deadline_clock::time_point deadline) {
  std::vector<detail::lookup_fd> fds;
  l.wait_set(fds);
  std::vector<pollfd> p;
  for (const auto& f : fds)
    p.push_back({f.fd, static_cast<short>((f.read ? POLLIN : 0) | (f.write ? POLLOUT : 0)), 0});
  if (waker.fd() >= 0) p.push_back({waker.fd(), POLLIN, 0});
  const int rc = ::poll(p.data(), p.size(), waker.timeout_ms(std::min(deadline, l.wake_at())));
  if (rc < 0 && errno != EINTR) return false;
  for (std::size_t i = 0; rc > 0 && i < fds.size(); ++i)
    if (p[i].revents != 0)
      l.on_ready(fds[i].fd, (p[i].revents & (POLLIN | POLLERR | POLLHUP)) != 0,
                 (p[i].revents & POLLOUT) != 0);
  l.on_tick();
  return true;
}

}  // namespace

std::expected<std::vector<address>, resolve_error> resolve(std::string_view host,
                                                           std::uint16_t port,
                                                           const resolve_options& options) {
  if (options.stop.stop_requested()) return fail(resolve_error::canceled, 0);
  auto started = detail::start_lookup(host, port, options);
  if (!started) return std::unexpected(started.error());
  detail::lookup& l = **started;
  const detail::stop_waker waker(options.stop);
  std::vector<address> found;
  std::optional<detail::family_answer> failed;
  for (;;) {  // ends when both families answered, at the deadline, or on a stop
    for (auto& a : l.take_answers()) {
      if (a.result) {
        found.insert(found.end(), a.result->begin(), a.result->end());
      } else if (!failed) {
        failed = std::move(a);
      } else {
        failed->result =
            std::unexpected(detail::combine_failures(failed->result.error(), a.result.error()));
        if (failed->result.error() == a.result.error()) failed->native = a.native;
      }
    }
    if (l.finished()) break;
    if (options.stop.stop_requested()) return fail(resolve_error::canceled, 0);
    if (deadline_clock::now() >= options.deadline) break;
    if (!wait_once(l, waker, options.deadline)) return fail(poll_failure(errno), errno);
  }
  if (!found.empty()) {
    sort_destinations(found);
    return found;
  }
  if (!l.finished()) return fail(resolve_error::timeout, 0);
  return fail(failed->result.error(), failed->native);
}

}  // namespace dial
