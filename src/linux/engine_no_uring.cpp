// src/linux/engine_no_uring.cpp: the io_uring back-end in a build without liburing
// (DIAL_WITH_URING=OFF, or AUTO without liburing-dev).
#include <cerrno>

#include "linux/engine_impl.hpp"

namespace dial::detail::eng {

// Not built in: engine_backend::io_uring is BackendUnavailable with ENOSYS behind it (as from a
// kernel without io_uring), and automatic falls back to epoll.
std::expected<std::unique_ptr<worker>, create_failure> make_uring_worker(std::uint32_t,
                                                                         std::size_t) {
  return std::unexpected(create_failure{engine_create_error::backend_unavailable, ENOSYS});
}

}  // namespace dial::detail::eng
