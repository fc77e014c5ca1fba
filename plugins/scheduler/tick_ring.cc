#include "tick_ring.h"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

namespace paddock::scheduler {

TickRing::TickRing() : slots_(new Slot[kCapacity]) {}

void TickRing::Publish(const TickRecord& r) {
  const uint64_t index = head_.load(std::memory_order_relaxed);
  Slot& s = slots_[index & (kCapacity - 1)];
  // Seqlock write: mark the slot busy, write the fields, then stamp it complete.
  s.stamp.store(0, std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_release);
  s.sequence.store(r.sequence, std::memory_order_relaxed);
  s.scheduled_ns.store(r.scheduled_ns, std::memory_order_relaxed);
  s.actual_ns.store(r.actual_ns, std::memory_order_relaxed);
  s.missed_before.store(r.missed_before, std::memory_order_relaxed);
  s.stamp.store(index + 1, std::memory_order_release);
  head_.store(index + 1, std::memory_order_release);
}

TickRing::ReadResult TickRing::Read(uint64_t index, TickRecord* out) const {
  if (index >= head_.load(std::memory_order_acquire)) return ReadResult::kNotYet;
  const Slot& s = slots_[index & (kCapacity - 1)];
  const uint64_t before = s.stamp.load(std::memory_order_acquire);
  if (before != index + 1) return ReadResult::kOverwritten;  // Reused (or being reused).
  out->sequence = s.sequence.load(std::memory_order_relaxed);
  out->scheduled_ns = s.scheduled_ns.load(std::memory_order_relaxed);
  out->actual_ns = s.actual_ns.load(std::memory_order_relaxed);
  out->missed_before = s.missed_before.load(std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_acquire);
  if (s.stamp.load(std::memory_order_relaxed) != before) return ReadResult::kOverwritten;
  return ReadResult::kOk;
}

void TickSignal::Notify() {
  // seq_cst on both sides (Dekker): either the sleeper's FUTEX_WAIT sees the new value, or
  // this load sees the sleeper.
  word_.fetch_add(1);
  if (sleepers_.load() > 0) {
    syscall(SYS_futex, &word_, FUTEX_WAKE_PRIVATE, INT32_MAX, nullptr, nullptr, 0);
  }
}

void TickSignal::Wait(uint32_t seen, int timeout_ms) {
  sleepers_.fetch_add(1);
  timespec ts{timeout_ms / 1000, static_cast<long>(timeout_ms % 1000) * 1000000};
  // FUTEX_WAIT returns at once (EAGAIN) if the word already moved past `seen`.
  syscall(SYS_futex, &word_, FUTEX_WAIT_PRIVATE, seen, &ts, nullptr, 0);
  sleepers_.fetch_sub(1);
}

}  // namespace paddock::scheduler
