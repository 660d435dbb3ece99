// src/common/lookup.hpp: the asynchronous lookup that resolve and Happy Eyeballs drive (internal).
#pragma once

#include <cstdint>
#include <expected>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "dial/address.hpp"
#include "dial/lookup.hpp"
#include "dial/resolve.hpp"
#include "dial/sys.hpp"  // socket_t

namespace dial::detail {

/// One family's answer, and a descriptor to watch: the public types (dial/lookup.hpp).
using family_answer = lookup_answer;
using lookup_fd = lookup_watch;

/// An asynchronous lookup of one name: AAAA and A asked separately, each answer delivered as it
/// arrives. The caller owns the wait: it polls wait_set() until wake_at(), then calls on_ready()
/// for every descriptor that polled ready and on_tick() once, and takes the answers. Dropping the
/// lookup cancels whatever is still outstanding.
class lookup {
 public:
  lookup() { answers_.reserve(2); }  // AAAA and A: two answers in all
  lookup(const lookup&) = delete;
  lookup& operator=(const lookup&) = delete;
  virtual ~lookup() = default;

  /// The descriptors to wait on now (they change as queries are sent and retried).
  virtual void wait_set(std::vector<lookup_fd>& out) = 0;
  /// When on_tick must run even if nothing polled ready (resolver retry timers).
  [[nodiscard]] virtual deadline_clock::time_point wake_at() = 0;
  /// A descriptor from wait_set() polled ready.
  virtual void on_ready(socket_t fd, bool readable, bool writable) = 0;
  /// Timers: call after every wait.
  virtual void on_tick() = 0;
  /// Answers that arrived since the last call, in arrival order.
  [[nodiscard]] std::vector<family_answer> take_answers() {
    std::vector<family_answer> out;
    out.swap(answers_);
    return out;
  }
  /// Whether both families have answered (all answers may still be waiting in take_answers()).
  [[nodiscard]] bool finished() const noexcept { return delivered_ == 2; }

 protected:
  void deliver(family_answer a) {
    answers_.push_back(std::move(a));
    ++delivered_;
  }

 private:
  std::vector<family_answer> answers_;
  int delivered_ = 0;
};

/// A lookup as it begins: answered already (a numeric host or a hosts-file hit: `ready` holds
/// every address, both families together, and `pending` is null), or under way (`pending`).
struct begun_lookup {
  std::vector<address> ready;
  std::unique_ptr<lookup> pending;
};

/// What needs no back-end: a numeric host, and with c-ares a hosts-file hit (every address); an
/// empty optional when the back-end must be asked. InvalidHostName for a name nothing would be
/// sent for; the hosts file's EMFILE, ENFILE and ENOMEM by their names.
[[nodiscard]] std::expected<std::optional<std::vector<address>>, resolve_error> local_answer(
    std::string_view host, std::uint16_t port, const resolve_options& options);

/// begin_lookup is start_lookup without the lookup object for an answer known at once (no
/// allocation beyond the addresses): what connect_to_host uses.
[[nodiscard]] std::expected<begun_lookup, resolve_error> begin_lookup(
    std::string_view host, std::uint16_t port, const resolve_options& options);

/// Starts looking `host` up: a numeric host or a hosts-file hit is answered before this returns
/// (no descriptors, both answers ready), otherwise the back-end's queries are sent. Fails only
/// when nothing could be started (InvalidHostName, OutOfMemory, descriptor limits, Unexpected).
[[nodiscard]] std::expected<std::unique_ptr<lookup>, resolve_error> start_lookup(
    std::string_view host, std::uint16_t port, const resolve_options& options);

/// The numeric address `host` names ("192.0.2.1", "2001:db8::1", "[fe80::1%eth0]"), if it is one.
[[nodiscard]] std::expected<address, address_parse_failure> parse_numeric_host(
    std::string_view host, std::uint16_t port) noexcept;

/// Every address the hosts file at `path` gives `host` (case-insensitive; aliases count), in
/// the file's order. The file is parsed once and read again when it changes (one stat per
/// call). No file, or one that cannot be read for a reason other than resources, gives none;
/// EMFILE, ENFILE and ENOMEM while opening it end the lookup with their names.
[[nodiscard]] std::expected<std::vector<address>, resolve_error> hosts_file_lookup(
    const std::string& path, std::string_view host, std::uint16_t port);

/// Whether `host` is acceptable as a DNS name: 1-253 bytes (a trailing dot aside), no NUL, every
/// label 1-63 bytes.
[[nodiscard]] bool valid_host_name(std::string_view host) noexcept;

/// Combines two families' failures into the one resolve reports: UnknownHostName if either said
/// so, then HostLacksNetworkAddresses only if both did, else the first other error.
[[nodiscard]] resolve_error combine_failures(resolve_error a, resolve_error b) noexcept;

/// The back-ends (src/posix/): start the DNS queries for both families.
[[nodiscard]] std::expected<std::unique_ptr<lookup>, resolve_error> start_ares_lookup(
    std::string_view host, std::uint16_t port, const resolve_options& options);
[[nodiscard]] std::expected<std::unique_ptr<lookup>, resolve_error> start_system_lookup(
    std::string_view host, std::uint16_t port, const resolve_options& options);

/// The c-ares back-end's table: an ares_status_t (ARES_ENOTFOUND, ...) to resolve's name. A code
/// outside the table is Unexpected (and reported in debug builds). Exposed for the table test.
[[nodiscard]] resolve_error resolve_error_from_ares(int status) noexcept;

}  // namespace dial::detail
