// tools/dial/route_text.cpp: route_answer as one line for people.
#include <fmt/core.h>

#include "route.hpp"

namespace dial::cli {

std::string route_text(const route_answer& r) {
  std::string where;
  if (!r.prefix.empty()) where = r.prefix;
  if (!r.table.empty()) where += (where.empty() ? "table " : ", table ") + r.table;
  const std::string in = where.empty() ? std::string() : fmt::format(" ({})", where);
  // The socket's part of the question (a mark, a bound interface or source), and what of it
  // was left out.
  std::string tail;
  if (!r.asked.empty()) tail += fmt::format(" [asked with {}]", r.asked);
  if (!r.note.empty()) tail += fmt::format(" [{}]", r.note);
  if (r.type == "none") return "no route: no route holds this address (ENETUNREACH)" + tail;
  if (r.error != 0) return fmt::format("{} route{}: refuses this destination{}", r.type, in, tail);
  std::string s = r.type;
  if (!r.gateway.empty()) s += fmt::format(", via {}", r.gateway);
  if (!r.interface.empty()) s += fmt::format(", dev {}", r.interface);
  if (!r.source.empty()) s += fmt::format(", src {}", r.source);
  return s + in + tail;
}

}  // namespace dial::cli
