// src/posix/socket_option_plan.hpp: dial::socket_options as the setsockopt calls that set them,
// checked once. apply_socket_options runs them with setsockopt; the engine's io_uring back-end
// runs them as IORING_OP_URING_CMD setsockopt entries linked between its SOCKET and CONNECT.
#pragma once

#include <sys/socket.h>

#include <array>
#include <cstddef>
#include <expected>
#include <span>

#include "dial/socket.hpp"

namespace dial::detail {

/// IPPROTO_MPTCP (Linux 5.6; glibc names it from 2.32 only): the protocol
/// socket_options::multipath asks for, in open_socket and in the engine.
inline constexpr int ipproto_mptcp = 262;

/// One setsockopt call: an int value, or (text) the interface name with its NUL.
struct sockopt_step {
  int level = 0;
  int name = 0;
  int value = 0;
  bool text = false;
};

/// The calls for a socket_options value, in the order of its fields. No allocation: at most
/// max_steps calls and an interface name of at most 15 bytes (IFNAMSIZ - 1).
class sockopt_plan {
 public:
  static constexpr std::size_t max_steps = 16;

  /// The calls for `o`. A value the kernel never accepts (a negative time or buffer size) is
  /// InvalidOption, an interface name longer than IFNAMSIZ - 1 UnknownInterface (ENODEV, what
  /// the kernel says), an option this system lacks OperationNotSupported; the errno each stands
  /// for is recorded (last_native_error()).
  [[nodiscard]] static std::expected<sockopt_plan, setsockopt_error> make(
      const socket_options& o) noexcept;

  [[nodiscard]] std::span<const sockopt_step> steps() const noexcept {
    return {steps_.data(), count_};
  }
  [[nodiscard]] bool empty() const noexcept { return count_ == 0; }
  /// What a step passes to setsockopt: valid as long as this plan lives where it is.
  [[nodiscard]] const void* value(const sockopt_step& s) const noexcept {
    return s.text ? static_cast<const void*>(interface_.data()) : &s.value;
  }
  [[nodiscard]] socklen_t length(const sockopt_step& s) const noexcept {
    return s.text ? interface_length_ : static_cast<socklen_t>(sizeof s.value);
  }

 private:
  void add(int level, int name, int value) noexcept {
    steps_[count_++] = {level, name, value, false};
  }

  std::array<sockopt_step, max_steps> steps_{};
  std::size_t count_ = 0;
  std::array<char, 16> interface_{};
  socklen_t interface_length_ = 0;
};

/// Runs a plan's calls on `sock`; stops at the first refusal (setsockopt's name, its errno in
/// last_native_error()).
[[nodiscard]] std::expected<void, setsockopt_error> apply_plan(socket_t sock,
                                                               const sockopt_plan& plan) noexcept;

}  // namespace dial::detail
