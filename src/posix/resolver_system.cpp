// src/posix/resolver_system.cpp: the getaddrinfo back-end: one thread per family, a pipe to wake.
#include <fcntl.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <mutex>
#include <string>
#include <thread>

#include "common/lookup.hpp"
#include "common/native.hpp"

namespace dial::detail {
namespace {

resolve_error from_errno(int e) noexcept {
  switch (e) {
    case EMFILE: return resolve_error::process_fd_quota_exceeded;
    case ENFILE: return resolve_error::system_fd_quota_exceeded;
    case ENOMEM:
    case ENOBUFS: return resolve_error::system_resources;
    default: report_unexpected("getaddrinfo(EAI_SYSTEM)", e); return resolve_error::unexpected;
  }
}

resolve_error from_eai(int rc, int saved_errno) noexcept {
  switch (rc) {
    case EAI_NONAME: return resolve_error::unknown_host_name;
#ifdef EAI_NODATA
    case EAI_NODATA:
#endif
#ifdef EAI_ADDRFAMILY
    case EAI_ADDRFAMILY:
#endif
      return resolve_error::host_lacks_network_addresses;
    case EAI_AGAIN: return resolve_error::temporary_name_server_failure;
    case EAI_FAIL: return resolve_error::name_server_failure;
    case EAI_MEMORY: return resolve_error::out_of_memory;
    case EAI_SYSTEM: return from_errno(saved_errno);
    default:  // EAI_BADFLAGS, EAI_FAMILY, EAI_SOCKTYPE, EAI_SERVICE: dial's hints are fixed
      report_unexpected("getaddrinfo", rc);
      return resolve_error::unexpected;
  }
}

// What the threads share with the lookup; whoever finishes last frees it. The pipe's write end
// is closed by the last thread, its read end by the lookup.
struct shared_state {
  std::mutex mutex;
  std::vector<family_answer> done;
  int write_fd = -1;
  int threads_left = 2;
};

family_answer ask(const std::string& host, std::uint16_t port, address_kind family) {
  addrinfo hints{};
  hints.ai_family = family == address_kind::ipv4 ? AF_INET : AF_INET6;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  const int rc = ::getaddrinfo(host.c_str(), nullptr, &hints, &res);
  if (rc != 0) {
    const int e = errno;
    return {family, std::unexpected(from_eai(rc, e)), rc == EAI_SYSTEM ? e : rc};
  }
  std::vector<address> out;
  for (const addrinfo* ai = res; ai != nullptr; ai = ai->ai_next)
    if (auto a = address::from_native(ai->ai_addr, static_cast<socklen_t>(ai->ai_addrlen)))
      out.push_back(a->with_port(port));
  ::freeaddrinfo(res);
  sort_destinations(out);  // also removes the duplicates of other socket types
  if (out.empty()) return {family, std::unexpected(resolve_error::host_lacks_network_addresses), 0};
  return {family, std::move(out), 0};
}

class system_lookup final : public lookup {
 public:
  system_lookup(std::shared_ptr<shared_state> s, int read_fd)
      : state_(std::move(s)), read_fd_(read_fd) {}
  ~system_lookup() override { ::close(read_fd_); }  // threads still running finish on their own

  void wait_set(std::vector<lookup_fd>& out) override {
    if (!finished()) out.push_back({read_fd_, true, false});
  }
  deadline_clock::time_point wake_at() override { return deadline_clock::time_point::max(); }
  void on_ready(socket_t fd, bool, bool) override {
    char sink[8];
    if (fd == read_fd_) {
      [[maybe_unused]] auto n = ::read(read_fd_, sink, sizeof sink);
    }
    collect();
  }
  void on_tick() override { collect(); }

 private:
  void collect() {
    std::vector<family_answer> got;
    {
      const std::lock_guard lock(state_->mutex);
      got.swap(state_->done);
    }
    for (auto& a : got) deliver(std::move(a));
  }

  std::shared_ptr<shared_state> state_;
  int read_fd_;
};

void run(std::shared_ptr<shared_state> state, std::string host, std::uint16_t port,
         address_kind family) {
  family_answer a = ask(host, port, family);
  const std::lock_guard lock(state->mutex);
  state->done.push_back(std::move(a));
  const char one = 1;
  [[maybe_unused]] auto n = ::write(state->write_fd, &one, 1);
  if (--state->threads_left == 0) ::close(state->write_fd);
}

}  // namespace

std::expected<std::unique_ptr<lookup>, resolve_error> start_system_lookup(std::string_view host,
                                                                          std::uint16_t port,
                                                                          const resolve_options&) {
  int p[2];
  if (::pipe2(p, O_CLOEXEC | O_NONBLOCK) != 0) {
    const int e = errno;
    record_native(e);
    return std::unexpected(from_errno(e));
  }
  auto state = std::make_shared<shared_state>();
  state->write_fd = p[1];
  auto l = std::make_unique<system_lookup>(state, p[0]);
  // getaddrinfo cannot be interrupted: a lookup given up on (deadline, stop) lets its threads
  // finish in the background; they touch only the shared state.
  try {
    std::thread(run, state, std::string(host), port, address_kind::ipv6).detach();
  } catch (const std::system_error&) {
    ::close(p[1]);
    return std::unexpected(resolve_error::system_resources);
  }
  try {
    std::thread(run, state, std::string(host), port, address_kind::ipv4).detach();
  } catch (const std::system_error&) {
    const std::lock_guard lock(state->mutex);
    if (--state->threads_left == 0) ::close(state->write_fd);
    return std::unexpected(resolve_error::system_resources);
  }
  return l;
}

}  // namespace dial::detail
