// tools/dial/native_name.cpp: the names of native codes, for the CODE column and JSON.
#include <cstring>

#include "platform.hpp"

namespace dial::cli {

#ifdef _WIN32
// The WSA codes a connect, a socket or the engine can report (docs/errors.md), and the two
// Win32 codes of a cancelled or refused overlapped operation.
const char* native_code_name(int code) noexcept {
  switch (code) {
    case WSAEACCES: return "WSAEACCES";
    case WSAEADDRINUSE: return "WSAEADDRINUSE";
    case WSAEADDRNOTAVAIL: return "WSAEADDRNOTAVAIL";
    case WSAEAFNOSUPPORT: return "WSAEAFNOSUPPORT";
    case WSAEALREADY: return "WSAEALREADY";
    case WSAECONNABORTED: return "WSAECONNABORTED";
    case WSAECONNREFUSED: return "WSAECONNREFUSED";
    case WSAECONNRESET: return "WSAECONNRESET";
    case WSAEHOSTUNREACH: return "WSAEHOSTUNREACH";
    case WSAEINPROGRESS: return "WSAEINPROGRESS";
    case WSAEINTR: return "WSAEINTR";
    case WSAEINVAL: return "WSAEINVAL";
    case WSAEMFILE: return "WSAEMFILE";
    case WSAENETDOWN: return "WSAENETDOWN";
    case WSAENETUNREACH: return "WSAENETUNREACH";
    case WSAENOBUFS: return "WSAENOBUFS";
    case WSAEOPNOTSUPP: return "WSAEOPNOTSUPP";
    case WSAEPROTONOSUPPORT: return "WSAEPROTONOSUPPORT";
    case WSAEPROTOTYPE: return "WSAEPROTOTYPE";
    case WSAESOCKTNOSUPPORT: return "WSAESOCKTNOSUPPORT";
    case WSAETIMEDOUT: return "WSAETIMEDOUT";
    case WSAEWOULDBLOCK: return "WSAEWOULDBLOCK";
    case WSAHOST_NOT_FOUND: return "WSAHOST_NOT_FOUND";
    case WSANO_DATA: return "WSANO_DATA";
    case WSATRY_AGAIN: return "WSATRY_AGAIN";
    case WSANO_RECOVERY: return "WSANO_RECOVERY";
    default: return nullptr;
  }
}
#else
const char* native_code_name(int code) noexcept {
  return strerrorname_np(code);  // glibc 2.32; null for a code it does not know
}
#endif

}  // namespace dial::cli
