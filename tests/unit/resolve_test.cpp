// tests/unit/resolve_test.cpp: numeric hosts, the hosts file, invalid names, RFC 6724 order.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <fstream>
#include <stop_token>

#include "dial/dial.hpp"
#include "support.hpp"

namespace {

using dial::address;
using dial::resolve_error;
using namespace std::chrono_literals;
namespace t = dial::test;

address A(const char* text) { return *address::parse(text); }

// A server nobody answers on: any query sent there fails the lookup (ECONNREFUSED, so
// TemporaryNameServerFailure), which lets a test prove that no query was sent.
dial::resolve_options no_dns() {
  dial::resolve_options o;
  o.servers = {A("127.0.0.1:1")};
  o.query_timeout = 200ms;
  o.query_tries = 1;
  return o;
}

TEST(Resolve, SetIsClosedAndNamed) {
  EXPECT_EQ(std::size(dial::error_set_traits<resolve_error>::members), 12u);
  EXPECT_EQ(dial::name(resolve_error::unknown_host_name), "UnknownHostName");
  EXPECT_EQ(dial::name(resolve_error::host_lacks_network_addresses), "HostLacksNetworkAddresses");
  EXPECT_EQ(dial::name(resolve_error::temporary_name_server_failure), "TemporaryNameServerFailure");
  EXPECT_EQ(dial::name(resolve_error::name_server_failure), "NameServerFailure");
  EXPECT_EQ(static_cast<int>(resolve_error::unknown_host_name), 82);
  EXPECT_TRUE(std::error_code(resolve_error::timeout) == std::errc::timed_out);
}

TEST(Resolve, NumericHostsNeedNoQuery) {
  const auto o = no_dns();
  struct {
    const char* host;
    address want;
  } cases[] = {
      {"192.0.2.1", A("192.0.2.1:443")},         {"2001:db8::1", A("[2001:db8::1]:443")},
      {"[2001:db8::1]", A("[2001:db8::1]:443")}, {"::1", A("[::1]:443")},
      {"fe80::1%1", A("[fe80::1%1]:443")},
  };
  for (const auto& c : cases) {
    auto r = dial::resolve(c.host, 443, o);
    ASSERT_TRUE(r) << c.host << ": " << dial::name(r.error());
    ASSERT_EQ(r->size(), 1u) << c.host;
    EXPECT_EQ(r->front(), c.want) << c.host;
  }
}

TEST(Resolve, InvalidNamesSendNothing) {
  const auto o = no_dns();
  const std::string long_label(64, 'a');
  std::string long_name;
  for (int i = 0; i < 64; ++i) long_name += "abc.";
  for (std::string host :
       {std::string(""), std::string("a..b"), std::string(".a"), long_label, long_name,
        std::string("a\0b", 3), std::string("2001:db8::zz"), std::string("[::1")}) {
    auto r = dial::resolve(host, 80, o);
    ASSERT_FALSE(r) << host;
    EXPECT_EQ(r.error(), resolve_error::invalid_host_name) << host;
  }
}

TEST(Resolve, HostsFileIsHonouredWithoutAQuery) {
  const t::scratch_dir dir;
  {
    std::ofstream f(dir / "hosts");
    f << "# comment line\n"
         "192.0.2.77   hosted.test  alias.test   # trailing comment\n"
         "2001:db8::77 hosted.test\n"
         "not-an-address hosted.test\n";
  }
  auto o = no_dns();
  o.hosts_file = dir / "hosts";
  auto r = dial::resolve("ALIAS.test.", 8080, o);
  ASSERT_TRUE(r) << dial::name(r.error());
  EXPECT_EQ(*r, (std::vector<address>{A("192.0.2.77:8080")}));
  auto both = dial::resolve("hosted.test", 1, o);
  ASSERT_TRUE(both) << dial::name(both.error());
  EXPECT_EQ(*both, (std::vector<address>{A("[2001:db8::77]:1"), A("192.0.2.77:1")}));
}

TEST(Resolve, NotInTheHostsFileAsksTheServer) {
  const t::scratch_dir dir;
  { std::ofstream(dir / "hosts") << "192.0.2.77 hosted.test\n"; }
  auto o = no_dns();
  o.hosts_file = dir / "hosts";
  auto r = dial::resolve("elsewhere.test", 1, o);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), resolve_error::temporary_name_server_failure);
}

TEST(Resolve, AChangedHostsFileIsReadAgain) {
  const t::scratch_dir dir;
  { std::ofstream(dir / "hosts") << "192.0.2.77 moving.test\n"; }
  auto o = no_dns();
  o.hosts_file = dir / "hosts";
  auto first = dial::resolve("moving.test", 1, o);
  ASSERT_TRUE(first) << dial::name(first.error());
  EXPECT_EQ(*first, (std::vector<address>{A("192.0.2.77:1")}));
  { std::ofstream(dir / "hosts") << "198.51.100.7 moving.test\n"; }  // same size, new time
  ::utimensat(AT_FDCWD, (dir / "hosts").c_str(), nullptr, 0);
  auto second = dial::resolve("moving.test", 1, o);
  ASSERT_TRUE(second) << dial::name(second.error());
  EXPECT_EQ(*second, (std::vector<address>{A("198.51.100.7:1")}));
  { std::ofstream(dir / "hosts") << "198.51.100.7 other.test\n"; }
  auto gone = dial::resolve("moving.test", 1, o);
  ASSERT_FALSE(gone);  // asked the (dead) server instead
  EXPECT_EQ(gone.error(), resolve_error::temporary_name_server_failure);
}

// Before: a hosts file that could not be opened for want of descriptors was skipped, and the
// lookup went on to DNS (TemporaryNameServerFailure). A resource error is not a resolution one.
TEST(Resolve, NoDescriptorForTheHostsFileIsProcessFdQuotaExceeded) {
  const t::scratch_dir dir;
  { std::ofstream(dir / "hosts") << "192.0.2.77 limited.test\n"; }
  const std::string path = dir / "hosts";
  const int rc = t::run_in_child([&] {
    rlimit lim{};
    ::getrlimit(RLIMIT_NOFILE, &lim);
    lim.rlim_cur = static_cast<rlim_t>(t::count_open_fds() + 4);
    if (::setrlimit(RLIMIT_NOFILE, &lim) != 0) return 100;
    for (int i = 0; i < 64 && ::dup(0) >= 0;) ++i;  // take every descriptor that is left
    auto o = no_dns();
    o.hosts_file = path;
    auto r = dial::resolve("limited.test", 1, o);
    if (r) return 101;
    if (dial::last_native_error() != EMFILE) return 102;
    return static_cast<int>(r.error());
  });
  EXPECT_EQ(rc, static_cast<int>(resolve_error::process_fd_quota_exceeded))
      << "child status " << rc;
}

// The other lines of the hosts file's open table, injected: ENFILE and ENOMEM end the lookup with
// their names, as EMFILE does above.
TEST(Resolve, HostsFileOpenResourceErrorsEndTheLookupWithTheirNames) {
  const t::scratch_dir dir;
  { std::ofstream(dir / "hosts") << "192.0.2.77 injected.test\n"; }
  const std::string path = dir / "hosts";
  for (const auto& [code, want] : {std::pair{ENFILE, resolve_error::system_fd_quota_exceeded},
                                   std::pair{ENOMEM, resolve_error::system_resources}}) {
    const int rc = t::run_in_child([&, code = code] {
      if (!t::inject_errno(SYS_openat, code, AT_FDCWD)) return 100;  // fopen of the hosts file
      auto o = no_dns();
      o.hosts_file = path;
      auto r = dial::resolve("injected.test", 1, o);
      if (r) return 101;
      if (dial::last_native_error() != code) return 102;
      return static_cast<int>(r.error());
    });
    EXPECT_EQ(rc, static_cast<int>(want)) << "errno " << code << ", child status " << rc;
  }
}

TEST(Resolve, AlreadyCanceledIsCanceled) {
  std::stop_source s;
  s.request_stop();
  auto o = no_dns();
  o.stop = s.get_token();
  auto r = dial::resolve("192.0.2.1", 1, o);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), resolve_error::canceled);
}

TEST(Resolve, SystemBackendResolvesNumericAndLocalhost) {
  dial::resolve_options o;
  o.backend = dial::resolver_backend::system;
  auto r = dial::resolve("127.0.0.1", 9, o);
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, (std::vector<address>{A("127.0.0.1:9")}));
}

// getaddrinfo asks DNS for a family the hosts file lacks (AAAA for localhost when /etc/hosts
// names only 127.0.0.1): in a private network namespace that query has no route and nothing
// leaves the machine.
TEST(Resolve, SystemBackendResolvesLocalhostThroughTheHostsFile) {
  if (!t::is_root()) GTEST_SKIP() << t::needs_root;
  const int rc = t::run_in_child([] {
    if (!t::enter_new_netns()) return 100;
    dial::resolve_options o;
    o.backend = dial::resolver_backend::system;
    o.deadline = dial::deadline_clock::now() + 10s;
    auto l = dial::resolve("localhost", 9, o);  // /etc/hosts through nsswitch
    if (!l) return 101;
    for (const address& a : *l)
      if (!a.is_loopback()) return 102;
    return l->empty() ? 103 : 0;
  });
  EXPECT_EQ(rc, 0) << "child status " << rc;
}

// A lookup on each back-end, each reaching its real result: a query sent to a closed port, and
// localhost from /etc/hosts through getaddrinfo. 0, or what went wrong.
int one_lookup_each() {
  auto o = no_dns();  // explicit servers: resolv.conf still gives ndots and tries
  o.hosts_file.clear();
  std::stop_source s;
  o.stop = s.get_token();  // the waker's eventfd
  auto r = dial::resolve("close-on-exec.test", 80, o);
  if (r || r.error() != resolve_error::temporary_name_server_failure) return 81;
  dial::resolve_options sys;
  sys.backend = dial::resolver_backend::system;
  sys.hosts_file.clear();  // the hosts file is the c-ares path's, tested with it
  return dial::resolve("localhost", 9, sys) ? 0 : 82;
}

// Every descriptor made for a lookup is close-on-exec from the call that makes it: c-ares' UDP
// socket and resolv.conf (read by dial for it), the stop waker, the system back-end's pipe. In a
// child that exits with 90 at the first call making an inheritable descriptor, the lookups must
// still reach their results. They run once before the filter too: the first virtual call on a
// type makes UBSan's vptr check (the asan preset) open a pipe of its own, without O_CLOEXEC.
// In a private network namespace: getaddrinfo asks DNS for localhost's AAAA (the hosts file has
// no ::1), and that query must have no route off the machine.
TEST(Resolve, EveryDescriptorIsCloseOnExecFromItsCreation) {
  if (!t::is_root()) GTEST_SKIP() << t::needs_root;
  EXPECT_EQ(t::run_in_child([] {
              if (!t::enter_new_netns()) return 79;
              if (const int warm = one_lookup_each(); warm != 0) return warm;
              if (!t::exit_on_inheritable_descriptors(90, t::c_ares_own_files)) return 80;
              return one_lookup_each();
            }),
            0);
}

TEST(Rfc6724, PrecedenceAndScope) {
  EXPECT_EQ(dial::rfc6724_precedence(A("[::1]:1")), 50);
  EXPECT_EQ(dial::rfc6724_precedence(A("[2001:db8::1]:1")), 40);
  EXPECT_EQ(dial::rfc6724_precedence(A("192.0.2.1:1")), 35);
  EXPECT_EQ(dial::rfc6724_precedence(A("[::ffff:192.0.2.1]:1")), 35);
  EXPECT_EQ(dial::rfc6724_precedence(A("[2002:c000:201::1]:1")), 30);
  EXPECT_EQ(dial::rfc6724_precedence(A("[2001:0:1::1]:1")), 5);
  EXPECT_EQ(dial::rfc6724_precedence(A("[fd00::1]:1")), 3);
  EXPECT_EQ(dial::rfc6724_precedence(A("[fec0::1]:1")), 1);
  EXPECT_EQ(dial::rfc6724_scope(A("[fe80::1%1]:1")), 2);
  EXPECT_EQ(dial::rfc6724_scope(A("127.0.0.1:1")), 2);
  EXPECT_EQ(dial::rfc6724_scope(A("169.254.1.1:1")), 2);
  EXPECT_EQ(dial::rfc6724_scope(A("192.0.2.1:1")), 14);
  EXPECT_EQ(dial::rfc6724_scope(A("[ff05::1]:1")), 5);
}

TEST(Rfc6724, SortIsStableByPrecedenceThenScopeAndDropsDuplicates) {
  std::vector<address> v = {A("192.0.2.1:1"),     A("[fd00::1]:1"),          A("[2001:db8::1]:1"),
                            A("192.0.2.2:1"),     A("[2002:c000:201::1]:1"), A("[::1]:1"),
                            A("[2001:db8::2]:1"), A("192.0.2.1:1"),          A("169.254.0.1:1")};
  dial::sort_destinations(v);
  EXPECT_EQ(v, (std::vector<address>{A("[::1]:1"), A("[2001:db8::1]:1"), A("[2001:db8::2]:1"),
                                     A("169.254.0.1:1"), A("192.0.2.1:1"), A("192.0.2.2:1"),
                                     A("[2002:c000:201::1]:1"), A("[fd00::1]:1")}));
}

}  // namespace
