// dial/dial.hpp: the umbrella header; include this to get the whole public API.
#pragma once

#include "dial/address.hpp"         // IWYU pragma: export
#include "dial/config.hpp"          // IWYU pragma: export
#include "dial/dialer.hpp"          // IWYU pragma: export
#include "dial/engine.hpp"          // IWYU pragma: export
#include "dial/error.hpp"           // IWYU pragma: export
#include "dial/export.hpp"          // IWYU pragma: export
#include "dial/happy_eyeballs.hpp"  // IWYU pragma: export
#include "dial/lookup.hpp"          // IWYU pragma: export
#include "dial/proxy.hpp"           // IWYU pragma: export
#include "dial/resolve.hpp"         // IWYU pragma: export
#include "dial/socket.hpp"          // IWYU pragma: export
#include "dial/sys.hpp"             // IWYU pragma: export
#include "dial/version.hpp"         // IWYU pragma: export

/// \namespace dial
/// dial's public API: the socket calls of layer 1 (dial/sys.hpp), addresses and owned sockets
/// (dial/address.hpp, dial/socket.hpp), the dialer (dial/resolve.hpp, dial/dialer.hpp,
/// dial/happy_eyeballs.hpp, dial/proxy.hpp) and the engine (dial/engine.hpp). Every call's failures
/// are the names of its own closed error set (dial/error.hpp; docs/errors.md).
