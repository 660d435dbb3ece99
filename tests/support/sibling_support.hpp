// tests/support/sibling_support.hpp: helpers the sibling calls' tests share (bind, listen, accept,
// send, recv, getsockname, getpeername, shutdown, setsockopt, getsockopt, poll).
#pragma once

#include <grp.h>
#include <gtest/gtest.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstddef>
#include <cstring>
#include <expected>
#include <span>
#include <string>
#include <string_view>
#include <thread>

#include "dial/dial.hpp"
#include "support.hpp"

namespace dial::test::sib {

/// Child exit statuses that are not results; they lie above every error id.
enum status : int {
  lost_native_code = 200,  ///< the right name, but last_native_error() is not the injected code
  setup_failed = 201,      ///< seccomp, setuid, namespace or fixture setup failed
  trapped = 128 + SIGABRT  ///< a programmer-error trap ended the child
};

/// 0 for success, the error id otherwise: a child's exit status for a dial result.
template <class T, class E>
int code_of(const std::expected<T, E>& r) {
  return r ? 0 : static_cast<int>(r.error());
}

/// The exit status a child returns for error `e`.
template <class E>
constexpr int code(E e) {
  return static_cast<int>(e);
}

/// Runs `call` in a child whose system call `nr` fails with `code` when its first argument is
/// `first_arg`. Returns code_of(result), or lost_native_code when last_native_error() lost the
/// code, or setup_failed, or `trapped` when a trap ended the child.
template <class Call>
int injected(long nr, int code, int first_arg, Call call) {
  return run_in_child([&] {
    if (!inject_errno(nr, code, first_arg)) return static_cast<int>(setup_failed);
    auto r = call();
    if (!r && last_native_error() != code) return static_cast<int>(lost_native_code);
    return code_of(r);
  });
}

/// One line of a call's errno table: the injected code and the name it must map to.
template <class E>
struct line {
  int code;
  const char* code_name;
  E want;
};

template <class E>
void PrintTo(const line<E>& l, std::ostream* os) {
  *os << l.code_name << " -> " << name(l.want);
}

template <class E>
std::string line_name(const ::testing::TestParamInfo<line<E>>& p) {
  return p.param.code_name;
}

/// A test name for a parameter that is an errno value ("EBADF").
inline std::string errno_label(const ::testing::TestParamInfo<int>& p) {
  return ::strerrorname_np(p.param);
}

/// A line for an injected code: DIAL_LINE(EACCES, access_denied).
#define DIAL_LINE(set, code, name) \
  ::dial::test::sib::line<set> { code, #code, set::name }

/// Drops to nobody/nogroup (65534) for good when root; a no-op otherwise.
inline bool become_nobody() { return !is_root() || test::become_nobody(); }

/// Bytes of a string, for send.
inline std::span<const std::byte> bytes(std::string_view s) {
  return std::as_bytes(std::span(s.data(), s.size()));
}

/// A connected TCP pair on loopback: `client` connected to `server` (the accepted end).
struct tcp_pair {
  fd client;
  fd server;
};
tcp_pair connected_tcp(int family = AF_INET);

/// Counts SIGUSR1 deliveries; installed without SA_RESTART so blocking calls see EINTR.
class interruptions {
 public:
  interruptions();
  ~interruptions();
  int count() const;

 private:
  struct sigaction old_ {};
};

/// Sends SIGUSR1 to `target` every `every` until destroyed (at most `max` signals).
class signal_storm {
 public:
  signal_storm(pthread_t target, std::chrono::microseconds every, int max = 20000);
  ~signal_storm();

 private:
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

/// The lowest descriptor number not in use (what the next socket would get).
int lowest_free_fd();

}  // namespace dial::test::sib
