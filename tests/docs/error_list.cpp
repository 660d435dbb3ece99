// tests/docs/error_list.cpp: prints dial's one list of error names and every set's members, as
// the compiler sees them: `error_list` for tests/docs/check_errors_md.py, `error_list --dox` for
// Doxygen (an \enum block per set, a \var block per enumerator; scripts/docs.sh). The sets
// come from sets.inc, one DIAL_SET(set, LIST) per DIAL_DECLARE_ERROR_SET in include/dial/
// (written by scripts/docs.sh).
#include <cstdio>
#include <string_view>

#include "dial/dial.hpp"

namespace {

struct entry {
  int id;
  std::string_view ident, name, message;
};

constexpr entry list[] = {
#define DIAL_ENTRY(id, ident, Name, errc, msg) {id, #ident, #Name, msg},
    DIAL_ERROR_LIST(DIAL_ENTRY)
#undef DIAL_ENTRY
};

const entry* find(dial::error_id e) {
  for (const entry& x : list)
    if (x.id == static_cast<int>(e)) return &x;
  return nullptr;
}

void dox(std::string_view scope, const entry& x) {
  std::printf("/// \\var dial::%.*s::%.*s\n/// %.*s (id %d): %.*s.\n",
              static_cast<int>(scope.size()), scope.data(), static_cast<int>(x.ident.size()),
              x.ident.data(), static_cast<int>(x.name.size()), x.name.data(), x.id,
              static_cast<int>(x.message.size()), x.message.data());
}

template <dial::error_set E>
void print_set(bool as_dox, std::string_view list) {
  const std::string_view set = dial::error_set_traits<E>::set_name;
  if (as_dox)
    std::printf(
        "/// \\enum dial::%.*s\n/// A closed error set: the names %.*s lists (what each "
        "means for the caller: docs/errors.md).\n",
        static_cast<int>(set.size()), set.data(), static_cast<int>(list.size()), list.data());
  if (!as_dox) std::printf("set %.*s", static_cast<int>(set.size()), set.data());
  for (dial::error_id m : dial::error_set_traits<E>::members) {
    const entry* x = find(m);
    if (as_dox)
      dox(set, *x);
    else
      std::printf(" %.*s", static_cast<int>(x->name.size()), x->name.data());
  }
  if (!as_dox) std::printf("\n");
}

}  // namespace

int main(int argc, char** argv) {
  const bool as_dox = argc > 1 && std::string_view(argv[1]) == "--dox";
  for (const entry& x : list) {
    if (as_dox)
      dox("error_id", x);
    else
      std::printf("name %d %.*s\n", x.id, static_cast<int>(x.name.size()), x.name.data());
  }
#define DIAL_SET(set, list) print_set<dial::set>(as_dox, #list);
#include "sets.inc"
#undef DIAL_SET
  return 0;
}
