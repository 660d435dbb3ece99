// tests/unit/resolve_table_test.cpp: the c-ares back-end's status table, line by line (the
// statuses that tests/conformance/resolve_dns_test.cpp cannot make a real server produce are
// covered here only).
#include <ares.h>
#include <gtest/gtest.h>

#include <utility>

#include "common/lookup.hpp"
#include "dial/dial.hpp"

namespace {

using dial::resolve_error;

TEST(ResolveAresTable, EveryStatusHasItsName) {
  const std::pair<int, resolve_error> lines[] = {
      {ARES_ENOTFOUND, resolve_error::unknown_host_name},
      {ARES_ENODATA, resolve_error::host_lacks_network_addresses},
      {ARES_ESERVFAIL, resolve_error::temporary_name_server_failure},
      {ARES_ETIMEOUT, resolve_error::temporary_name_server_failure},
      {ARES_ECONNREFUSED, resolve_error::temporary_name_server_failure},
      {ARES_EFORMERR, resolve_error::name_server_failure},
      {ARES_ENOTIMP, resolve_error::name_server_failure},
      {ARES_EREFUSED, resolve_error::name_server_failure},
      {ARES_EBADRESP, resolve_error::name_server_failure},
      {ARES_EOF, resolve_error::name_server_failure},
      {ARES_EBADNAME, resolve_error::invalid_host_name},
      {ARES_ENOMEM, resolve_error::out_of_memory},
      {ARES_ECANCELLED, resolve_error::canceled},
      {ARES_EDESTRUCTION, resolve_error::canceled},
  };
  for (const auto& [status, want] : lines)
    EXPECT_EQ(dial::detail::resolve_error_from_ares(status), want)
        << "status " << status << " (" << ares_strerror(status) << ")";
}

TEST(ResolveAresTable, StatusesOutsideTheTableAreUnexpected) {
  for (int status : {ARES_EBADQUERY, ARES_EBADFAMILY, ARES_ENOTINITIALIZED, ARES_EFILE, 9999})
    EXPECT_EQ(dial::detail::resolve_error_from_ares(status), resolve_error::unexpected)
        << "status " << status;
}

}  // namespace
