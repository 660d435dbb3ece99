// src/common/sockets.hpp: the system's socket headers for the platform-neutral sources
// (sockaddr_storage, SOL_SOCKET, ...): Winsock on Windows, the POSIX headers elsewhere.
#pragma once

#ifdef _WIN32
#include <ws2tcpip.h>
#include "windows/winsock.hpp"
#else
#include <netinet/in.h>
#include <sys/socket.h>
#endif
