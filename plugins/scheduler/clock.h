// The clocks a timer thread reads and sleeps on, behind a seam so schedules (cron above
// all) can be tested against a simulated clock.
#pragma once

#include <cstdint>

namespace paddock::scheduler {

// Which kernel clock. Periodic tasks run on kMonotonic; one-shot and cron tasks on
// kRealtime (wall time, UTC), so a changed system clock moves them as a user expects.
enum class ClockId { kMonotonic, kRealtime };

// Thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  // Current time of `id`, in nanoseconds since that clock's epoch.
  virtual int64_t Now(ClockId id) = 0;
  // Sleeps until `id` reaches `deadline_ns` (absolute). May return early (a signal, a
  // simulated clock's bounded wait): callers re-check Now() and loop.
  virtual void SleepUntil(ClockId id, int64_t deadline_ns) = 0;
};

// The kernel's clocks: clock_gettime (vDSO) and clock_nanosleep(TIMER_ABSTIME), which
// arms an hrtimer for the absolute deadline, so no drift accumulates from the loop.
class RealClock final : public Clock {
 public:
  int64_t Now(ClockId id) override;
  void SleepUntil(ClockId id, int64_t deadline_ns) override;
};

// The process-wide RealClock.
Clock& SystemClock();

}  // namespace paddock::scheduler
