// tools/dial/route_none.cpp: route_to where there is no rtnetlink (not Linux, or no libmnl).
#include "route.hpp"

namespace dial::cli {

std::optional<route_answer> route_to(const address&, const route_query&, std::string& why) {
  why = "this build reads no routing table (rtnetlink through libmnl is Linux only)";
  return std::nullopt;
}

}  // namespace dial::cli
