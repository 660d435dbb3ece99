// dial/version.hpp: the library's version, kept in step with project(VERSION) in CMakeLists.txt.
#pragma once

#define DIAL_VERSION_MAJOR 0
#define DIAL_VERSION_MINOR 1
#define DIAL_VERSION_PATCH 0

namespace dial {
/// "MAJOR.MINOR.PATCH" of the headers in use.
inline constexpr const char* version = "0.1.0";
}  // namespace dial
