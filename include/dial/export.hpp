// dial/export.hpp: DIAL_API, the mark on each public function and class a shared dial exports.
#pragma once

#include "dial/config.hpp"  // IWYU pragma: export

/// Marks a declaration of the public API that the library defines. A shared dial is built with
/// hidden visibility, so only what carries DIAL_API is exported; in a static dial it changes
/// nothing.
#if defined(_WIN32) && DIAL_SHARED && defined(DIAL_BUILDING_LIBRARY)
#define DIAL_API __declspec(dllexport)
#elif defined(_WIN32) && DIAL_SHARED
#define DIAL_API __declspec(dllimport)
#elif defined(_WIN32)
#define DIAL_API  // a static dial.lib: PE has no symbol visibility
#elif defined(__GNUC__)
#define DIAL_API __attribute__((visibility("default")))
#else
#define DIAL_API
#endif
