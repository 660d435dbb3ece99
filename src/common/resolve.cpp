// src/common/resolve.cpp: dial::resolve, the asynchronous lookup driven by one dial::poll loop.
#include <optional>

#include "common/dialer_os.hpp"
#include "common/lookup.hpp"
#include "common/native.hpp"

namespace dial {

static_assert(is_subset_v<resolve_error, poll_error>);

namespace {

using result = std::expected<std::vector<address>, resolve_error>;

result fail(resolve_error e, int native) {
  detail::record_native(native);
  return std::unexpected(e);
}

// Waits once for the lookup's descriptors, the stop waker and the nearest timer, then lets the
// lookup handle what polled ready. A failed wait is poll's name (its table recorded the code).
std::expected<void, poll_error> wait_once(detail::lookup& l, const detail::stop_waker& waker,
                                          deadline_clock::time_point deadline,
                                          std::vector<detail::lookup_fd>& fds,
                                          std::vector<poll_fd>& p) {
  fds.clear();
  p.clear();
  l.wait_set(fds);
  for (const auto& f : fds)
    p.push_back({f.fd, static_cast<short>((f.read ? poll_in : 0) | (f.write ? poll_out : 0)), 0});
  if (waker.has_fd()) p.push_back({waker.fd(), poll_in, 0});
  auto n = dial::poll(p, waker.timeout_ms(std::min(deadline, l.wake_at())));
  if (!n) return std::unexpected(n.error());
  for (std::size_t i = 0; *n > 0 && i < fds.size(); ++i)
    if (p[i].revents != 0)
      l.on_ready(fds[i].fd, (p[i].revents & (poll_in | poll_err | poll_hup)) != 0,
                 (p[i].revents & poll_out) != 0);
  l.on_tick();
  return {};
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
  std::vector<detail::lookup_fd> fds;
  std::vector<poll_fd> p;
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
    if (auto w = wait_once(l, waker, options.deadline, fds, p); !w)
      return std::unexpected(widen<resolve_error>(w.error()));
  }
  if (!found.empty()) {
    sort_destinations(found);
    return found;
  }
  if (!l.finished()) return fail(resolve_error::timeout, 0);
  return fail(failed->result.error(), failed->native);
}

}  // namespace dial
