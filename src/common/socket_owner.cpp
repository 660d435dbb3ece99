// src/common/socket_owner.cpp: connect_to_address, listen_on and the address readers, for every OS
// family; what differs between them is behind src/common/socket_owner_os.hpp.
#include "common/sockets.hpp"  // sockaddr_storage: <sys/socket.h> or <winsock2.h>

#include <expected>
#include <optional>

#include "common/native.hpp"
#include "common/socket_owner_os.hpp"
#include "dial/socket.hpp"

namespace dial {

// The widening into the composite sets is total: the compiler checks it from the one list.
static_assert(is_subset_v<connect_to_address_error, socket_error>);
static_assert(is_subset_v<connect_to_address_error, bind_error>);
static_assert(is_subset_v<connect_to_address_error, setsockopt_error>);
static_assert(is_subset_v<connect_to_address_error, connect_error>);
static_assert(is_subset_v<listen_on_error, socket_error>);
static_assert(is_subset_v<listen_on_error, bind_error>);
static_assert(is_subset_v<listen_on_error, listen_error>);

namespace {

/// A failed step: closes the socket while keeping the step's native code for last_native_error.
template <class To, class From>
std::unexpected<To> fail(owned_socket& s, From e) noexcept {
  const int code = last_native_error();
  s.reset();
  detail::record_native(code);
  return std::unexpected(widen<To>(e));
}

/// Reads an address through getsockname or getpeername.
template <class Call>
std::optional<address> read_address(Call call) noexcept {
  sockaddr_storage ss{};
  constexpr auto room = static_cast<socklen_t>(sizeof ss);
  socklen_t len = room;
  if (!call(reinterpret_cast<sockaddr*>(&ss), &len)) return std::nullopt;
  if (len > room) return std::nullopt;  // truncated: a family too big for sockaddr_storage
  auto a = address::from_native(reinterpret_cast<const sockaddr*>(&ss), len);
  if (!a) return std::nullopt;
  return *a;
}

}  // namespace

std::expected<void, bind_error> bind_source(socket_t s, const address& source) noexcept {
  if (source.is_ip() && source.port() == 0) detail::owner_defer_source_port(s);
  sockaddr_storage ss;
  const socklen_t len = source.to_native(ss);
  return dial::bind(s, reinterpret_cast<const sockaddr*>(&ss), len);
}

std::expected<owned_socket, connect_to_address_error> connect_to_address(
    const address& to, const connect_options& options) noexcept {
  using E = connect_to_address_error;
  const int type = detail::owner_socket_type(options.type, options.non_blocking);
  auto raw = open_socket(to.family(), type, options.socket);
  if (!raw) return std::unexpected(widen<E>(raw.error()));
  owned_socket s(*raw);
  if (options.non_blocking && !detail::owner_set_non_blocking(s.get()))
    return fail<E>(s, connect_to_address_error::unexpected);
  if (auto o = apply_socket_options(s.get(), to.family(), options.socket); !o)
    return fail<E>(s, o.error());
  if (options.source) {
    auto b = bind_source(s.get(), *options.source);
    if (!b) return fail<E>(s, b.error());
  }
  sockaddr_storage ss;
  const socklen_t len = to.to_native(ss);
  auto c = dial::connect(s.get(), reinterpret_cast<const sockaddr*>(&ss), len);
  if (!c) {
    // A non-blocking attempt under way (EINPROGRESS) is what the caller asked for; EAGAIN (a
    // full Unix backlog) has nothing in progress and is a real WouldBlock.
    const bool in_progress = options.non_blocking && c.error() == connect_error::would_block &&
                             detail::owner_attempt_in_progress(last_native_error());
    if (!in_progress) return fail<E>(s, c.error());
  }
  return s;
}

std::expected<owned_socket, listen_on_error> listen_on(const address& at, int backlog) noexcept {
  using E = listen_on_error;
  auto raw = dial::socket(at.family(), SOCK_STREAM, 0);
  if (!raw) return std::unexpected(widen<E>(raw.error()));
  owned_socket s(*raw);
  if (at.is_ip() && !detail::owner_prepare_listener(s.get()))
    return fail<E>(s, listen_on_error::unexpected);
  sockaddr_storage ss;
  const socklen_t len = at.to_native(ss);
  if (auto b = dial::bind(s.get(), reinterpret_cast<const sockaddr*>(&ss), len); !b)
    return fail<E>(s, b.error());
  if (auto l = dial::listen(s.get(), backlog); !l) return fail<E>(s, l.error());
  return s;
}

std::optional<address> local_address(socket_t sock) noexcept {
  return read_address(
      [sock](sockaddr* a, socklen_t* n) { return bool(dial::getsockname(sock, a, n)); });
}

std::optional<address> peer_address(socket_t sock) noexcept {
  return read_address(
      [sock](sockaddr* a, socklen_t* n) { return bool(dial::getpeername(sock, a, n)); });
}

}  // namespace dial
