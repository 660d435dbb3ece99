// dial/dial.hpp: the umbrella header; include this to get the whole public API.
#pragma once

#include "dial/address.hpp"         // IWYU pragma: export
#include "dial/dialer.hpp"          // IWYU pragma: export
#include "dial/engine.hpp"          // IWYU pragma: export
#include "dial/error.hpp"           // IWYU pragma: export
#include "dial/happy_eyeballs.hpp"  // IWYU pragma: export
#include "dial/lookup.hpp"          // IWYU pragma: export
#include "dial/resolve.hpp"         // IWYU pragma: export
#include "dial/socket.hpp"          // IWYU pragma: export
#include "dial/sys.hpp"             // IWYU pragma: export
#include "dial/version.hpp"         // IWYU pragma: export
