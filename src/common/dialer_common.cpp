// src/common/dialer_common.cpp: the OS-neutral parts of src/common/dialer_os.hpp.
#include "common/sockets.hpp"  // sockaddr_storage

#include <algorithm>
#include <climits>

#include "common/dialer_os.hpp"

namespace dial::detail {

int ms_until(deadline_clock::time_point deadline) noexcept {
  if (deadline == deadline_clock::time_point::max()) return -1;
  const auto left =
      std::chrono::ceil<std::chrono::milliseconds>(deadline - deadline_clock::now()).count();
  return static_cast<int>(std::clamp<decltype(left)>(left, 0, INT_MAX));
}

int stop_waker::timeout_ms(deadline_clock::time_point deadline) const noexcept {
  const int ms = ms_until(deadline);
  if (error_ == 0) return ms;
  return ms < 0 ? fallback_slice_ms : std::min(ms, fallback_slice_ms);
}

bool is_connected(socket_t s) noexcept {
  sockaddr_storage peer{};
  socklen_t len = sizeof peer;
  return bool(dial::getpeername(s, reinterpret_cast<sockaddr*>(&peer), &len));
}

}  // namespace dial::detail
