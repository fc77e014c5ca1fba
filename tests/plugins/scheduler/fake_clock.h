// A simulated clock for schedule tests: time moves only when a sleeper asks for a time at or
// before the horizon the test allows; a sleep past the horizon waits (10 ms of real time at
// most, so the runner can notice Stop) without moving time.
#pragma once

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>

#include "clock.h"

namespace paddock::scheduler::testing {

class FakeClock final : public Clock {
 public:
  // Monotonic time starts at `mono_ns`; wall time is `real_ns` at that moment.
  FakeClock(int64_t mono_ns, int64_t real_ns)
      : mono_(mono_ns), offset_(real_ns - mono_ns), horizon_(mono_ns) {}

  int64_t Now(ClockId id) override {
    std::lock_guard<std::mutex> lock(mu_);
    return id == ClockId::kMonotonic ? mono_ : mono_ + offset_;
  }

  void SleepUntil(ClockId id, int64_t deadline_ns) override {
    std::unique_lock<std::mutex> lock(mu_);
    const int64_t target = id == ClockId::kMonotonic ? deadline_ns : deadline_ns - offset_;
    if (target > horizon_) {
      cv_.wait_for(lock, std::chrono::milliseconds(10));
      if (target > horizon_) return;
    }
    mono_ = std::max(mono_, target);
  }

  // Lets time run up to wall time `real_ns`.
  void AllowUntilReal(int64_t real_ns) {
    std::lock_guard<std::mutex> lock(mu_);
    horizon_ = real_ns - offset_;
    cv_.notify_all();
  }
  // Lets time run up to monotonic time `mono_ns`.
  void AllowUntilMono(int64_t mono_ns) {
    std::lock_guard<std::mutex> lock(mu_);
    horizon_ = mono_ns;
    cv_.notify_all();
  }
  // Jumps monotonic (and wall) time forward by `ns`, as if the thread had been stalled.
  void Jump(int64_t ns) {
    std::lock_guard<std::mutex> lock(mu_);
    mono_ += ns;
    horizon_ = std::max(horizon_, mono_);
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int64_t mono_;
  const int64_t offset_;
  int64_t horizon_;
};

}  // namespace paddock::scheduler::testing
