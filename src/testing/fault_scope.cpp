// src/testing/fault_scope.cpp: fault_scope, a plan for this process's own threads: one filter
// for the rest of the process's life, answered by a supervisor thread, plans swapped per scope.
#include <sys/eventfd.h>
#include <unistd.h>

#include <condition_variable>
#include <mutex>
#include <system_error>
#include <thread>

#include "testing/fault_supervisor.hpp"

namespace dial::testing {
namespace {

struct scope_entry {
  std::uint64_t id;
  std::shared_ptr<const fault_plan> plan;
  std::vector<fault_event> events;
};

// The process's one filter and supervisor thread. Never destroyed: the filter outlives every
// scope, and the thread serves it (also for forked children) until the process ends.
class in_process {
 public:
  static in_process& get() {
    static in_process* const one = new in_process();  // intentionally leaked, see above
    return *one;
  }

  std::uint64_t push(fault_plan plan) {
    std::unique_lock lock(mutex_);
    const std::uint64_t id = ++last_id_;
    stack_.push_back({id, std::make_shared<const fault_plan>(std::move(plan)), {}});
    change(lock);
    return id;
  }

  void pop(std::uint64_t id) {
    std::unique_lock lock(mutex_);
    std::erase_if(stack_, [&](const scope_entry& e) { return e.id == id; });
    change(lock);
  }

  std::vector<fault_event> events(std::uint64_t id) const {
    const std::lock_guard lock(mutex_);
    for (const auto& e : stack_)
      if (e.id == id) return e.events;
    return {};
  }

 private:
  in_process() {
    const auto prog = detail::compile_filter({.pass_own_connects = true});
    const auto listener = prog ? detail::load_filter(*prog, true) : std::unexpected(prog.error());
    if (!listener)
      throw std::system_error(listener.error(), std::generic_category(),
                              "dial::testing::fault_scope: the seccomp filter");
    wake_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (wake_ < 0) throw std::system_error(errno, std::generic_category(), "eventfd");
    listener_ = *listener;
    std::thread([this] { run(); }).detach();
  }

  // Called with the lock held: the supervisor thread takes the new top plan, ending what the
  // old one held, and this waits until it has.
  void change(std::unique_lock<std::mutex>& lock) {
    const std::uint64_t want = ++generation_;
    const std::uint64_t one = 1;
    (void)::write(wake_, &one, sizeof one);
    applied_cv_.wait(lock, [&] { return applied_ >= want; });
  }

  void apply(detail::supervisor& sup) {
    std::uint64_t drained = 0;
    (void)::read(wake_, &drained, sizeof drained);
    const std::lock_guard lock(mutex_);
    sup.release_held();
    if (stack_.empty()) {
      sup.set_plan(nullptr, {}, false);
    } else {
      const std::uint64_t id = stack_.back().id;
      sup.set_plan(
          stack_.back().plan, [this, id](const fault_event& e) { record(id, e); }, false);
    }
    applied_ = generation_;
    applied_cv_.notify_all();
  }

  void record(std::uint64_t id, const fault_event& e) {
    const std::lock_guard lock(mutex_);
    for (auto& s : stack_)
      if (s.id == id) s.events.push_back(e);
  }

  void run() {
    detail::supervisor sup(listener_);
    pollfd extra{wake_, POLLIN, 0};
    for (;;) {
      if (sup.serve(std::span(&extra, 1)) == detail::supervisor::wake::hangup) return;
      apply(sup);
    }
  }

  mutable std::mutex mutex_;
  std::condition_variable applied_cv_;
  std::vector<scope_entry> stack_;
  std::uint64_t last_id_ = 0;
  std::uint64_t generation_ = 0;
  std::uint64_t applied_ = 0;
  int listener_ = -1;
  int wake_ = -1;
};

}  // namespace

fault_scope::fault_scope(fault_plan plan) : id_(in_process::get().push(std::move(plan))) {}

fault_scope::~fault_scope() { in_process::get().pop(id_); }

std::vector<fault_event> fault_scope::events() const { return in_process::get().events(id_); }

}  // namespace dial::testing
