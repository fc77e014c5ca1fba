// A single-threaded epoll event loop: descriptor callbacks, timers and posted tasks.
// paddockd runs all supervision on one loop thread, so plugin state needs no locks there;
// other threads talk to it only through Post().
#pragma once

#include <sys/epoll.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <unordered_map>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "paddock/fd.h"

namespace paddock::host {

class EventLoop {
 public:
  using FdCallback = std::function<void(uint32_t events)>;
  using TimerId = uint64_t;

  // Returns a loop, or an error if epoll/eventfd cannot be created.
  static absl::StatusOr<std::unique_ptr<EventLoop>> Create();
  ~EventLoop();

  // Calls `cb` on the loop thread whenever `fd` has any of `events` (EPOLLIN, ...).
  // `fd` is not owned and must stay open until Unwatch. Loop thread only.
  absl::Status Watch(int fd, uint32_t events, FdCallback cb);
  // Stops watching `fd`; safe to call from inside its own callback. Loop thread only.
  void Unwatch(int fd);

  // Runs `fn` once after `delay` on the loop thread. Loop thread only.
  TimerId RunAfter(absl::Duration delay, std::function<void()> fn);
  // Cancels a timer that has not fired; unknown ids are ignored. Loop thread only.
  void Cancel(TimerId id);

  // Runs `fn` on the loop thread soon. Thread-safe.
  void Post(std::function<void()> fn);

  // Runs until Quit(). Must be called from the thread that owns the loop.
  void Run();
  // Makes Run() return after the current iteration. Thread-safe.
  void Quit();
  // After Run() has returned: runs posted tasks only (no descriptors, no timers) until
  // `done` returns true. Lets threads that wait on a posted task (control requests still in
  // flight while the servers shut down) finish instead of blocking forever. `done` is
  // checked after every wake-up and at least every 50 ms. Loop thread only.
  void ServePostedUntil(const std::function<bool()>& done);

  // Now, by the loop's clock.
  static absl::Time Now() { return absl::Now(); }

 private:
  EventLoop(UniqueFd epoll, UniqueFd wake);
  void DrainPosted();
  int NextTimeoutMs();
  void FireTimers();

  UniqueFd epoll_;
  UniqueFd wake_;  // eventfd written by Post/Quit.
  struct Watcher {
    uint32_t serial;  // Distinguishes a reused fd number within one epoll batch.
    std::shared_ptr<FdCallback> cb;
  };
  std::unordered_map<int, Watcher> watchers_;
  uint32_t next_serial_ = 1;
  std::map<std::pair<absl::Time, TimerId>, std::function<void()>> timers_;
  std::unordered_map<TimerId, absl::Time> timer_deadlines_;
  TimerId next_timer_ = 1;
  absl::Mutex mu_;
  std::vector<std::function<void()>> posted_ ABSL_GUARDED_BY(mu_);
  bool quit_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace paddock::host
