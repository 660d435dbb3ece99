// tests/support/portable_support.cpp: the OS behind the portable tests' helpers; the only place
// of the portable tests where the platforms differ.
#include "portable_support.hpp"

#ifdef _WIN32
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <winsock2.h>
#include <ws2tcpip.h>
#else
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#endif

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace dial::portable {

const int af_inet = AF_INET;
const int af_inet6 = AF_INET6;
const int sock_stream = SOCK_STREAM;
const int sock_dgram = SOCK_DGRAM;
const int ipproto_tcp = IPPROTO_TCP;
const int ipproto_udp = IPPROTO_UDP;
const int af_unix = AF_UNIX;
const int sol_socket = SOL_SOCKET;
const int so_reuseaddr = SO_REUSEADDR;
const int so_rcvbuf = SO_RCVBUF;

namespace {

#ifdef _WIN32
using native_len = int;
int last_os_error() { return ::WSAGetLastError(); }
#else
using native_len = ::socklen_t;
int last_os_error() { return errno; }
#endif

[[noreturn]] void fail(const char* what) {
  throw std::runtime_error(std::string(what) + " failed with OS code " +
                           std::to_string(last_os_error()));
}

endpoint local_name(socket_t s) {
  endpoint e;
  native_len n = static_cast<native_len>(e.storage.size());
  if (::getsockname(s, reinterpret_cast<sockaddr*>(e.storage.data()), &n) != 0) fail("getsockname");
  e.len = static_cast<socklen_t>(n);
  return e;
}

listener bound_loopback(int family, std::uint16_t port) {
  listener l{tcp_socket(family), loopback(family, port)};
  if (::bind(l.sock.get(), l.where.sa(), l.where.len) != 0) fail("bind");
  l.where = local_name(l.sock.get());
  return l;
}

}  // namespace

static_assert(sizeof(sockaddr_storage) <= sizeof(endpoint::storage));

const sockaddr* endpoint::sa() const noexcept {
  return reinterpret_cast<const sockaddr*>(storage.data());
}

sockaddr* endpoint::sa() noexcept { return reinterpret_cast<sockaddr*>(storage.data()); }

endpoint to_endpoint(const address& a) {
  sockaddr_storage ss{};
  endpoint e;
  e.len = a.to_native(ss);
  std::memcpy(e.storage.data(), &ss, sizeof ss);
  return e;
}

std::expected<address, address_native_error> from_endpoint(const endpoint& e) {
  return address::from_native(e.sa(), e.len);
}

int family_of(const endpoint& e) {
  sockaddr_storage ss{};
  std::memcpy(&ss, e.storage.data(), sizeof ss);
  return ss.ss_family;
}

endpoint loopback(int family, std::uint16_t port) {
  endpoint e;
  if (family == AF_INET) {
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_port = htons(port);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    std::memcpy(e.storage.data(), &sin, sizeof sin);
    e.len = sizeof sin;
  } else {
    sockaddr_in6 sin6{};
    sin6.sin6_family = AF_INET6;
    sin6.sin6_port = htons(port);
    sin6.sin6_addr = in6addr_loopback;
    std::memcpy(e.storage.data(), &sin6, sizeof sin6);
    e.len = sizeof sin6;
  }
  return e;
}

owned_socket tcp_socket(int family, bool nonblocking) {
  auto s = dial::socket(family, SOCK_STREAM, IPPROTO_TCP);
  if (!s) throw std::runtime_error(std::string("dial::socket: ") + std::string(name(s.error())));
  owned_socket o(*s);
  if (nonblocking) set_nonblocking(o.get());
  return o;
}

owned_socket udp_socket(int family) {
  auto s = dial::socket(family, SOCK_DGRAM, IPPROTO_UDP);
  if (!s) throw std::runtime_error(std::string("dial::socket: ") + std::string(name(s.error())));
  return owned_socket(*s);
}

void set_nonblocking(socket_t s) {
#ifdef _WIN32
  u_long on = 1;
  if (::ioctlsocket(s, FIONBIO, &on) != 0) fail("ioctlsocket(FIONBIO)");
#else
  const int flags = ::fcntl(s, F_GETFL);
  if (flags < 0 || ::fcntl(s, F_SETFL, flags | O_NONBLOCK) != 0) fail("fcntl(O_NONBLOCK)");
#endif
}

bool is_inheritable(socket_t s) {
#ifdef _WIN32
  DWORD flags = 0;
  if (!::GetHandleInformation(reinterpret_cast<HANDLE>(s), &flags)) fail("GetHandleInformation");
  return (flags & HANDLE_FLAG_INHERIT) != 0;
#else
  const int flags = ::fcntl(s, F_GETFD);
  if (flags < 0) fail("fcntl(F_GETFD)");
  return (flags & FD_CLOEXEC) == 0;
#endif
}

listener tcp_listener(int family, int backlog, std::uint16_t port) {
  listener l = bound_loopback(family, port);
  if (::listen(l.sock.get(), backlog) != 0) fail("listen");
  return l;
}

listener closed_port(int family, std::uint16_t port) { return bound_loopback(family, port); }

full_listener full_tcp_listener(int family, std::uint16_t port) {
  full_listener f{tcp_listener(family, 0, port), tcp_socket(family)};
  if (::connect(f.queued.get(), f.l.where.sa(), f.l.where.len) != 0) fail("filling connect");
  return f;
}

std::uint16_t port_of(const endpoint& e) {
  if (family_of(e) == AF_INET) {
    sockaddr_in sin{};
    std::memcpy(&sin, e.storage.data(), sizeof sin);
    return ntohs(sin.sin_port);
  }
  sockaddr_in6 sin6{};
  std::memcpy(&sin6, e.storage.data(), sizeof sin6);
  return ntohs(sin6.sin6_port);
}

bool is_blocking(socket_t s) {
#ifdef _WIN32
  // FIONBIO can be set, never read. A blocking recv waits for SO_RCVTIMEO and fails with
  // WSAETIMEDOUT; a non-blocking one fails at once with WSAEWOULDBLOCK. MSG_PEEK keeps any data.
  DWORD ms = 100;
  auto timeout = [&](DWORD v) {
    ms = v;
    if (::setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, reinterpret_cast<const char*>(&ms), sizeof ms))
      fail("setsockopt(SO_RCVTIMEO)");
  };
  timeout(100);
  char c = 0;
  const int n = ::recv(s, &c, 1, MSG_PEEK);
  const int e = ::WSAGetLastError();
  timeout(0);
  if (n >= 0)
    throw std::runtime_error("is_blocking: the socket has data to read, or its peer left");
  if (e == WSAEWOULDBLOCK) return false;
  if (e == WSAETIMEDOUT) return true;
  ::WSASetLastError(e);
  fail("recv(MSG_PEEK)");
#else
  const int flags = ::fcntl(s, F_GETFL);
  if (flags < 0) fail("fcntl(F_GETFL)");
  return (flags & O_NONBLOCK) == 0;
#endif
}

bool wait_connected(socket_t s, std::chrono::milliseconds limit) {
#ifdef _WIN32
  // select, not WSAPoll: WSAPoll did not report failed connects before Windows 10 2004. Windows
  // signals a failed connect in the exception set, a successful one in the write set.
  fd_set w, x;
  FD_ZERO(&w);
  FD_ZERO(&x);
  FD_SET(s, &w);
  FD_SET(s, &x);
  timeval tv{static_cast<long>(limit.count() / 1000),
             static_cast<long>(limit.count() % 1000) * 1000};
  const int rc = ::select(0, nullptr, &w, &x, &tv);
  if (rc < 0) fail("select");
  return rc > 0;
#else
  pollfd p{s, POLLOUT, 0};
  const int rc = ::poll(&p, 1, static_cast<int>(limit.count()));
  if (rc < 0) fail("poll");
  return rc > 0;
#endif
}

not_a_socket::not_a_socket() {
#ifdef _WIN32
  HANDLE e = ::CreateEventW(nullptr, TRUE, FALSE, nullptr);
  if (e == nullptr) fail("CreateEventW");
  h_ = reinterpret_cast<socket_t>(e);
#else
  int p[2];
  if (::pipe(p) != 0) fail("pipe");
  h_ = p[0];
  other_ = p[1];
#endif
}

not_a_socket::~not_a_socket() {
#ifdef _WIN32
  ::CloseHandle(reinterpret_cast<HANDLE>(h_));
#else
  ::close(h_);
  ::close(other_);
#endif
}

bool aborted(int status) {
#ifdef _WIN32
  return status == 3;
#else
  return WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT;
#endif
}

bool under_wine() {
#ifdef _WIN32
  HMODULE ntdll = ::GetModuleHandleW(L"ntdll.dll");
  return ntdll != nullptr && ::GetProcAddress(ntdll, "wine_get_version") != nullptr;
#else
  return false;
#endif
}

}  // namespace dial::portable
