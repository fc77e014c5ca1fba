// Keeps the calling thread on one CPU while it lives. BPF_PROG_TEST_RUN runs the program on
// the caller's CPU, and the program writes into that CPU's ring buffer: pinned, a test's
// records all go to one ring and are read back in the order they were made.
#pragma once

#include <sched.h>

namespace paddock::http_sampler::testing {

class CpuPin {
 public:
  // Pins to `cpu`, or to the CPU the thread runs on now when `cpu` is -1. ok() is false
  // when the kernel refused (e.g. a CPU outside the thread's allowed set).
  explicit CpuPin(int cpu = -1) {
    saved_ = ::sched_getaffinity(0, sizeof(old_), &old_) == 0;
    if (cpu < 0) cpu = ::sched_getcpu();
    cpu_set_t one;
    CPU_ZERO(&one);
    if (cpu >= 0) CPU_SET(cpu, &one);
    ok_ = cpu >= 0 && ::sched_setaffinity(0, sizeof(one), &one) == 0;
  }
  ~CpuPin() {
    if (saved_) (void)::sched_setaffinity(0, sizeof(old_), &old_);
  }
  CpuPin(const CpuPin&) = delete;
  CpuPin& operator=(const CpuPin&) = delete;
  bool ok() const { return ok_; }

 private:
  cpu_set_t old_;
  bool saved_ = false;
  bool ok_ = false;
};

}  // namespace paddock::http_sampler::testing
