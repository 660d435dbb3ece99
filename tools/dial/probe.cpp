// tools/dial/probe.cpp: probing endpoints with dial::socket and dial::connect.
#include "probe.hpp"

#include <string>
#include <vector>

#include "dial/socket.hpp"
#include "report.hpp"

namespace dial::cli {
namespace {

outcome probe_one(const endpoint& e) {
  auto s = dial::socket(e.family, SOCK_STREAM, 0);
  if (!s) return socket_failed(s.error());
  const owned_socket sock(*s);
  return timed_connect(sock.get(), e.address(), e.length);
}

}  // namespace

int probe(std::span<const endpoint> endpoints) {
  std::vector<std::string> targets;
  for (const auto& e : endpoints) targets.push_back(e.text);
  const table t(targets, false);
  t.header();
  bool all_connected = true;
  for (const auto& e : endpoints) {
    const outcome o = probe_one(e);
    all_connected = all_connected && o.connected;
    t.print({e.text, o, {}});
  }
  return all_connected ? 0 : 1;
}

}  // namespace dial::cli
