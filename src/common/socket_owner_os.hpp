// src/common/socket_owner_os.hpp: what connect_to_address and listen_on need from each OS
// family, one small function each (src/posix/socket_owner_os.cpp, src/windows/...).
#pragma once

#include "dial/socket.hpp"

namespace dial::detail {

/// The `type` argument of socket() for a connect_to_address socket (SOCK_NONBLOCK where the
/// system has it).
[[nodiscard]] int owner_socket_type(socket_type type, bool non_blocking) noexcept;

/// Makes a new socket non-blocking where socket() could not (Windows: ioctlsocket). Returns
/// false with the code recorded for last_native_error() when that fails.
[[nodiscard]] bool owner_set_non_blocking(socket_t s) noexcept;

/// Whether a failed non-blocking connect's native code means "the attempt is under way"
/// (EINPROGRESS; Windows: WSAEWOULDBLOCK) rather than "nothing to wait for" (a full Unix backlog).
[[nodiscard]] bool owner_attempt_in_progress(int native_code) noexcept;

/// Before binding to an IP source address with port 0: let the kernel pick the port at connect
/// time (Linux: IP_BIND_ADDRESS_NO_PORT). Best effort; nothing where the system has no such option.
void owner_defer_source_port(socket_t s) noexcept;

/// Before binding an IP listener: the option that lets a restarted server bind while old
/// connections sit in TIME_WAIT without letting another socket steal the port (POSIX:
/// SO_REUSEADDR; Windows: SO_EXCLUSIVEADDRUSE, since its SO_REUSEADDR allows stealing). Returns
/// false with the code recorded when setsockopt fails.
[[nodiscard]] bool owner_prepare_listener(socket_t s) noexcept;

}  // namespace dial::detail
