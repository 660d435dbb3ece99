// src/common/sockets.hpp: the system's socket headers for the platform-neutral sources
// (sockaddr_storage, sockaddr_un, SOL_SOCKET, htons, ...): Winsock on Windows, the POSIX headers
// elsewhere; and the code a bad pointer argument traps with.
#pragma once

#ifdef _WIN32
#include "windows/winsock.hpp"
// winsock.hpp first: these need winsock2.h before them.
#include <afunix.h>
#include <ws2tcpip.h>
#else
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cerrno>
#endif

namespace dial::detail {

#ifdef _WIN32
inline constexpr int native_bad_pointer = WSAEFAULT;  ///< a pointer argument is not valid
inline constexpr const char* native_bad_pointer_name = "WSAEFAULT";
#else
inline constexpr int native_bad_pointer = EFAULT;  ///< a pointer argument is not valid
inline constexpr const char* native_bad_pointer_name = "EFAULT";
#endif

}  // namespace dial::detail
