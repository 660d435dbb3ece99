// dial/engine.hpp: many connects in flight at once: io_uring or epoll (Linux), IOCP (Windows).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <memory>
#include <span>
#include <stop_token>
#include <string_view>
#include <utility>

#include "dial/address.hpp"
#include "dial/dialer.hpp"
#include "dial/error.hpp"
#include "dial/export.hpp"
#include "dial/socket.hpp"

namespace dial {

/// Which kernel interface runs the connects. Windows has one, an I/O completion port with
/// ConnectEx, and `automatic` is its name there (docs/engine.md, "Windows").
enum class engine_backend : std::uint8_t {
  automatic,  ///< Linux: io_uring if the probe at create() works, else epoll; Windows: IOCP
  io_uring,   ///< io_uring (IORING_OP_SOCKET with direct descriptors, IORING_OP_CONNECT); Linux
  epoll,      ///< non-blocking socket + connect, EPOLLOUT, SO_ERROR; Linux
};

/// "automatic", "io_uring" or "epoll".
[[nodiscard]] DIAL_API std::string_view name(engine_backend b) noexcept;

/// How an engine runs. docs/engine.md has the limits and the memory each slot costs.
struct engine_options {
  engine_backend backend = engine_backend::automatic;  ///< automatic: io_uring if the probe works
  std::size_t concurrency = 4096;           ///< connects in flight at once, over all threads (>= 1)
  std::chrono::milliseconds timeout{2000};  ///< per-connect deadline, from the moment it starts
  unsigned threads = 0;  ///< rings / epoll sets / completion ports, one per thread; 0 = cores
  /// Hand each successful connect's socket to the sink (engine_result::take_socket()) instead
  /// of closing it: for load generators, connection-pool warm-up and fan-out clients. A kept
  /// socket is an ordinary descriptor and counts against RLIMIT_NOFILE (docs/engine.md).
  bool keep_connections = false;
  /// Connects started per second at most, over all threads (0: as fast as slots free up). A
  /// shared token bucket with a 10 ms burst: in any second at most rate x 1.01 + 1 start. For
  /// scanning networks politely; finite and >= 0, else InvalidOption.
  double rate = 0;
  /// Options set on every socket before its connect (an interface, a mark, keepalive,
  /// TCP_NODELAY, buffer sizes: dial::socket_options). A value no kernel accepts is InvalidOption
  /// at create(); an option the kernel refuses ends each connect with setsockopt's name for it
  /// (UnknownInterface, PermissionDenied, ...). io_uring sets them with IORING_OP_URING_CMD
  /// setsockopt entries linked between the SOCKET and the CONNECT (Linux 6.7); automatic takes
  /// epoll on a kernel without them. A refused socket is not reused while options are set.
  /// multipath makes every IP socket an MPTCP one (IPPROTO_MPTCP, Linux 5.6), decided once at
  /// create(): where the kernel refuses MPTCP sockets they are TCP ones, as open_socket does;
  /// a kept socket says which it became through transport_protocol (Windows: always TCP).
  /// fast_open is not used: a connect with nothing to send gains nothing from it, and with a
  /// cached cookie TCP_FASTOPEN_CONNECT would report success before any handshake.
  socket_options socket;
};

/// The names a single connect of the engine can end with: connect_until's (connect's fourteen,
/// Timeout, Canceled, ProcessFdQuotaExceeded), the socket() names that can stop a connect before
/// it starts (ProcessFdQuotaExceeded when RLIMIT_NOFILE is reached, ...) and setsockopt's for
/// engine_options::socket (UnknownInterface, ...). connect_until_error, socket_error and
/// setsockopt_error all widen into it: dial::widen<engine_connect_error>(e).
// clang-format off
#define DIAL_ENGINE_CONNECT_ERRORS(X)                                                             \
  DIAL_CONNECT_UNTIL_ERRORS(X) X(protocol_family_not_available)                                  \
  X(system_fd_quota_exceeded) X(protocol_not_supported) X(socket_type_not_supported)            \
  X(already_connected) X(invalid_protocol_option) X(timeout_too_big) X(invalid_option)          \
  X(unknown_interface) X(operation_not_supported)
// clang-format on
DIAL_DECLARE_ERROR_SET(engine_connect_error, DIAL_ENGINE_CONNECT_ERRORS);

/// One finished connect.
struct engine_result {
  std::size_t index;  ///< position of the target in the span given to run()
  address target;     ///< the target itself
  std::expected<void, engine_connect_error> outcome;  ///< success, a name, Timeout, Canceled
  int native_code;  ///< raw errno (Windows: WSA code) behind it (0: success/Timeout/Canceled)
  std::chrono::nanoseconds elapsed;  ///< from the start of this connect to its result
  bool self_connect;  ///< loopback self-connect (local == peer): reported as ConnectionRefused

  /// With engine_options::keep_connections, a successful result's connected socket: a stream
  /// socket in non-blocking mode, close-on-exec (Windows: not inheritable), now owned by the
  /// caller. Handed over once: a second call, a failed result or keep_connections off give an
  /// empty owned_socket. A socket that on_result does not take is closed when on_result returns.
  [[nodiscard]] owned_socket take_socket() const noexcept {
    return owned_socket(std::exchange(kept, invalid_socket));
  }
  /// The socket take_socket() hands over (implementation detail: use take_socket()).
  mutable socket_t kept = invalid_socket;
};

/// Receives results as they complete. The engine serialises calls (never two at once), from
/// whichever thread finished the connect. on_result must not throw and must not call run() on
/// the same engine.
class DIAL_API engine_sink {
 public:
  virtual ~engine_sink() = default;
  /// One result; `r` is valid only during the call.
  virtual void on_result(const engine_result& r) = 0;
};

/// The names engine::create can return.
///   BackendUnavailable      io_uring was asked for explicitly and the kernel or a seccomp
///                           profile refuses it (io_uring_setup ENOSYS/EPERM, or a needed opcode
///                           is missing, or socket options were asked for and the kernel has
///                           no io_uring setsockopt); epoll_create1 failing likewise. On
///                           Windows: io_uring or epoll asked for, or no ConnectEx for IPv4.
///   InvalidOption           concurrency 0, a negative timeout, a negative or non-finite rate,
///                           a back-end value outside the enum, or socket options no kernel
///                           accepts (a negative time or buffer size, an interface name longer
///                           than the system allows, an option this system does not have).
///   ProcessFdQuotaExceeded  EMFILE while creating a ring or an epoll set.
///   SystemFdQuotaExceeded   ENFILE while creating a ring or an epoll set.
///   SystemResources         ENOMEM (ring memory, locked-memory limit), or no thread started.
///   Unexpected              anything else; last_native_error() keeps the code.
// clang-format off
#define DIAL_ENGINE_CREATE_ERRORS(X)                                                             \
  X(backend_unavailable) X(invalid_option) X(process_fd_quota_exceeded)                         \
  X(system_fd_quota_exceeded) X(system_resources) X(unexpected)
// clang-format on
DIAL_DECLARE_ERROR_SET(engine_create_error, DIAL_ENGINE_CREATE_ERRORS);

/// Runs many TCP connects concurrently with a concurrency limit and a per-connect deadline,
/// streaming each result to a sink. One io_uring ring, epoll set or (Windows) I/O completion
/// port per thread; the threads take targets from one atomic cursor. Movable, not copyable.
/// Linux (io_uring, epoll) and Windows (IOCP with ConnectEx).
class DIAL_API engine {
 public:
  /// Probes and sets up the back-end: for io_uring a ring, a NOP round trip and an opcode probe
  /// per thread; automatic falls back to epoll when io_uring is refused. Preallocates every slot.
  [[nodiscard]] static std::expected<engine, engine_create_error> create(
      const engine_options& options = {});

  /// Takes over another engine's rings and slots; `other` is left empty (only destructible or
  /// assignable).
  engine(engine&& other) noexcept;
  /// Takes over another engine's rings and slots.
  engine& operator=(engine&& other) noexcept;
  /// Releases rings, epoll sets and slots.
  ~engine();

  /// The back-end actually running: on Linux io_uring or epoll (never automatic); on Windows
  /// automatic, which is IOCP there.
  [[nodiscard]] engine_backend backend() const noexcept;
  /// The number of rings or epoll sets (one thread each during run()).
  [[nodiscard]] unsigned threads() const noexcept;
  /// The connects in flight at most, after clamping to the descriptor limit (docs/engine.md).
  [[nodiscard]] std::size_t concurrency() const noexcept;

  /// Connects to every target (TCP stream sockets, non-blocking, close-on-exec; each socket is
  /// closed right after its result unless keep_connections hands it over), at most `concurrency`
  /// at a time, streaming each result to `sink`. Returns when every target has a result, or when
  /// `stop` is requested (then every started connect gets Canceled and unstarted targets get no
  /// result). Returns the count of results delivered. Unix addresses are accepted (AF_UNIX stream
  /// sockets; on Windows they end AddressFamilyNotSupported: ConnectEx is TCP only).
  std::size_t run(std::span<const address> targets, engine_sink& sink, std::stop_token stop = {});

  /// Implementation detail (src/linux/engine.cpp, src/windows/engine.cpp).
  struct impl;

 private:
  explicit engine(std::unique_ptr<impl> p) noexcept;
  std::unique_ptr<impl> impl_;
};

}  // namespace dial

DIAL_REGISTER_ERROR_SET(dial::engine_connect_error);
DIAL_REGISTER_ERROR_SET(dial::engine_create_error);
