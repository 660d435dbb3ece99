// src/windows/sockopt.cpp: setsockopt and getsockopt over Winsock, with their WSA tables.
// (getsockopt_error, which reads SO_ERROR for connect, lives in connect.cpp.)
#include "dial/sys.hpp"
#include "windows/test_hooks.hpp"
#include "windows/winsock.hpp"

namespace dial {
namespace {

using detail::mapped;

// Winsock's WSAEFAULT for both calls: a pointer outside the address space, or a length too small
// for the option's type. Both are fixed by the code, never by the data: a trap.
constexpr const char* bad_option_buffer =
    "the option's value or length is not valid (outside the address space, or a length too "
    "small for the option's type)";

/// setsockopt's Winsock codes (Microsoft's documentation of setsockopt). WSAENETRESET and
/// WSAENOTCONN, a keepalive that found the connection dead, have no name in the set: the
/// connection is gone, the next send or recv names it. They stay Unexpected, code kept.
constexpr mapped<setsockopt_error> map_setsockopt_wsa(int code) noexcept {
  using enum setsockopt_error;
  switch (code) {
    case WSAENOPROTOOPT:
      return {invalid_protocol_option};  // unknown or unsupported for this socket
    case WSAEINVAL:
      return {invalid_option};  // an unknown level, or a value the option does not accept
    case WSAENOBUFS: return {system_resources};
    case WSAEOPNOTSUPP: return {operation_not_supported};
    case WSAEADDRINUSE: return {address_in_use};  // IP_ADD_MEMBERSHIP: the group is joined already
    case WSAEADDRNOTAVAIL:
      return {address_not_available};  // IP_DROP_MEMBERSHIP: the group was not joined
    // Programmer errors: each traps, never UB.
    case WSAEFAULT: return {unexpected, bad_option_buffer};
    case WSAENOTSOCK: return {unexpected, detail::wsa_not_a_socket};
    case WSANOTINITIALISED: return {unexpected, detail::wsa_not_initialised};
    default: return {unexpected};  // WSAENETDOWN, WSAEINPROGRESS, WSAENETRESET, WSAENOTCONN, ...
  }
}

/// getsockopt's Winsock codes. WSAEINVAL is "the level is unknown or invalid" there:
/// InvalidProtocolOption, as Linux's ENOPROTOOPT for an unknown level.
constexpr mapped<getsockopt_call_error> map_getsockopt_wsa(int code) noexcept {
  using enum getsockopt_call_error;
  switch (code) {
    case WSAENOPROTOOPT: return {invalid_protocol_option};
    case WSAEINVAL: return {invalid_protocol_option};  // the level is unknown
    case WSAENOBUFS: return {system_resources};
    case WSAEOPNOTSUPP: return {operation_not_supported};
    // Programmer errors: each traps, never UB.
    case WSAEFAULT: return {unexpected, bad_option_buffer};
    case WSAENOTSOCK: return {unexpected, detail::wsa_not_a_socket};
    case WSANOTINITIALISED: return {unexpected, detail::wsa_not_initialised};
    default: return {unexpected};  // WSAENETDOWN, WSAEINPROGRESS, ...
  }
}

}  // namespace

setsockopt_error setsockopt_error_from_native(int code) noexcept {
  return detail::finish(map_setsockopt_wsa(code), "setsockopt", code);
}

getsockopt_call_error getsockopt_call_error_from_native(int code) noexcept {
  return detail::finish(map_getsockopt_wsa(code), "getsockopt", code);
}

namespace detail {

// The bare calls (a test build may fail them first: windows/test_hooks.hpp). Winsock takes the
// value as char pointers.
int setsockopt_native(socket_t s, int level, int name, const void* v, socklen_t n) {
  DIAL_WSA_SEAM("setsockopt", SOCKET_ERROR);
  return ::setsockopt(s, level, name, static_cast<const char*>(v), n);
}

int getsockopt_native(socket_t s, int level, int name, void* v, socklen_t* n) {
  DIAL_WSA_SEAM("getsockopt", SOCKET_ERROR);
  return ::getsockopt(s, level, name, static_cast<char*>(v), n);
}

// Neither call blocks: no retry.
setsockopt_error setsockopt_failed() noexcept {
  return setsockopt_error_from_native(::WSAGetLastError());
}
getsockopt_call_error getsockopt_failed() noexcept {
  return getsockopt_call_error_from_native(::WSAGetLastError());
}

}  // namespace detail
}  // namespace dial
