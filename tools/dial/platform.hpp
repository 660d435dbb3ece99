// tools/dial/platform.hpp: the few things the tool does differently on POSIX and on Windows.
#pragma once

#ifdef _WIN32
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#ifndef NOMINMAX
#define NOMINMAX
#endif
#include <winsock2.h>  // sockaddr_storage, AF_*, SOCK_STREAM
#include <ws2tcpip.h>
#else
#include <sys/socket.h>
#endif

namespace dial::cli {

/// fopen's mode for reading a file not inherited by child processes: glibc's "e"
/// (close-on-exec), msvcrt's "N" (msvcrt refuses an 'e').
#ifdef _WIN32
inline constexpr const char* read_mode_no_inherit = "rN";
#else
inline constexpr const char* read_mode_no_inherit = "re";
#endif

/// The symbolic name of a native code: an errno's ("ECONNREFUSED", glibc's strerrorname_np) or
/// a WSA code's ("WSAECONNREFUSED"); null for a code it does not know.
[[nodiscard]] const char* native_code_name(int code) noexcept;

}  // namespace dial::cli
