#include "clock.h"

#include <time.h>

namespace paddock::scheduler {
namespace {

clockid_t Kernel(ClockId id) {
  return id == ClockId::kMonotonic ? CLOCK_MONOTONIC : CLOCK_REALTIME;
}

}  // namespace

int64_t RealClock::Now(ClockId id) {
  timespec ts;
  clock_gettime(Kernel(id), &ts);
  return int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
}

void RealClock::SleepUntil(ClockId id, int64_t deadline_ns) {
  if (deadline_ns < 0) return;
  timespec ts;
  ts.tv_sec = deadline_ns / 1000000000;
  ts.tv_nsec = deadline_ns % 1000000000;
  // EINTR returns early; the caller loops.
  clock_nanosleep(Kernel(id), TIMER_ABSTIME, &ts, nullptr);
}

Clock& SystemClock() {
  static RealClock* clock = new RealClock();
  return *clock;
}

}  // namespace paddock::scheduler
