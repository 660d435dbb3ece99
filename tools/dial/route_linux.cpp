// tools/dial/route_linux.cpp: route_to through rtnetlink (libmnl), as `ip route get` asks.
#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <fmt/core.h>

#include "route.hpp"

namespace dial::cli {
namespace {

struct mnl_closer {
  void operator()(mnl_socket* s) const noexcept { mnl_socket_close(s); }
};
using mnl_ptr = std::unique_ptr<mnl_socket, mnl_closer>;

/// A destination as rtnetlink takes it: the family and the address bytes.
struct destination {
  int family = AF_INET;
  unsigned char bytes[16]{};
  unsigned length = 4;  // 4 or 16
  unsigned scope = 0;   // IPv6 scope id (the interface of a link-local address)
  // What the socket adds (route_query): the output interface, the mark, the source address.
  unsigned oif = 0;
  std::optional<std::uint32_t> mark;
  bool has_source = false;
  unsigned char source[16]{};
};

destination to_destination(const address& a) {
  sockaddr_storage ss{};
  a.to_native(ss);
  destination d;
  d.family = ss.ss_family;
  if (d.family == AF_INET6) {
    const auto& s6 = reinterpret_cast<const sockaddr_in6&>(ss);
    std::memcpy(d.bytes, &s6.sin6_addr, 16);
    d.length = 16;
    d.scope = s6.sin6_scope_id;
  } else {
    std::memcpy(d.bytes, &reinterpret_cast<const sockaddr_in&>(ss).sin_addr, 4);
  }
  return d;
}

std::string address_text(int family, const void* bytes) {
  char buf[INET6_ADDRSTRLEN] = {};
  return ::inet_ntop(family, bytes, buf, sizeof buf) != nullptr ? std::string(buf) : "?";
}

std::string type_name(unsigned t) {
  switch (t) {
    case RTN_UNICAST: return "unicast";
    case RTN_LOCAL: return "local";
    case RTN_BROADCAST: return "broadcast";
    case RTN_ANYCAST: return "anycast";
    case RTN_MULTICAST: return "multicast";
    case RTN_BLACKHOLE: return "blackhole";
    case RTN_UNREACHABLE: return "unreachable";
    case RTN_PROHIBIT: return "prohibit";
    case RTN_THROW: return "throw";
    default: return fmt::format("type {}", t);
  }
}

std::string table_name(unsigned t) {
  if (t == RT_TABLE_MAIN) return "main";
  if (t == RT_TABLE_LOCAL) return "local";
  if (t == RT_TABLE_DEFAULT) return "default";
  return std::to_string(t);
}

/// One route message, parsed.
struct route_message {
  unsigned type = 0;
  unsigned table = 0;
  unsigned dst_len = 0;
  bool has_dst = false;
  unsigned char dst[16]{};
  std::string interface, source, gateway;
};

int attribute(const nlattr* a, void* data) {
  const auto** tb = static_cast<const nlattr**>(data);
  const int type = mnl_attr_get_type(a);
  if (mnl_attr_type_valid(a, RTA_MAX) < 0) return MNL_CB_OK;
  tb[type] = a;
  return MNL_CB_OK;
}

route_message parse(const nlmsghdr* nlh) {
  const auto* rtm = static_cast<const rtmsg*>(mnl_nlmsg_get_payload(nlh));
  const nlattr* tb[RTA_MAX + 1] = {};
  mnl_attr_parse(nlh, sizeof(*rtm), attribute, tb);
  route_message m;
  m.type = rtm->rtm_type;
  m.table = tb[RTA_TABLE] != nullptr ? mnl_attr_get_u32(tb[RTA_TABLE]) : rtm->rtm_table;
  m.dst_len = rtm->rtm_dst_len;
  const std::size_t alen = rtm->rtm_family == AF_INET6 ? 16 : 4;
  if (tb[RTA_DST] != nullptr && mnl_attr_get_payload_len(tb[RTA_DST]) >= alen) {
    m.has_dst = true;
    std::memcpy(m.dst, mnl_attr_get_payload(tb[RTA_DST]), alen);
  }
  if (tb[RTA_OIF] != nullptr) {
    char name[IF_NAMESIZE] = {};
    const unsigned index = mnl_attr_get_u32(tb[RTA_OIF]);
    m.interface = ::if_indextoname(index, name) != nullptr ? name : fmt::format("if{}", index);
  }
  if (tb[RTA_PREFSRC] != nullptr && mnl_attr_get_payload_len(tb[RTA_PREFSRC]) >= alen)
    m.source = address_text(rtm->rtm_family, mnl_attr_get_payload(tb[RTA_PREFSRC]));
  if (tb[RTA_GATEWAY] != nullptr && mnl_attr_get_payload_len(tb[RTA_GATEWAY]) >= alen)
    m.gateway = address_text(rtm->rtm_family, mnl_attr_get_payload(tb[RTA_GATEWAY]));
  return m;
}

int collect(const nlmsghdr* nlh, void* data) {
  if (nlh->nlmsg_type == RTM_NEWROUTE)
    static_cast<std::vector<route_message>*>(data)->push_back(parse(nlh));
  return MNL_CB_OK;
}

/// One request and its replies; the messages, or the errno the kernel answered with.
int ask(mnl_socket* nl, const destination& d, unsigned flags, unsigned rtm_flags,
        std::vector<route_message>& out) {
  std::vector<char> buf(MNL_SOCKET_BUFFER_SIZE);
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
  nlh->nlmsg_type = RTM_GETROUTE;
  nlh->nlmsg_flags = static_cast<std::uint16_t>(NLM_F_REQUEST | flags);
  static unsigned seq = 0;
  nlh->nlmsg_seq = ++seq;
  auto* rtm = static_cast<rtmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(rtmsg)));
  rtm->rtm_family = static_cast<unsigned char>(d.family);
  rtm->rtm_flags = rtm_flags;
  if ((flags & NLM_F_DUMP) == 0) {
    // The table the lookup ended in, not RT_TABLE_MAIN whatever it was (as `ip route get` asks:
    // a policy rule for a mark or a source selects another table).
    rtm->rtm_flags |= RTM_F_LOOKUP_TABLE;
    rtm->rtm_dst_len = static_cast<unsigned char>(d.length * 8);
    mnl_attr_put(nlh, RTA_DST, d.length, d.bytes);
    // A bound interface decides the output interface, as SO_BINDTODEVICE makes the kernel look
    // routes up (a link-local address's scope names one too; the socket's binding wins).
    if (d.oif != 0) {
      mnl_attr_put_u32(nlh, RTA_OIF, d.oif);
    } else if (d.scope != 0) {
      mnl_attr_put_u32(nlh, RTA_OIF, d.scope);
    }
    if (d.has_source) {
      rtm->rtm_src_len = static_cast<unsigned char>(d.length * 8);
      mnl_attr_put(nlh, RTA_SRC, d.length, d.source);
    }
  }
  if (d.mark) mnl_attr_put_u32(nlh, RTA_MARK, *d.mark);  // policy rules select on it
  if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) return errno;
  const unsigned portid = mnl_socket_get_portid(nl);
  // Bounded: a single answer, or a dump of the family's routes (at most 4096 reads).
  for (int reads = 0; reads < 4096; ++reads) {
    const ssize_t n = mnl_socket_recvfrom(nl, buf.data(), buf.size());
    if (n < 0) return errno;
    const int rc =
        mnl_cb_run(buf.data(), static_cast<std::size_t>(n), nlh->nlmsg_seq, portid, collect, &out);
    if (rc < 0) return errno;
    if (rc == MNL_CB_STOP || (flags & NLM_F_DUMP) == 0) return 0;
  }
  return EOVERFLOW;
}

/// Whether `a` is one of this host's addresses: a datagram socket can bind to it.
bool is_local(const address& a) {
  sockaddr_storage ss{};
  const auto len = static_cast<socklen_t>(a.to_native(ss));
  if (ss.ss_family == AF_INET6) reinterpret_cast<sockaddr_in6&>(ss).sin6_port = 0;
  if (ss.ss_family == AF_INET) reinterpret_cast<sockaddr_in&>(ss).sin_port = 0;
  const int fd = ::socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return true;  // cannot tell: ask with it
  const bool bound =
      ::bind(fd, reinterpret_cast<const sockaddr*>(&ss), len) == 0 || errno != EADDRNOTAVAIL;
  ::close(fd);
  return bound;
}

bool holds(const route_message& m, const destination& d) {
  if (!m.has_dst) return m.dst_len == 0;
  for (unsigned bit = 0; bit < m.dst_len && bit < d.length * 8; ++bit) {
    const unsigned mask = 0x80u >> (bit % 8);
    if ((m.dst[bit / 8] & mask) != (d.bytes[bit / 8] & mask)) return false;
  }
  return true;
}

std::string prefix_text(const route_message& m, int family) {
  if (!m.has_dst && m.dst_len == 0) return "default";
  return fmt::format("{}/{}", address_text(family, m.dst), m.dst_len);
}

}  // namespace

std::optional<route_answer> route_to(const address& to, const route_query& q, std::string& why) {
  if (!to.is_ip()) {
    why = "not an IP address";
    return std::nullopt;
  }
  const mnl_ptr nl(mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC));
  if (!nl || mnl_socket_bind(nl.get(), 0, MNL_SOCKET_AUTOPID) < 0) {
    why = fmt::format("no rtnetlink socket ({})", std::strerror(errno));
    return std::nullopt;
  }
  destination d = to_destination(to);
  route_answer r;
  std::vector<std::string> asked;
  if (q.mark) asked.push_back(fmt::format("mark {:#x}", *q.mark));
  if (!q.interface.empty()) {
    d.oif = ::if_nametoindex(q.interface.c_str());
    if (d.oif != 0) {
      asked.push_back(fmt::format("interface {}", q.interface));
    } else {
      r.note = fmt::format("no interface is called {}: the route without it", q.interface);
    }
  }
  d.mark = q.mark;
  if (q.source && q.source->family() == to.family()) {
    const destination src = to_destination(*q.source);
    d.has_source = true;
    std::memcpy(d.source, src.bytes, src.length);
    asked.push_back(fmt::format("source {}", address_text(d.family, d.source)));
  }
  if (d.has_source && !is_local(*q.source)) {
    // The kernel answers a source it does not own with an errno of its own (ENETUNREACH or
    // EINVAL, the blackhole route's): the attempt's bind fails anyway (AddressNotAvailable), so
    // the route shown is the one without it.
    r.note = fmt::format("{} is not an address of this host: the route without it",
                         address_text(d.family, d.source));
    asked.pop_back();
    d.has_source = false;
  }
  std::vector<route_message> got;
  r.error = ask(nl.get(), d, 0, 0, got);
  for (const auto& a : asked) r.asked += (r.asked.empty() ? "" : ", ") + a;
  if (r.error == 0 && !got.empty()) {
    const route_message& m = got.front();
    r.type = type_name(m.type);
    r.interface = m.interface;
    r.source = m.source;
    r.gateway = m.gateway;
    // The entry that decided it (its prefix and table), as `ip route get fibmatch` shows.
    std::vector<route_message> fib;
    if (ask(nl.get(), d, 0, RTM_F_FIB_MATCH, fib) == 0 && !fib.empty()) {
      r.prefix = prefix_text(fib.front(), d.family);
      r.table = table_name(fib.front().table);
      if (r.gateway.empty()) r.gateway = fib.front().gateway;
    }
    return r;
  }
  // A refusing route answers with its errno only: EHOSTUNREACH unreachable, EACCES prohibit,
  // EINVAL blackhole, EAGAIN throw; ENETUNREACH when no route holds the address at all.
  switch (r.error) {
    case EHOSTUNREACH: r.type = "unreachable"; break;
    case EACCES: r.type = "prohibit"; break;
    case EINVAL: r.type = "blackhole"; break;
    case EAGAIN: r.type = "throw"; break;
    case ENETUNREACH: r.type = "none"; break;
    default: r.type = fmt::format("error {}", r.error); break;
  }
  std::vector<route_message> all;
  if (r.type != "none" && ask(nl.get(), d, NLM_F_DUMP, 0, all) == 0) {
    const route_message* best = nullptr;
    for (const auto& m : all)
      if (type_name(m.type) == r.type && holds(m, d) &&
          (best == nullptr || m.dst_len > best->dst_len))
        best = &m;
    if (best != nullptr) {
      r.prefix = prefix_text(*best, d.family);
      r.table = table_name(best->table);
    }
  }
  return r;
}

}  // namespace dial::cli
