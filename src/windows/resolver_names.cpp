// src/windows/resolver_names.cpp: resolver_code_name, the spellings of the Windows resolver's WSA
// codes (GetAddrInfoExW and its wake-up socket) as lookup reports keep them. Both back-end
// choices end in the same resolver on Windows, so they share the spellings.
#include "common/sockets.hpp"

#include "dial/resolve.hpp"

namespace dial {
namespace {

#define DIAL_NAME(code) \
  case code: return #code

std::string_view wsa_resolver_code_name(int code) noexcept {
  switch (code) {
    DIAL_NAME(WSAHOST_NOT_FOUND);
    DIAL_NAME(WSANO_DATA);
    DIAL_NAME(WSATRY_AGAIN);
    DIAL_NAME(WSANO_RECOVERY);
    DIAL_NAME(WSA_NOT_ENOUGH_MEMORY);
    DIAL_NAME(WSAENOBUFS);
    DIAL_NAME(WSAEMFILE);
    DIAL_NAME(WSA_E_CANCELLED);
    DIAL_NAME(WSAEINVAL);
    DIAL_NAME(WSAEAFNOSUPPORT);
    DIAL_NAME(WSAESOCKTNOSUPPORT);
    DIAL_NAME(WSATYPE_NOT_FOUND);
    default: return {};
  }
}

#undef DIAL_NAME

}  // namespace

std::string_view resolver_code_name(resolver_backend, int code) noexcept {
  return wsa_resolver_code_name(code);
}

}  // namespace dial
