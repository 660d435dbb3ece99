// dial/lookup.hpp: layer 3, one name's lookup as an event source for the caller's own loop.
#pragma once

#include <cstdint>
#include <expected>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "dial/address.hpp"
#include "dial/resolve.hpp"
#include "dial/sys.hpp"  // socket_t

namespace dial {

namespace detail {
class lookup;
}  // namespace detail

/// One family's answer of a lookup: its addresses (the port already set), or why it has none.
struct lookup_answer {
  address_kind family = address_kind::ipv6;                   ///< ipv6 for AAAA, ipv4 for A
  std::expected<std::vector<address>, resolve_error> result;  ///< the addresses, or the error
  int native = 0;  ///< the resolver's own code behind an error (0: none); resolver_code_name()
};

/// A descriptor a lookup wants watched, and for what. The descriptor stays the lookup's: watch
/// it (poll, epoll, an event loop's reactor), never close it.
struct lookup_watch {
  socket_t fd = invalid_socket;  ///< a descriptor (POSIX) or a socket (Windows)
  bool read = false;             ///< wake up when it is readable (or has an error)
  bool write = false;            ///< wake up when it is writable
};

/// The asynchronous lookup of one name, AAAA and A asked separately, each answer handed out as it
/// arrives: what dial::resolve and connect_to_host drive with dial::poll, offered so that another
/// event loop (dial/asio.hpp) can drive it without a thread. It owns no thread of its own with
/// the c-ares back-end; the system back-end runs getaddrinfo on two threads of its own and wakes
/// the loop through a pipe.
///
/// The loop's part, after start(): take_answers(); while !finished(), watch every descriptor of
/// wait_set() until wake_at() at the latest, then call on_ready() for each descriptor that became
/// ready and on_tick() once, and take the answers again. The descriptors change only inside
/// start(), on_ready() and on_tick(): a loop may keep watching the same set in between. Between
/// those calls a descriptor of the set is open and is the lookup's; after them it may have been
/// closed and its number reused, so a loop that registers them (epoll, kqueue) must drop the
/// registrations before calling on_ready() or on_tick() and register the new set afterwards.
/// Destroying the lookup cancels whatever is still outstanding and closes its descriptors.
class DIAL_API name_lookup {
 public:
  /// Starts looking `host` up, as dial::resolve does (its steps 1-3): a numeric host and a
  /// hosts-file hit are answered before this returns (no descriptor, both answers ready, no
  /// allocation beyond the addresses), otherwise the back-end's queries are sent. The options'
  /// deadline and stop are the caller's to watch. Fails only when nothing could be started
  /// (InvalidHostName, OutOfMemory, ProcessFdQuotaExceeded, SystemFdQuotaExceeded, Unexpected).
  [[nodiscard]] static std::expected<name_lookup, resolve_error> start(
      std::string_view host, std::uint16_t port, const resolve_options& options);

  /// start() without the back-end: a numeric host, and with the c-ares back-end a hosts-file hit,
  /// answered at once; an empty optional when the back-end would have to be asked (nothing is
  /// sent, no thread started). For a loop that asks the system resolver its own way (Asio's
  /// async_resolve). Fails with InvalidHostName, or the hosts file's ProcessFdQuotaExceeded,
  /// SystemFdQuotaExceeded or OutOfMemory.
  [[nodiscard]] static std::expected<std::optional<name_lookup>, resolve_error> answer_at_once(
      std::string_view host, std::uint16_t port, const resolve_options& options);

  /// Takes the other's lookup; the other is left empty, fit only to be assigned or destroyed.
  name_lookup(name_lookup&&) noexcept;
  /// Cancels this lookup's outstanding queries, then takes the other's.
  name_lookup& operator=(name_lookup&&) noexcept;
  /// Cancels whatever is still outstanding and closes the lookup's descriptors.
  ~name_lookup();

  /// Whether start() already knew every address (a numeric host, the hosts file): the answers
  /// are waiting in take_answers() and there is nothing to watch.
  [[nodiscard]] bool answered_at_once() const noexcept { return pending_ == nullptr; }
  /// Appends the descriptors to watch now to `out` (none when answered at once).
  void wait_set(std::vector<lookup_watch>& out);
  /// When on_tick() must run even if nothing became ready (the resolver's retry timers); max()
  /// when no timer runs.
  [[nodiscard]] deadline_clock::time_point wake_at();
  /// Descriptor `fd` of wait_set() became ready: readable (or in error) and/or writable.
  void on_ready(socket_t fd, bool readable, bool writable);
  /// The resolver's timers: call after every wait, ready descriptors or not.
  void on_tick();
  /// The answers that arrived since the last call, in arrival order (two in all: one per family;
  /// an answer known at once gives a family without addresses as HostLacksNetworkAddresses).
  [[nodiscard]] std::vector<lookup_answer> take_answers();
  /// Whether both families' answers have been taken: nothing more will come.
  [[nodiscard]] bool finished() const noexcept;

 private:
  name_lookup(std::vector<address> ready, std::unique_ptr<detail::lookup> pending) noexcept;

  std::vector<address> ready_;               // answered at once: both families, until taken
  std::unique_ptr<detail::lookup> pending_;  // under way: the back-end's lookup
  int taken_ = 0;                            // answers handed out so far (two in all)
};

}  // namespace dial
