// src/posix/resolver_ares.cpp: the c-ares back-end: AAAA and A as two asynchronous searches.
#include <ares.h>
#include <arpa/nameser.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <string>

#include "common/lookup.hpp"
#include "common/native.hpp"
#include "dial/sys.hpp"
#include "posix/resolv_conf.hpp"

namespace dial::detail {
namespace {

// The most addresses kept from one reply; a reply with more is cut here (RFC 8305 needs a few).
constexpr int max_records = 64;

}  // namespace

resolve_error resolve_error_from_ares(int status) noexcept {
  switch (status) {
    case ARES_ENOTFOUND:  // NXDOMAIN on every name of the search list
      return resolve_error::unknown_host_name;
    case ARES_ENODATA:  // the name exists without a record of this type
      return resolve_error::host_lacks_network_addresses;
    case ARES_ESERVFAIL:
    case ARES_ETIMEOUT:      // every try of every server went unanswered
    case ARES_ECONNREFUSED:  // no server could be reached (ICMP unreachable, no socket)
      return resolve_error::temporary_name_server_failure;
    case ARES_EFORMERR:
    case ARES_ENOTIMP:
    case ARES_EREFUSED:
    case ARES_EBADRESP:
    case ARES_EOF: return resolve_error::name_server_failure;
    case ARES_EBADNAME: return resolve_error::invalid_host_name;
    case ARES_ENOMEM: return resolve_error::out_of_memory;
    case ARES_ECANCELLED:
    case ARES_EDESTRUCTION: return resolve_error::canceled;
    default: report_unexpected("c-ares", status); return resolve_error::unexpected;
  }
}

namespace {

std::expected<std::vector<address>, int> parse_a(const unsigned char* buf, int len,
                                                 std::uint16_t port) {
  std::array<ares_addrttl, max_records> records{};
  int n = max_records;
  if (const int rc = ares_parse_a_reply(buf, len, nullptr, records.data(), &n); rc != ARES_SUCCESS)
    return std::unexpected(rc);
  std::vector<address> out;
  for (int i = 0; i < n; ++i) {
    std::array<std::uint8_t, 4> b{};
    std::memcpy(b.data(), &records[static_cast<std::size_t>(i)].ipaddr, 4);
    out.push_back(address::ipv4(b, port));
  }
  return out;
}

std::expected<std::vector<address>, int> parse_aaaa(const unsigned char* buf, int len,
                                                    std::uint16_t port) {
  std::array<ares_addr6ttl, max_records> records{};
  int n = max_records;
  if (const int rc = ares_parse_aaaa_reply(buf, len, nullptr, records.data(), &n);
      rc != ARES_SUCCESS)
    return std::unexpected(rc);
  std::vector<address> out;
  for (int i = 0; i < n; ++i) {
    std::array<std::uint8_t, 16> b{};
    std::memcpy(b.data(), &records[static_cast<std::size_t>(i)].ip6addr, 16);
    out.push_back(address::ipv6(b, port));
  }
  return out;
}

std::vector<ares_addr_port_node> server_nodes(const std::vector<address>& servers) {
  std::vector<ares_addr_port_node> nodes(servers.size());
  for (std::size_t i = 0; i < servers.size(); ++i) {
    ares_addr_port_node& n = nodes[i];
    n.next = i + 1 < nodes.size() ? &nodes[i + 1] : nullptr;
    n.udp_port = n.tcp_port = servers[i].port() != 0 ? servers[i].port() : 53;
    if (servers[i].kind() == address_kind::ipv4) {
      n.family = AF_INET;
      const auto b = servers[i].ipv4_bytes();
      std::memcpy(&n.addr.addr4, b.data(), 4);
    } else {
      n.family = AF_INET6;
      const auto b = servers[i].ipv6_bytes();
      std::memcpy(&n.addr.addr6, b.data(), 16);
    }
  }
  return nodes;
}

// ---- c-ares' sockets: close-on-exec from the start ----------------------------------------
// c-ares 1.18 makes its sockets with socket() and then sets FD_CLOEXEC with fcntl, so a fork in
// another thread between the two calls would pass the socket to a child. Given its own socket
// functions, c-ares configures nothing itself: these add SOCK_CLOEXEC (socket_native, as every
// dial socket) and the non-blocking mode and TCP_NODELAY that c-ares would set. The other calls
// are the bare system calls, whose errno c-ares reads (EINPROGRESS, EAGAIN).

ares_socket_t open_socket(int domain, int type, int protocol, void*) {
#ifdef SOCK_NONBLOCK
  const socket_t s = socket_native(domain, type | SOCK_NONBLOCK, protocol);
#else
  // macOS has no SOCK_NONBLOCK; the mode matters to c-ares alone, so setting it second is safe.
  const socket_t s = socket_native(domain, type, protocol);
  if (s >= 0) ::fcntl(s, F_SETFL, ::fcntl(s, F_GETFL) | O_NONBLOCK);
#endif
  if (s >= 0 && type == SOCK_STREAM) {
    const int one = 1;  // queries are single writes: do not let Nagle hold them back
    (void)setsockopt_native(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  return s;
}

int close_socket(ares_socket_t s, void*) { return close_native(s); }

int connect_socket(ares_socket_t s, const sockaddr* a, ares_socklen_t n, void*) {
  return ::connect(s, a, n);
}

ares_ssize_t receive_from(ares_socket_t s, void* buf, std::size_t n, int flags, sockaddr* from,
                          ares_socklen_t* from_len, void*) {
  return ::recvfrom(s, buf, n, flags, from, from_len);
}

ares_ssize_t send_vector(ares_socket_t s, const iovec* v, int n, void*) {
  return ::writev(s, v, n);
}

constexpr ares_socket_functions close_on_exec_sockets{open_socket, close_socket, connect_socket,
                                                      receive_from, send_vector};

// Fills every setting that would otherwise make c-ares read resolv.conf (c-ares reads it unless
// lookups, servers, domains, ndots, timeout, tries and sortlist are all given). Servers are set
// after init (ares_set_servers_ports takes IPv6 too); the sortlist only orders
// ares_gethostbyname's answers, which dial does not use.
int every_setting(ares_options& opts, const dns_config& conf, const resolve_options& o,
                  std::vector<char*>& domains) {
  opts.domains = domains.data();
  opts.ndomains = static_cast<int>(domains.size());
  opts.ndots = conf.ndots;
  opts.timeout =
      o.query_timeout.count() > 0 ? static_cast<int>(o.query_timeout.count()) : conf.timeout_ms;
  opts.tries = o.query_tries > 0 ? o.query_tries : conf.tries;
  opts.nservers = 0;
  opts.nsort = 0;
  // Explicit servers: ask the name as given, no search list.
  opts.flags = o.servers.empty() ? 0 : ARES_FLAG_NOSEARCH;
  return ARES_OPT_LOOKUPS | ARES_OPT_DOMAINS | ARES_OPT_NDOTS | ARES_OPT_TIMEOUTMS |
         ARES_OPT_TRIES | ARES_OPT_SERVERS | ARES_OPT_SORTLIST | ARES_OPT_FLAGS |
         (conf.rotate ? ARES_OPT_ROTATE : ARES_OPT_NOROTATE);
}

class ares_lookup final : public lookup {
 public:
  ares_lookup(std::uint16_t port) : port_(port) {}
  ~ares_lookup() override {
    if (channel_ != nullptr) {
      closing_ = true;  // ares_destroy calls the pending callbacks with ARES_EDESTRUCTION
      ares_destroy(channel_);
    }
  }

  int init(const resolve_options& o) {
    const dns_config conf = system_dns_config();  // so that c-ares reads no file itself
    std::vector<char*> domains;
    for (const auto& d : conf.domains) domains.push_back(const_cast<char*>(d.c_str()));
    ares_options opts{};
    char lookups[] = "b";  // DNS only: dial reads the hosts file itself, before c-ares
    opts.lookups = lookups;
    const int mask = every_setting(opts, conf, o, domains);
    if (const int rc = ares_init_options(&channel_, &opts, mask); rc != ARES_SUCCESS) {
      channel_ = nullptr;
      return rc;
    }
    ares_set_socket_functions(channel_, &close_on_exec_sockets, nullptr);
    auto nodes = server_nodes(o.servers.empty() ? conf.servers : o.servers);
    return ares_set_servers_ports(channel_, nodes.data());
  }

  void send(const std::string& host) {
    ctx_[0] = {this, address_kind::ipv6};
    ctx_[1] = {this, address_kind::ipv4};
    ares_search(channel_, host.c_str(), ns_c_in, ns_t_aaaa, &ares_lookup::on_answer, &ctx_[0]);
    ares_search(channel_, host.c_str(), ns_c_in, ns_t_a, &ares_lookup::on_answer, &ctx_[1]);
  }

  void wait_set(std::vector<lookup_fd>& out) override {
    std::array<ares_socket_t, ARES_GETSOCK_MAXNUM> socks{};
    const int bits = ares_getsock(channel_, socks.data(), ARES_GETSOCK_MAXNUM);
    for (int i = 0; i < ARES_GETSOCK_MAXNUM; ++i) {
      const bool r = ARES_GETSOCK_READABLE(bits, i), w = ARES_GETSOCK_WRITABLE(bits, i);
      if (r || w) out.push_back({socks[static_cast<std::size_t>(i)], r, w});
    }
  }

  deadline_clock::time_point wake_at() override {
    timeval tv{};
    if (ares_timeout(channel_, nullptr, &tv) == nullptr) return deadline_clock::time_point::max();
    return deadline_clock::now() + std::chrono::seconds(tv.tv_sec) +
           std::chrono::microseconds(tv.tv_usec);
  }

  void on_ready(socket_t fd, bool readable, bool writable) override {
    ares_process_fd(channel_, readable ? fd : ARES_SOCKET_BAD, writable ? fd : ARES_SOCKET_BAD);
  }

  void on_tick() override { ares_process_fd(channel_, ARES_SOCKET_BAD, ARES_SOCKET_BAD); }

 private:
  struct context {
    ares_lookup* self = nullptr;
    address_kind family = address_kind::ipv6;
  };

  static void on_answer(void* arg, int status, int, unsigned char* buf, int len) {
    auto* c = static_cast<context*>(arg);
    if (c->self->closing_) return;
    c->self->answered(c->family, status, buf, len);
  }

  void answered(address_kind family, int status, const unsigned char* buf, int len) {
    if (status == ARES_SUCCESS) {
      auto parsed =
          family == address_kind::ipv4 ? parse_a(buf, len, port_) : parse_aaaa(buf, len, port_);
      if (parsed && !parsed->empty()) return deliver({family, std::move(*parsed), 0});
      status = parsed ? ARES_ENODATA : parsed.error();
    }
    deliver({family, std::unexpected(resolve_error_from_ares(status)), status});
  }

  ares_channel channel_ = nullptr;
  std::uint16_t port_;
  bool closing_ = false;
  std::array<context, 2> ctx_{};
};

int library_status() {
  static std::once_flag once;
  static int status = ARES_SUCCESS;
  std::call_once(once, [] { status = ares_library_init(ARES_LIB_INIT_ALL); });
  return status;
}

}  // namespace

std::expected<std::unique_ptr<lookup>, resolve_error> start_ares_lookup(
    std::string_view host, std::uint16_t port, const resolve_options& options) {
  if (const int rc = library_status(); rc != ARES_SUCCESS) {
    record_native(rc);
    return std::unexpected(resolve_error_from_ares(rc));
  }
  auto l = std::make_unique<ares_lookup>(port);
  if (const int rc = l->init(options); rc != ARES_SUCCESS) {
    record_native(rc);
    return std::unexpected(resolve_error_from_ares(rc));
  }
  l->send(std::string(host));
  return l;
}

}  // namespace dial::detail
