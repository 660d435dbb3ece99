// tests/unit/resolv_conf_test.cpp: dial reads resolv.conf and the environment as c-ares 1.18 does
// (it reads them for c-ares, so that c-ares opens no file without close-on-exec).
#include <ares.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "posix/resolv_conf.hpp"
#include "support.hpp"

namespace {

namespace t = dial::test;

/// The settings both readers are compared on.
struct settings {
  std::vector<std::string> servers;  // address text, port 0
  std::vector<std::string> domains;
  int ndots = -1, timeout_ms = -1, tries = -1;
  bool rotate = false;
  bool operator==(const settings&) const = default;
};

std::ostream& operator<<(std::ostream& o, const settings& s) {
  o << "servers";
  for (const auto& a : s.servers) o << " " << a;
  o << "; domains";
  for (const auto& d : s.domains) o << " " << d;
  return o << "; ndots " << s.ndots << ", timeout " << s.timeout_ms << " ms, tries " << s.tries
           << (s.rotate ? ", rotate" : "");
}

// c-ares' own reading of the file at `path` (and of the environment), through its public API.
settings c_ares_reads(const std::string& path) {
  if (ares_library_init(ARES_LIB_INIT_ALL) != ARES_SUCCESS) throw std::runtime_error("c-ares");
  ares_options o{};
  char lookups[] = "b";
  o.lookups = lookups;
  std::string p = path;
  o.resolvconf_path = p.data();
  ares_channel ch = nullptr;
  if (ares_init_options(&ch, &o, ARES_OPT_LOOKUPS | ARES_OPT_RESOLVCONF) != ARES_SUCCESS)
    throw std::runtime_error("ares_init_options");
  ares_options saved{};
  int mask = 0;
  if (ares_save_options(ch, &saved, &mask) != ARES_SUCCESS) throw std::runtime_error("save");
  settings s{{}, {}, saved.ndots, saved.timeout, saved.tries, (mask & ARES_OPT_ROTATE) != 0};
  for (int i = 0; i < saved.ndomains; ++i) s.domains.emplace_back(saved.domains[i]);
  ares_addr_port_node* servers = nullptr;
  ares_get_servers_ports(ch, &servers);
  for (auto* n = servers; n != nullptr; n = n->next) {
    std::array<std::uint8_t, 16> b{};
    std::memcpy(b.data(), &n->addr, n->family == AF_INET ? 4 : 16);
    s.servers.push_back(n->family == AF_INET
                            ? dial::address::ipv4({b[0], b[1], b[2], b[3]}, 0).to_string()
                            : dial::address::ipv6(b, 0).to_string());
  }
  ares_free_data(servers);
  ares_destroy_options(&saved);
  ares_destroy(ch);
  return s;
}

settings dial_reads(const std::string& text) {
  std::array<char, 256> host{};
  ::gethostname(host.data(), host.size() - 1);
  const auto c = dial::detail::parse_resolv_conf(text, std::getenv("LOCALDOMAIN"),
                                                 std::getenv("RES_OPTIONS"), host.data());
  settings s{{}, c.domains, c.ndots, c.timeout_ms, c.tries, c.rotate};
  for (const auto& a : c.servers) s.servers.push_back(a.to_string());
  return s;
}

// Sets (or, for null, unsets) an environment variable for the life of the object.
class scoped_env {
 public:
  scoped_env(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    value ? ::setenv(name, value, 1) : ::unsetenv(name);
  }
  ~scoped_env() { old_ ? ::setenv(name_, old_->c_str(), 1) : ::unsetenv(name_); }
  scoped_env(const scoped_env&) = delete;
  scoped_env& operator=(const scoped_env&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

const char* const files[] = {
    "",
    "nameserver 10.0.0.1\nnameserver ::1\nsearch a.example b.example\n",
    "nameserver\t10.1.1.1\nnameserver10.2.2.2\n  nameserver   10.3.3.3,10.0.0.4 10.0.0.5\n",
    "nameserver 10.0.0.1 # a comment\nnameserver 10.0.0.2 ; another\n# nameserver 10.0.0.3\n",
    "NAMESERVER 10.4.4.4\nnameserver fe80::1%lo\nnameserver 1.2.3.4:5353\nnameserver [::1]\n",
    "nameserver fec0::1\nnameserver 0.0.0.0\nnameserver ::ffff:1.2.3.4\nnameserver 2001:db8::53\n",
    "options timeout:3 attempts:2 ndots:4 rotate\n",
    "options retrans:700 retry:5\noptions retrans:800 ndots:2\noptions ndots:3\n",
    "options ndots:-1 rotatex\noptions retrans:abc\n",
    "options ndots:99999999999\n",
    "search a,,b a\tc A b\n",
    "domain x,y z\n",
    "search\nsearch   \n",
    "search a\nsearch ,\n",
    "domain a\nsearch b c\ndomain d.\n",
    "search a b\ndomain c\n",
    "lookup file bind\nsortlist 130.155.160.0/255.255.240.0 130.155.0.0\nsearch s\n",
    "nameserver 10.0.0.1\r\nsearch crlf.example\r\n",
};

TEST(ResolvConf, ReadsEveryFileAsCAresDoes) {
  const t::scratch_dir dir;
  const scoped_env no_domain("LOCALDOMAIN", nullptr), no_options("RES_OPTIONS", nullptr);
  for (const char* text : files) {
    std::ofstream(dir / "resolv.conf", std::ios::trunc) << text;
    EXPECT_EQ(dial_reads(text), c_ares_reads(dir / "resolv.conf")) << "resolv.conf:\n" << text;
  }
}

TEST(ResolvConf, TheEnvironmentComesFirstAsInCAres) {
  const t::scratch_dir dir;
  const char* text = "search a.example\noptions ndots:4 retry:3\n";
  std::ofstream(dir / "resolv.conf") << text;
  const struct {
    const char* localdomain;
    const char* res_options;
  } cases[] = {{"l.example m.example", "ndots:7 timeout:1"},
               {"", "retrans:250"},
               {" , ", nullptr},
               {nullptr, "rotate retry:1"}};
  for (const auto& c : cases) {
    const scoped_env d("LOCALDOMAIN", c.localdomain), o("RES_OPTIONS", c.res_options);
    EXPECT_EQ(dial_reads(text), c_ares_reads(dir / "resolv.conf"))
        << "LOCALDOMAIN=" << (c.localdomain ? c.localdomain : "(unset)")
        << " RES_OPTIONS=" << (c.res_options ? c.res_options : "(unset)");
  }
}

TEST(ResolvConf, DefaultsAndTheHostNamesDomain) {
  const auto c = dial::detail::parse_resolv_conf("", nullptr, nullptr, "box.lab.example");
  ASSERT_EQ(c.servers.size(), 1u);
  EXPECT_EQ(c.servers[0].to_string(), "127.0.0.1:0");
  EXPECT_EQ(c.domains, std::vector<std::string>{"lab.example"});
  EXPECT_EQ(c.ndots, 1);
  EXPECT_EQ(c.timeout_ms, 5000);
  EXPECT_EQ(c.tries, 4);
  EXPECT_FALSE(c.rotate);
}

TEST(ResolvConf, MalformedAddressesAreSkipped) {
  // c-ares 1.18 would take "1.2.3" as a network and make up its last byte; dial skips it.
  const auto c = dial::detail::parse_resolv_conf("nameserver 1.2.3\nnameserver 192.0.2.53\n",
                                                 nullptr, nullptr, "");
  ASSERT_EQ(c.servers.size(), 1u);
  EXPECT_EQ(c.servers[0].to_string(), "192.0.2.53:0");
}

}  // namespace
