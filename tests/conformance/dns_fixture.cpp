// tests/conformance/dns_fixture.cpp: dnsmasq and a silent-AAAA DNS server for resolver tests.
#include "dns_fixture.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>

#include "support.hpp"

namespace dial::test::dns {
namespace {

void put16(std::vector<std::uint8_t>& out, std::uint16_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v & 0xff));
}

const char* const zone[] = {
    "--host-record=v4only.test,192.0.2.10",
    "--host-record=v6only.test,2001:db8::10",
    "--host-record=both.test,192.0.2.11,2001:db8::11",
    "--host-record=many.test,192.0.2.21,2001:db8::21",
    "--host-record=many.test,192.0.2.22,2001:db8::22",
    "--host-record=many.test,192.0.2.23",
    "--txt-record=noaddr.test,no addresses here",
    "--host-record=race.test,192.0.2.2,2001:db8::2",
    "--host-record=dead.test,192.0.2.3,2001:db8::3",
};

}  // namespace

std::vector<std::uint8_t> make_query(const std::string& name, std::uint16_t type,
                                     std::uint16_t id) {
  std::vector<std::uint8_t> q;
  put16(q, id);
  put16(q, 0x0100);  // a standard query, recursion desired
  put16(q, 1);       // one question
  put16(q, 0);
  put16(q, 0);
  put16(q, 0);
  std::size_t start = 0;
  while (start <= name.size()) {  // bounded by the name's length
    const std::size_t dot = std::min(name.find('.', start), name.size());
    q.push_back(static_cast<std::uint8_t>(dot - start));
    q.insert(q.end(), name.begin() + static_cast<std::ptrdiff_t>(start),
             name.begin() + static_cast<std::ptrdiff_t>(dot));
    start = dot + 1;
  }
  q.push_back(0);
  put16(q, type);
  put16(q, 1);  // class IN
  return q;
}

reply_summary ask(const std::string& ip, const std::vector<std::uint8_t>& query, int timeout_ms) {
  const fd s = make_socket(AF_INET, SOCK_DGRAM);
  const addr to = test::ip(ip, 53);
  if (::sendto(s.get(), query.data(), query.size(), 0, to.sa(), to.len) < 0) return {};
  pollfd p{s.get(), POLLIN, 0};
  if (::poll(&p, 1, timeout_ms) != 1) return {};
  std::uint8_t buf[512];
  const auto n = ::recv(s.get(), buf, sizeof buf, 0);
  if (n < 12) return {};
  return {buf[3] & 0x0f, (buf[6] << 8) | buf[7]};
}

// ---- dnsmasq -------------------------------------------------------------------------------

dnsmasq::~dnsmasq() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  int status = 0;
  ::waitpid(pid_, &status, 0);
}

address dnsmasq::where() { return *address::parse(std::string(dnsmasq_ip) + ":53"); }

bool dnsmasq::start() {
  std::vector<std::string> args = {"dnsmasq",
                                   "--keep-in-foreground",
                                   "--conf-file=/dev/null",
                                   "--no-resolv",
                                   "--no-hosts",
                                   std::string("--listen-address=") + dnsmasq_ip,
                                   "--bind-interfaces",
                                   "--port=53",
                                   "--user=root",
                                   "--pid-file=",
                                   "--log-facility=/dev/null",
                                   "--local=/test/"};
  for (const char* r : zone) args.emplace_back(r);
  std::fflush(nullptr);
  pid_ = ::fork();
  if (pid_ < 0) return false;
  if (pid_ == 0) {
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execvp("dnsmasq", argv.data());
    std::perror("exec dnsmasq (Debian package dnsmasq-base; scripts/deps.sh installs it)");
    ::_exit(127);
  }
  for (int i = 0; i < 50; ++i) {  // bounded: 50 tries of at most 100 ms
    if (ask(dnsmasq_ip, make_query("both.test", 1, 7), 100).answers == 1) return true;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return false;
    }
  }
  return false;
}

// ---- the silent-AAAA server ----------------------------------------------------------------

silent_aaaa_server::~silent_aaaa_server() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  if (sock_ >= 0) ::close(sock_);
}

address silent_aaaa_server::where() { return *address::parse(std::string(silent_aaaa_ip) + ":53"); }

bool silent_aaaa_server::start() {
  sock_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  const addr at = ip(silent_aaaa_ip, 53);
  if (sock_ < 0 || ::bind(sock_, at.sa(), at.len) != 0) return false;
  thread_ = std::thread([this] { serve(); });
  return true;
}

void silent_aaaa_server::serve() {
  // Bounded: it stops when asked, and after at most 60 s in any case (1200 waits of 50 ms).
  for (int i = 0; i < 1200 && !stop_; ++i) {
    pollfd p{sock_, POLLIN, 0};
    if (::poll(&p, 1, 50) != 1) continue;
    std::uint8_t buf[512];
    sockaddr_storage from{};
    socklen_t len = sizeof from;
    const auto n = ::recvfrom(sock_, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &len);
    if (n < 17) continue;
    std::size_t q = 12;  // the question's name: labels up to the zero byte
    while (q < static_cast<std::size_t>(n) && buf[q] != 0) q += 1u + buf[q];
    if (q + 5 > static_cast<std::size_t>(n)) continue;
    const int type = (buf[q + 1] << 8) | buf[q + 2];
    if (type == 28) {
      ++dropped_;
      continue;
    }
    std::vector<std::uint8_t> r(buf, buf + q + 5);  // header and question
    r[2] = 0x85;                                    // a response, authoritative, recursion desired
    r[3] = 0x80;                                    // recursion available, NOERROR
    r[7] = type == 1 ? 1 : 0;                       // one answer for A
    r[8] = r[9] = r[10] = r[11] = 0;
    if (type == 1) {
      const std::uint8_t answer[] = {0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 30};
      r.insert(r.end(), std::begin(answer), std::end(answer));
    }
    ::sendto(sock_, r.data(), r.size(), 0, reinterpret_cast<sockaddr*>(&from), len);
  }
}

}  // namespace dial::test::dns
