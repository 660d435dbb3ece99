// tools/dial/owned_fd.hpp: a move-only socket owner for the tool, until the library has one.
#pragma once

#include <utility>

#include "dial/sys.hpp"

namespace dial::cli {

/// Owns one socket and closes it with dial::close; the tool's fixtures and probes never leak one.
class owned_fd {
 public:
  owned_fd() noexcept = default;
  explicit owned_fd(socket_t s) noexcept : s_(s) {}
  owned_fd(owned_fd&& o) noexcept : s_(std::exchange(o.s_, invalid_socket)) {}
  owned_fd& operator=(owned_fd&& o) noexcept {
    if (this != &o) {
      reset();
      s_ = std::exchange(o.s_, invalid_socket);
    }
    return *this;
  }
  owned_fd(const owned_fd&) = delete;
  owned_fd& operator=(const owned_fd&) = delete;
  ~owned_fd() { reset(); }

  [[nodiscard]] socket_t get() const noexcept { return s_; }
  [[nodiscard]] explicit operator bool() const noexcept { return s_ != invalid_socket; }

  /// Closes the socket now (a fixture that must disappear before the probe, like a stale path).
  void reset() noexcept {
    if (s_ != invalid_socket) dial::close(std::exchange(s_, invalid_socket));
  }

 private:
  socket_t s_ = invalid_socket;
};

}  // namespace dial::cli
