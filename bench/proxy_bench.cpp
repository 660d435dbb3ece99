// bench/proxy_bench.cpp: dial's side of bench/proxy_bench.sh: connect_to_host through a SOCKS5
// proxy on loopback (numeric proxy and target: no lookup), each connect timed, one line of
// microseconds per connect, as bench/socks5_raw.c prints its own.
//
//   dial_proxy_bench --proxy-port P --target-port T --count N [--direct]
#include <charconv>
#include <chrono>
#include <cstdio>
#include <string_view>

#include "dial/dial.hpp"

namespace {

bool number(std::string_view s, unsigned long& out) {
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc{} && end == s.data() + s.size() && out > 0;
}

int run(const std::optional<dial::proxy>& proxy, std::uint16_t target_port, unsigned long count);

int usage(int status) {
  std::fputs(
      "Usage: dial_proxy_bench --proxy-port P --target-port T --count N [--direct]\n"
      "N connects to 127.0.0.1:T through the SOCKS5 proxy at 127.0.0.1:P with\n"
      "dial::connect_to_host (connect_to_host_options::proxy, a 5 s deadline each); prints each\n"
      "connect's time in microseconds, one per line (bench/proxy_bench.sh runs it).\n"
      "--direct: the same connects without the proxy (the hop's cost is the difference)\n",
      status == 0 ? stdout : stderr);
  return status;
}

}  // namespace

int main(int argc, char** argv) {
  unsigned long proxy_port = 0, target_port = 0, count = 0;
  bool direct = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "-h" || a == "--help") return usage(0);
    if (a == "--direct") {
      direct = true;
      continue;
    }
    unsigned long* into = a == "--proxy-port"    ? &proxy_port
                          : a == "--target-port" ? &target_port
                          : a == "--count"       ? &count
                                                 : nullptr;
    if (into == nullptr) {
      std::fprintf(stderr, "dial_proxy_bench: unknown argument '%s'\n", argv[i]);
      return usage(2);
    }
    if (i + 1 == argc || !number(argv[++i], *into) || (into != &count && *into > 65535)) {
      std::fprintf(stderr, "dial_proxy_bench: %s needs a positive number\n", a.data());
      return 2;
    }
  }
  if (proxy_port == 0 || target_port == 0 || count == 0) return usage(2);
  const auto proxy =
      direct ? std::nullopt
             : std::optional(dial::proxy{dial::proxy_kind::socks5, "127.0.0.1",
                                         static_cast<std::uint16_t>(proxy_port), std::nullopt});
  return run(proxy, static_cast<std::uint16_t>(target_port), count);
}

namespace {

int run(const std::optional<dial::proxy>& proxy, std::uint16_t target_port, unsigned long count) {
  dial::connect_to_host_options o;
  o.proxy = proxy;
  for (unsigned long i = 0; i < count; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    o.deadline = t0 + std::chrono::seconds(5);
    auto c = dial::connect_to_host("127.0.0.1", target_port, o);
    if (!c) {
      std::fprintf(stderr, "dial_proxy_bench: connect %lu: %s\n", i,
                   dial::name(c.error().error).data());
      return 1;
    }
    c->socket.reset();
    const std::chrono::duration<double, std::micro> took = std::chrono::steady_clock::now() - t0;
    std::printf("%.1f\n", took.count());
  }
  return 0;
}

}  // namespace
