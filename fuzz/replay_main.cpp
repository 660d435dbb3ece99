// fuzz/replay_main.cpp: runs a fuzz target over a corpus without libFuzzer (any compiler), and
// checks that parsing and formatting never allocate.
#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <new>
#include <string>
#include <string_view>
#include <vector>

#include "dial/address.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

// Every operator new in this program goes through here, so a count that does not move across a
// call proves the call made no C++ allocation (the connect path's promise, DESIGN.md 7).
long allocations = 0;

std::vector<std::filesystem::path> corpus_files(int argc, char** argv) {
  std::vector<std::filesystem::path> files;
  for (int i = 1; i < argc; ++i) {
    const std::filesystem::path p = argv[i];
    if (p.string().starts_with("--")) continue;
    if (!std::filesystem::is_directory(p)) {
      files.push_back(p);
      continue;
    }
    for (const auto& e : std::filesystem::directory_iterator(p))
      if (e.is_regular_file()) files.push_back(e.path());
  }
  return files;
}

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// Parse, format into a buffer and a fixed text, to_native and from_native: none may allocate.
bool allocates(std::string_view input) {
  const long before = allocations;
  auto a = dial::address::parse(input);
  if (a) {
    char buf[dial::address::max_text_size];
    (void)a->format_to(buf, sizeof buf);
    (void)a->format();
    sockaddr_storage ss;
    const dial::socklen_t n = a->to_native(ss);
    (void)dial::address::from_native(reinterpret_cast<const sockaddr*>(&ss), n);
  }
  return allocations != before;
}

}  // namespace

void* operator new(std::size_t n) {
  ++allocations;
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

/// Usage: replay [--no-allocation] DIR_OR_FILE...; exits 1 if no input was found.
int main(int argc, char** argv) {
  const bool no_allocation = argc > 1 && std::string_view(argv[1]) == "--no-allocation";
  const auto files = corpus_files(argc, argv);
  int failures = 0;
  const long before = allocations;
  // The counter must see this one, or the check below would prove nothing. A direct call through
  // a volatile pointer, because a new-expression paired with delete may be optimised away.
  void* volatile probe = ::operator new(1);
  ::operator delete(probe);
  if (no_allocation && allocations == before) {
    std::fprintf(stderr, "replay: the counting operator new is not in effect\n");
    return 1;
  }
  for (const auto& f : files) {
    const std::string data = read_file(f);
    if (no_allocation && allocates(data)) {
      std::fprintf(stderr, "replay: %s allocates\n", f.c_str());
      ++failures;
    }
    if (!no_allocation)
      LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(data.data()), data.size());
  }
  std::printf("replay: %zu inputs, %d failures\n", files.size(), failures);
  return files.empty() || failures != 0 ? 1 : 0;
}
