// tools/dial/explain.cpp: what each outcome of a connect means and what to do (`dial why`).
#include "platform.hpp"  // first: <winsock2.h> on Windows

#include <cerrno>

#include <fmt/core.h>

#include "why.hpp"

namespace dial::cli {
namespace {

// The native codes the explanations tell apart: errno values, or Winsock's on Windows.
#ifdef _WIN32
constexpr int code_enetunreach = WSAENETUNREACH;
constexpr int code_ehostunreach = WSAEHOSTUNREACH;
constexpr int code_einval = WSAEINVAL;
#else
constexpr int code_enetunreach = ENETUNREACH;
constexpr int code_ehostunreach = EHOSTUNREACH;
constexpr int code_einval = EINVAL;
#endif

using namespace std::chrono_literals;

// The route's decision, as a phrase: "an unreachable route (198.51.100.0/26, table main)".
std::string route_phrase(const route_answer& r) {
  std::string where;
  if (!r.prefix.empty()) where = r.prefix;
  if (!r.table.empty()) where += (where.empty() ? "table " : ", table ") + r.table;
  const std::string article = r.type == "unreachable" ? "an" : "a";
  return where.empty() ? fmt::format("{} {} route", article, r.type)
                       : fmt::format("{} {} route ({})", article, r.type, where);
}

bool route_is(const route_answer* r, std::string_view type) {
  return r != nullptr && r->type == type;
}

}  // namespace

explanation explain(std::string_view name, int native,
                    std::optional<std::chrono::nanoseconds> elapsed, const route_answer* route,
                    const address& target) {
  const bool unix_socket = target.is_unix();
  const std::string port = target.is_ip() ? std::to_string(target.port()) : std::string();
  const bool slow = elapsed && *elapsed >= 2s;
  if (name == "Connected") return {"the connection was established", "nothing: it connects"};
  if (name == "ConnectionRefused") {
    if (unix_socket)
      return {
          "the socket file exists but nothing listens on it: a stale socket left by a server "
          "that exited (or one that has not called listen)",
          "start the server, or remove the stale socket file so that it can bind again"};
    return {fmt::format("the host answered the SYN with a reset: nothing listens on port {} "
                        "there, or a firewall on the path rejects with a TCP reset",
                        port),
            "start the service, check the port number, or look for a REJECT rule on the path"};
  }
  if (name == "Timeout" || name == "ConnectionTimedOut") {
    if (unix_socket)
      return {
          "the Unix listener did not accept in time: its backlog is full and it is not "
          "accepting",
          "check that the server is alive and accepting (it may be stuck or overloaded)"};
    std::string via;
    if (route != nullptr && !route->gateway.empty())
      via = fmt::format(" (the route goes through gateway {} on {})", route->gateway,
                        route->interface);
    else if (route != nullptr && !route->interface.empty())
      via = fmt::format(" (the route goes out on {})", route->interface);
    return {fmt::format("the SYNs went unanswered{}: a filter on the path (a local output rule "
                        "included) drops them, or the host is down or does not exist and nothing "
                        "says so",
                        via),
            "check the firewalls on both ends and along the path (nft list ruleset), that the "
            "host is up, and try a longer --timeout"};
  }
  if (name == "NetworkUnreachable") {
    if (route_is(route, "unreachable"))
      return {fmt::format("{} refuses this destination here, before any packet is sent",
                          route_phrase(*route)),
              "remove or change that route (ip route show; ip route del ...) if the host "
              "should be reachable"};
    if (route_is(route, "none") || native == code_enetunreach)
      return {"no route holds this address: no default route and no route to its network",
              "add a route or a default gateway (ip route add default via GATEWAY), or check "
              "that the interface is up"};
    if (native == code_ehostunreach && slow)
      return {
          "no neighbour answered on the local link: ARP or neighbour discovery for the "
          "host (or its gateway) went unanswered for about 3 s, so the host is down or not on "
          "this link",
          "check that the host is up and on this network (ip neigh show; ping it)"};
    return {"a router on the path answered that the host or network is unreachable (ICMP)",
            "check the routing beyond this host (traceroute), or the host itself"};
  }
  if (name == "AccessDenied") {
    if (unix_socket)
      return {
          "the socket path's permissions forbid connecting: write permission on the socket "
          "file (or search permission on a directory above it) is missing",
          "check the owner and mode of the socket and its directories (ls -l), or the "
          "group the server expects its clients in"};
    if (route_is(route, "prohibit"))
      return {fmt::format("{} refuses this destination here, before any packet is sent",
                          route_phrase(*route)),
              "remove or change that route (ip route show; ip route del ...)"};
    return {
        "refused as administratively prohibited: a firewall rule rejects it with an ICMP "
        "'prohibited', or a broadcast address was given",
        "check the firewall rules on this host and on the path (nft list ruleset)"};
  }
  if (name == "PermissionDenied")
    return {
        "refused on this host before any packet left: a local firewall rule drops the "
        "packet on output (nftables/iptables), or a cgroup BPF connect hook said no",
        "check nft list ruleset / iptables -S OUTPUT, and the cgroup hooks "
        "(bpftool cgroup tree) of the program's cgroup"};
  // A blackhole route makes connect fail with EINVAL, which connect's table (Zig's) does not
  // list: the name is Unexpected, the code and the route say what happened.
  if ((name == "Unexpected" || name == "InvalidAddress") && native == code_einval &&
      route_is(route, "blackhole"))
    return {fmt::format("{} discards this destination here", route_phrase(*route)),
            "remove or change that route (ip route show; ip route del ...)"};
  if (name == "FileNotFound")
    return {"no socket file exists at that path (or a directory on the way is missing)",
            "check the path; is the server running, and does it create its socket there?"};
  if (name == "WouldBlock")
    return {"the Unix listener's backlog is full: the server does not accept fast enough",
            "check that the server is alive and accepting; raise its listen backlog"};
  if (name == "AddressNotAvailable")
    return {
        "no local address or port could be used: the ephemeral ports are exhausted "
        "(too many connections in TIME_WAIT) or the source address is not on this host",
        "check net.ipv4.ip_local_port_range and the connections in ss -tan state time-wait"};
  if (name == "AddressInUse")
    return {"the local address and port are already in use by another socket",
            "pick another source port, or let the kernel choose one"};
  if (name == "ConnectionResetByPeer")
    return {"the peer reset the connection during the handshake",
            "check the server's logs; a firewall or a full server may reset new connections"};
  if (name == "AddressFamilyNotSupported" || name == "ProtocolFamilyNotAvailable")
    return {"this host does not support the address family (IPv6 disabled, for instance)",
            "enable the family, or connect to an address of the other family"};
  if (name == "ProcessFdQuotaExceeded")
    return {"this process has as many descriptors open as RLIMIT_NOFILE allows",
            "raise the limit (ulimit -n) or close descriptors"};
  if (name == "SystemFdQuotaExceeded")
    return {"the whole system has as many files open as fs.file-max allows",
            "raise fs.file-max or find the process that holds them"};
  if (name == "SystemResources")
    return {"the kernel ran out of memory or buffers for the socket",
            "check the host's memory (free -m) and socket memory (ss -m)"};
  if (name == "NotDir")
    return {"a component of the socket path is not a directory",
            "check the path: a file stands where a directory is expected"};
  if (name == "SymLinkLoop")
    return {"the socket path has too many symbolic links (a loop)",
            "check the symbolic links on the path (namei -l PATH)"};
  if (name == "Canceled") return {"the attempt was canceled", "run it again"};
  if (name == "Unexpected")
    return {fmt::format("the OS answered with a code dial does not expect here ({})", native),
            "report it: the code is kept in the CODE column"};
  return {std::string(name), "see docs/errors.md for this name"};
}

explanation explain_proxy(std::string_view name, const dial::proxy_report& hop) {
  const std::string target = fmt::format("{}:{}", hop.target_host, hop.target_port);
  const bool http = hop.via.kind == dial::proxy_kind::http;
  if (name == "Connected")
    return {fmt::format("the proxy opened the tunnel to {}", target), "nothing: it connects"};
  if (name == "ConnectionRefused")
    return {fmt::format("the proxy reached {}, which refused: nothing listens on port {} there "
                        "(SOCKS5 REP 05)",
                        target, hop.target_port),
            "start the service or check the port; the proxy sees the network from its own host"};
  if (name == "NetworkUnreachable")
    return {fmt::format(
                "the proxy has no route to {} (SOCKS5 REP 03 network or 04 host "
                "unreachable; with socks5h, a proxy may say 04 for a name it could not resolve)",
                target),
            "check the target from the proxy's host: its routes and resolver are not this host's"};
  if (name == "ConnectionTimedOut")
    return {fmt::format("the proxy's own connect to {} timed out ({})", target,
                        http ? "HTTP 504 Gateway Timeout" : "SOCKS5 REP 06, TTL expired"),
            "check that the target is up and not filtered on the proxy's side"};
  if (name == "PermissionDenied")
    return {fmt::format("the proxy's rules forbid {} ({}{})", target,
                        http ? "HTTP 403" : "SOCKS5 REP 02, not allowed by ruleset",
                        http ? "; tinyproxy: the port is not one of its ConnectPort lines" : ""),
            "ask the proxy's operator, or check its ruleset"};
  if (name == "ProxyAuthenticationRequired")
    return {fmt::format("the proxy wants credentials and none were offered ({})",
                        http ? "HTTP 407" : "SOCKS5 method X'FF': no offered method acceptable"),
            "put them in the URL: SCHEME://USER:PASSWORD@HOST:PORT"};
  if (name == "ProxyAuthenticationFailed")
    return {fmt::format("the proxy refused the username or password ({})",
                        http ? fmt::format("HTTP {}", hop.reply)
                             : fmt::format("RFC 1929 status {}", hop.reply)),
            "check the username and password (escape '@', ':' and '/' as %40, %3A, %2F)"};
  if (name == "ProxyProtocolError")
    return {
        "the proxy's reply is not the protocol asked for (an HTTP proxy answers a SOCKS5 "
        "greeting with text; a SOCKS proxy does not answer CONNECT with a status line)",
        "check that the URL's scheme (socks5, socks5h, http) is what the proxy speaks"};
  if (name == "ProxyConnectionClosed")
    return {fmt::format("the proxy closed the connection during the {} step, before its reply "
                        "was complete",
                        dial::name(hop.step)),
            "check the proxy's logs: it may refuse this client or be overloaded"};
  if (name == "ProxyFailure")
    return {http ? fmt::format("the proxy could not open the tunnel (HTTP {} {}); tinyproxy says "
                               "500 for a refused, unreachable or unresolvable target alike",
                               hop.reply, hop.reply_text)
                 : std::string("the proxy could not open the tunnel: SOCKS5 REP 01, general "
                               "failure, without a reason"),
            "check the proxy's logs for why it could not reach the target"};
  if (name == "OperationNotSupported")
    return {"the proxy does not support CONNECT (SOCKS5 REP 07)", "use another proxy"};
  if (name == "AddressFamilyNotSupported")
    return {"the proxy does not support this kind of target address (SOCKS5 REP 08)",
            "send a name instead (socks5h://), or an address of the other family"};
  if (name == "Timeout")
    return {fmt::format("the proxy did not finish the {} step before the deadline",
                        dial::name(hop.step)),
            "check that it is a proxy of this kind and alive; try a longer --timeout"};
  if (name == "ConnectionResetByPeer")
    return {"the proxy reset the connection during the handshake", "check the proxy's logs"};
  if (name == "InvalidHostName")
    return {
        "the target is not a host name that can be sent to a proxy (letters, digits, '-', "
        "'.', '_', at most 255 bytes)",
        "check the target"};
  return {std::string(name), "see docs/proxy.md and docs/errors.md for this name"};
}

explanation explain_refusal(std::string_view name, int native, std::string_view what) {
  const bool source = what.starts_with("source");
  const bool mark = what.starts_with("mark");
  if (name == "UnknownInterface")
    return {fmt::format("no network interface of that name exists here (in this network "
                        "namespace), so {} cannot be set",
                        what),
            "list the interfaces (ip -br link); a name has at most 15 bytes"};
  if (name == "PermissionDenied" || (name == "AccessDenied" && !source))
    return {mark ? "setting a firewall mark (SO_MARK) needs CAP_NET_ADMIN, which this process "
                   "lacks"
                 : fmt::format("this process lacks the privilege {} needs (binding to an "
                               "interface needs CAP_NET_RAW on kernels before 5.7)",
                               what),
            mark ? "run it as root, or grant the capability (setcap cap_net_admin+ep)"
                 : "run it as root, or grant the capability (setcap cap_net_raw+ep)"};
  if (name == "AccessDenied")
    return {"binding a source port below 1024 needs CAP_NET_BIND_SERVICE",
            "give no port (the kernel picks one) or run it with the capability"};
  if (name == "InvalidOption")
    return {fmt::format("the kernel refuses the value of {}", what),
            "keepalive takes 1 to 32767 s; a timeout must not be negative"};
  if (name == "OperationNotSupported" || name == "InvalidProtocolOption")
    return {fmt::format("this socket or system has no {}", what),
            "TCP options do not apply to Unix sockets; SO_MARK is Linux only"};
  if (name == "AddressNotAvailable")
    return {fmt::format("{} is not an address of this host", what),
            "pick one of the host's addresses (ip -br addr), or leave --source out"};
  if (name == "AddressInUse")
    return {fmt::format("{}: that address and port are already in use", what),
            "give no port (the kernel picks a free one) or another port"};
  if (name == "AddressFamilyNotSupported")
    return {fmt::format("{} is not of this address's family", what),
            "give a source of the destination's family"};
  return {fmt::format("{} was refused ({}, code {})", what, name, native),
          "see docs/errors.md for this name"};
}

explanation explain_resolution(std::string_view name, std::string_view host,
                               std::string_view servers) {
  const std::string asked =
      servers.empty() ? std::string("the resolver") : fmt::format("the DNS server ({})", servers);
  if (name == "UnknownHostName")
    return {fmt::format("{} says the name {} does not exist (NXDOMAIN)", asked, host),
            "check the spelling, the search domain, and that the name is registered in that "
            "zone"};
  if (name == "HostLacksNetworkAddresses")
    return {fmt::format("the name {} exists but has no A or AAAA record", host),
            "add an address record, or connect to the name that has one (a CNAME target, ...)"};
  if (name == "TemporaryNameServerFailure")
    return {fmt::format("{} failed or did not answer in time (SERVFAIL or no reply)", asked),
            "check that the server is reachable and working (dig @SERVER NAME); try again"};
  if (name == "NameServerFailure")
    return {fmt::format("{} refused the query or answered with a malformed reply", asked),
            "check the server's configuration, or use another server"};
  if (name == "InvalidHostName")
    return {"the name is not a valid host name", "check the spelling (letters, digits, '-', '.')"};
  if (name == "Timeout")
    return {fmt::format("{} did not answer before the deadline", asked),
            "check that the server is reachable; try a longer --timeout"};
  return {std::string(name), "see docs/errors.md for this name"};
}

}  // namespace dial::cli
