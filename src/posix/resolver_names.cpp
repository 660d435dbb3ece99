// src/posix/resolver_names.cpp: resolver_code_name, the spellings of c-ares' statuses and of
// getaddrinfo's EAI_* codes as lookup reports keep them.
#include <netdb.h>

#include "dial/config.hpp"
#include "dial/resolve.hpp"
#if DIAL_HAS_CARES
#include <ares.h>
#endif

namespace dial {
namespace {

// clang-format off
#define DIAL_NAME(code) case code: return #code
// clang-format on

#if DIAL_HAS_CARES
std::string_view ares_code_name(int code) noexcept {
  switch (code) {
    DIAL_NAME(ARES_ENODATA);
    DIAL_NAME(ARES_EFORMERR);
    DIAL_NAME(ARES_ESERVFAIL);
    DIAL_NAME(ARES_ENOTFOUND);
    DIAL_NAME(ARES_ENOTIMP);
    DIAL_NAME(ARES_EREFUSED);
    DIAL_NAME(ARES_EBADQUERY);
    DIAL_NAME(ARES_EBADNAME);
    DIAL_NAME(ARES_EBADFAMILY);
    DIAL_NAME(ARES_EBADRESP);
    DIAL_NAME(ARES_ECONNREFUSED);
    DIAL_NAME(ARES_ETIMEOUT);
    DIAL_NAME(ARES_EOF);
    DIAL_NAME(ARES_EFILE);
    DIAL_NAME(ARES_ENOMEM);
    DIAL_NAME(ARES_EDESTRUCTION);
    DIAL_NAME(ARES_EBADSTR);
    DIAL_NAME(ARES_EBADFLAGS);
    DIAL_NAME(ARES_ENONAME);
    DIAL_NAME(ARES_EBADHINTS);
    DIAL_NAME(ARES_ENOTINITIALIZED);
    DIAL_NAME(ARES_ECANCELLED);
    default: return {};
  }
}
#endif

std::string_view eai_code_name(int code) noexcept {
  switch (code) {
    DIAL_NAME(EAI_NONAME);
#ifdef EAI_NODATA
    DIAL_NAME(EAI_NODATA);
#endif
#ifdef EAI_ADDRFAMILY
    DIAL_NAME(EAI_ADDRFAMILY);
#endif
    DIAL_NAME(EAI_AGAIN);
    DIAL_NAME(EAI_FAIL);
    DIAL_NAME(EAI_MEMORY);
    DIAL_NAME(EAI_BADFLAGS);
    DIAL_NAME(EAI_FAMILY);
    DIAL_NAME(EAI_SOCKTYPE);
    DIAL_NAME(EAI_SERVICE);
    default: return {};
  }
}

#undef DIAL_NAME

}  // namespace

std::string_view resolver_code_name(resolver_backend backend, int code) noexcept {
#if DIAL_HAS_CARES
  return backend == resolver_backend::c_ares ? ares_code_name(code) : eai_code_name(code);
#else
  // Without c-ares both choices end in getaddrinfo (src/posix/resolver_no_ares.cpp).
  static_cast<void>(backend);
  return eai_code_name(code);
#endif
}

}  // namespace dial
