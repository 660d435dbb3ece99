// fuzz/address_fuzz.cpp: libFuzzer target: dial::address from text and from sockaddr bytes.
#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "dial/address.hpp"

namespace {

/// A broken property: print what and the input, then crash so the fuzzer keeps the input.
[[noreturn]] void broken(const char* what, std::string_view input, const dial::address* a) {
  std::fprintf(stderr, "address_fuzz: %s\n  input (%zu bytes): ", what, input.size());
  for (char c : input) std::fprintf(stderr, "\\x%02x", static_cast<unsigned char>(c));
  if (a != nullptr) std::fprintf(stderr, "\n  value: %s", a->format().c_str());
  std::fprintf(stderr, "\n");
  std::abort();
}

/// format_to honours its size: a buffer one byte short is left untouched.
void check_format_to(const dial::address& a, std::string_view text, std::string_view input) {
  char buf[dial::address::max_text_size + 1];
  std::memset(buf, '#', sizeof buf);
  if (a.format_to(buf, text.size() - 1) != text.size()) broken("format_to length", input, &a);
  for (char c : buf)
    if (c != '#') broken("format_to wrote into a short buffer", input, &a);
  if (a.format_to(buf, sizeof buf) != text.size() || std::string_view(buf, text.size()) != text)
    broken("format_to differs from format", input, &a);
}

/// Every value: its text fits the documented maximum, parses back to itself and is a fixed
/// point; its sockaddr has native_size() bytes and reads back to itself.
void check_value(const dial::address& a, std::string_view input) {
  const dial::address_text t = a.format();
  if (t.size() == 0 || t.size() > dial::address::max_text_size) broken("text size", input, &a);
  auto again = dial::address::parse(t.view());
  if (!again || *again != a) broken("parse(format(a)) != a", input, &a);
  if (again->format().view() != t.view()) broken("format is not a fixed point", input, &a);
  if (again->hash() != a.hash()) broken("equal values hash differently", input, &a);
  check_format_to(a, t.view(), input);
  sockaddr_storage ss;
  const dial::socklen_t n = a.to_native(ss);
  if (n != a.native_size()) broken("to_native length != native_size()", input, &a);
  auto back = dial::address::from_native(reinterpret_cast<const sockaddr*>(&ss), n);
  if (!back || *back != a) broken("from_native(to_native(a)) != a", input, &a);
}

void fuzz_text(std::string_view input) {
  auto a = dial::address::parse(input);
  if (!a) {
    if (a.error().offset > input.size()) broken("error offset past the end", input, nullptr);
    if (dial::name(a.error().error).empty()) broken("error outside the list", input, nullptr);
    return;
  }
  check_value(*a, input);
}

/// The same bytes as a sockaddr of that length (read unaligned, straight from the input).
void fuzz_native(const std::uint8_t* data, std::size_t size) {
  static const std::uint8_t none = 0;  // from_native traps on null; an empty input has no data
  const auto* sa = reinterpret_cast<const sockaddr*>(size == 0 ? &none : data);
  const auto len = static_cast<dial::socklen_t>(size > 0xffffu ? 0xffffu : size);
  auto a = dial::address::from_native(sa, len);
  if (a) check_value(*a, {reinterpret_cast<const char*>(data), size});
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz_text({reinterpret_cast<const char*>(data), size});
  fuzz_native(data, size);
  return 0;
}
