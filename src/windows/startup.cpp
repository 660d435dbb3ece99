// src/windows/startup.cpp: WSAStartup, owned by dial, and the names of the WSA codes.
#include <mutex>

#include "common/native.hpp"
#include "windows/winsock.hpp"

namespace dial::detail {
namespace {

std::mutex start_mutex;
bool started = false;  // guarded by start_mutex

}  // namespace

int wsa_start() noexcept {
  // Reached only on a slow path, so a mutex costs nothing that matters; it makes "once" exact
  // (two threads that both saw WSANOTINITIALISED start Winsock once) and lets a failed start be
  // tried again later (WSASYSNOTREADY can be transient at boot).
  const std::lock_guard lock(start_mutex);
  if (started) return 0;
  WSADATA data;
  const int rc = ::WSAStartup(MAKEWORD(2, 2), &data);
  if (rc == 0) started = true;
  return rc;
}

std::string_view wsa_name(int code) noexcept {
  switch (code) {
    case WSAEFAULT: return "WSAEFAULT";
    case WSAEINVAL: return "WSAEINVAL";
    case WSAEISCONN: return "WSAEISCONN";
    case WSAENOTSOCK: return "WSAENOTSOCK";
    case WSANOTINITIALISED: return "WSANOTINITIALISED";
    case WSAEOPNOTSUPP: return "WSAEOPNOTSUPP";
    case WSAEDESTADDRREQ: return "WSAEDESTADDRREQ";
    default: return "WSA error";
  }
}

void trap_if_not_a_socket(std::string_view call, int code) noexcept {
  if (code == WSAENOTSOCK)
    trap(call, code, "WSAENOTSOCK",
         "the handle is not a socket: closed already, or never a socket");
  if (code == WSANOTINITIALISED)
    trap(call, code, "WSANOTINITIALISED",
         "Winsock is not started, so no socket is open: the handle is not a socket (dial starts "
         "Winsock in dial::socket; one WSACleanup too many closes every socket)");
}

}  // namespace dial::detail
