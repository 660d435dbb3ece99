// src/windows/resolver_system.cpp: the Windows resolver back-end: GetAddrInfoExW once per family,
// overlapped, with a completion routine that wakes the poll set through a loopback socket;
// GetAddrInfoExCancel when the lookup is dropped (docs/dialer.md, "On Windows").
#include "common/sockets.hpp"

#include <array>
#include <memory>
#include <mutex>
#include <string>

#include "common/lookup.hpp"
#include "common/native.hpp"
#include "windows/resolver_wsa.hpp"
#include "windows/wake_socket.hpp"

// mingw-w64's ws2tcpip.h does not declare it; ws2_32 exports it since Windows 8.
extern "C" WINSOCK_API_LINKAGE int WSAAPI GetAddrInfoExCancel(LPHANDLE handle);

namespace dial::detail {

resolve_error resolve_error_from_wsa(int code) noexcept {
  switch (code) {
    case WSAHOST_NOT_FOUND:  // EAI_NONAME: the name does not exist
      return resolve_error::unknown_host_name;
    case WSANO_DATA:  // EAI_NODATA: the name exists without an address of this family
      return resolve_error::host_lacks_network_addresses;
    case WSATRY_AGAIN:  // EAI_AGAIN: no server answered in time, or SERVFAIL
      return resolve_error::temporary_name_server_failure;
    case WSANO_RECOVERY:  // EAI_FAIL: a server answered wrongly or refused
      return resolve_error::name_server_failure;
    case WSA_NOT_ENOUGH_MEMORY:  // EAI_MEMORY
      return resolve_error::out_of_memory;
    case WSAENOBUFS:  // the wake-up socket
      return resolve_error::system_resources;
    case WSAEMFILE:  // the wake-up socket: no handle left for the process
      return resolve_error::process_fd_quota_exceeded;
    case WSA_E_CANCELLED:  // GetAddrInfoExCancel ended the query
      return resolve_error::canceled;
    default:  // WSAEINVAL, WSAEAFNOSUPPORT, WSAESOCKTNOSUPPORT, WSATYPE_NOT_FOUND: hints are fixed
      report_unexpected("GetAddrInfoExW", code);
      return resolve_error::unexpected;
  }
}

namespace {

struct shared_state;

// One family's query: what GetAddrInfoExW writes to until its completion routine has run. The
// OVERLAPPED base is how the routine finds it.
struct query : OVERLAPPED {
  address_kind family = address_kind::ipv6;
  ADDRINFOEXW hints{};
  ADDRINFOEXW* result = nullptr;
  HANDLE cancel = nullptr;  // for GetAddrInfoExCancel (wine leaves it null)
  shared_state* state = nullptr;
  bool pending = false;                // guarded by state->mutex
  std::shared_ptr<shared_state> keep;  // the state, alive while the query is outstanding
};

// What the completion routines share with the lookup; whoever finishes last frees it, and with
// it the wake-up socket, so that no routine sends to a closed (or reused) handle.
struct shared_state {
  std::mutex mutex;
  std::vector<family_answer> done;  // guarded by mutex
  socket_t wake = INVALID_SOCKET;
  std::uint16_t port = 0;
  std::wstring name;
  std::array<query, 2> queries;
  shared_state() = default;
  shared_state(const shared_state&) = delete;
  shared_state& operator=(const shared_state&) = delete;
  ~shared_state() {
    if (wake != INVALID_SOCKET) ::closesocket(wake);
  }
};

// The addrinfoExW's ai_next is declared as `struct addrinfoexW*` by mingw-w64, a type it never
// defines: the same structure under another spelling.
const ADDRINFOEXW* next(const ADDRINFOEXW* ai) noexcept {
  return reinterpret_cast<const ADDRINFOEXW*>(ai->ai_next);
}

family_answer answer(address_kind family, int code, const ADDRINFOEXW* res, std::uint16_t port) {
  if (code != 0) return {family, std::unexpected(resolve_error_from_wsa(code)), code};
  std::vector<address> out;
  for (const ADDRINFOEXW* ai = res; ai != nullptr; ai = next(ai))
    if (auto a = address::from_native(ai->ai_addr, static_cast<socklen_t>(ai->ai_addrlen)))
      out.push_back(a->with_port(port));
  sort_destinations(out);
  if (out.empty()) return {family, std::unexpected(resolve_error::host_lacks_network_addresses), 0};
  return {family, std::move(out), 0};
}

// The completion routine (a thread-pool thread, on Windows as under wine), or called directly
// when GetAddrInfoExW finished without going asynchronous.
void CALLBACK completed(DWORD error, DWORD, LPWSAOVERLAPPED overlapped) {
  auto* q = static_cast<query*>(overlapped);
  shared_state& s = *q->state;
  family_answer a = answer(q->family, static_cast<int>(error), q->result, s.port);
  if (q->result != nullptr) ::FreeAddrInfoExW(q->result);
  std::shared_ptr<shared_state> keep;
  {
    const std::lock_guard lock(s.mutex);
    s.done.push_back(std::move(a));
    q->pending = false;
    keep = std::move(q->keep);
  }
  wake_socket_send(s.wake);
  // `keep` goes last: when the lookup is gone this frees the state, the query with it.
}

void ask(shared_state& s, query& q, const std::shared_ptr<shared_state>& keep) {
  q.state = &s;
  q.hints.ai_family = q.family == address_kind::ipv4 ? AF_INET : AF_INET6;
  q.hints.ai_socktype = SOCK_STREAM;
  q.hints.ai_protocol = IPPROTO_TCP;
  {
    const std::lock_guard lock(s.mutex);
    q.pending = true;
    q.keep = keep;
  }
  const int rc =
      ::GetAddrInfoExW(s.name.c_str(), nullptr, NS_ALL, nullptr, &q.hints, &q.result, nullptr, &q,
                       reinterpret_cast<LPLOOKUPSERVICE_COMPLETION_ROUTINE>(&completed), &q.cancel);
  // Anything but WSA_IO_PENDING: no routine will run (as Microsoft's own example does, finish
  // here).
  if (rc != WSA_IO_PENDING) completed(static_cast<DWORD>(rc), 0, &q);
}

class system_lookup final : public lookup {
 public:
  explicit system_lookup(std::shared_ptr<shared_state> s) : state_(std::move(s)) {}
  // Cancels what is outstanding. The handles are taken under the lock but cancelled outside it:
  // Windows may run the completion routine inside GetAddrInfoExCancel, and a query that ended
  // meanwhile answers WSA_INVALID_HANDLE. Under wine GetAddrInfoExCancel is a stub: the query
  // finishes in the background, touching only the shared state.
  ~system_lookup() override {
    std::array<HANDLE, 2> outstanding{};
    {
      const std::lock_guard lock(state_->mutex);
      for (std::size_t i = 0; i < outstanding.size(); ++i)
        if (state_->queries[i].pending) outstanding[i] = state_->queries[i].cancel;
    }
    for (HANDLE& h : outstanding)
      if (h != nullptr) (void)::GetAddrInfoExCancel(&h);
  }

  void wait_set(std::vector<lookup_fd>& out) override {
    if (!finished()) out.push_back({state_->wake, true, false});
  }
  deadline_clock::time_point wake_at() override { return deadline_clock::time_point::max(); }
  void on_ready(socket_t fd, bool, bool) override {
    if (fd == state_->wake) wake_socket_drain(fd);
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
};

// The host as UTF-16 (GetAddrInfoExW's names; the A variant would use the ANSI code page).
bool to_wide(std::string_view host, std::wstring& out) {
  const int n = ::MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, host.data(),
                                      static_cast<int>(host.size()), nullptr, 0);
  if (n <= 0) return false;
  out.resize(static_cast<std::size_t>(n));
  return ::MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, host.data(),
                               static_cast<int>(host.size()), out.data(), n) == n;
}

}  // namespace

std::expected<std::unique_ptr<lookup>, resolve_error> start_system_lookup(std::string_view host,
                                                                          std::uint16_t port,
                                                                          const resolve_options&) {
  auto state = std::make_shared<shared_state>();
  if (!to_wide(host, state->name)) return std::unexpected(resolve_error::invalid_host_name);
  // First, before GetAddrInfoExW: making the socket also starts Winsock if nothing has yet.
  auto wake = make_wake_socket();
  if (!wake) {
    record_native(wake.error());
    return std::unexpected(resolve_error_from_wsa(wake.error()));
  }
  state->wake = *wake;
  state->port = port;
  state->queries[0].family = address_kind::ipv6;
  state->queries[1].family = address_kind::ipv4;
  auto l = std::make_unique<system_lookup>(state);
  for (query& q : state->queries) ask(*state, q, state);
  return l;
}

// c-ares is not packaged for mingw-w64: on Windows the c_ares choice is dial's own hosts file
// (options.hosts_file, read by start_lookup before this), then the system resolver.
std::expected<std::unique_ptr<lookup>, resolve_error> start_ares_lookup(
    std::string_view host, std::uint16_t port, const resolve_options& options) {
  return start_system_lookup(host, port, options);
}

}  // namespace dial::detail
