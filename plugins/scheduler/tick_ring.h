// Ticks travel from a timer thread to any number of readers (Subscribe streams, the invoke
// thread) through a fixed ring the timer thread overwrites without ever waiting: each slot is
// a seqlock, so a reader that falls behind by more than the ring's size learns how many
// ticks it lost instead of slowing the timer down. Readers sleep on a TickSignal, a futex
// word every timer thread bumps after publishing.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

namespace paddock::scheduler {

struct TickRecord {
  uint64_t sequence = 0;       // Deadline number since the task was armed.
  int64_t scheduled_ns = 0;    // The deadline on the task's clock.
  int64_t actual_ns = 0;       // When the timer thread saw it pass.
  uint64_t missed_before = 0;  // Deadlines skipped just before this one.
};

// One writer, many readers. Thread-safe under that contract.
class TickRing {
 public:
  static constexpr uint64_t kCapacity = 4096;  // A power of two.
  TickRing();

  // Appends a record (writer only). Never blocks.
  void Publish(const TickRecord& r);
  // Records published so far.
  uint64_t published() const { return head_.load(std::memory_order_acquire); }

  enum class ReadResult { kOk, kNotYet, kOverwritten };
  // Reads record number `index` (0-based publish count). kNotYet when it has not been
  // published, kOverwritten when the writer already reused its slot.
  ReadResult Read(uint64_t index, TickRecord* out) const;

 private:
  struct Slot {
    std::atomic<uint64_t> stamp{0};  // index + 1 when complete, 0 while being written.
    std::atomic<uint64_t> sequence{0}, missed_before{0};
    std::atomic<int64_t> scheduled_ns{0}, actual_ns{0};
  };
  std::unique_ptr<Slot[]> slots_;
  std::atomic<uint64_t> head_{0};
};

// A counter readers can sleep on (futex). Notify is lock-free and makes a syscall only when
// someone sleeps. Thread-safe.
class TickSignal {
 public:
  // The current value; pass it to Wait.
  uint32_t value() const { return word_.load(std::memory_order_acquire); }
  // Bumps the value and wakes every sleeper.
  void Notify();
  // Sleeps until the value differs from `seen` or `timeout_ms` passes (or spuriously).
  void Wait(uint32_t seen, int timeout_ms);

 private:
  std::atomic<uint32_t> word_{0};
  std::atomic<int32_t> sleepers_{0};
};

}  // namespace paddock::scheduler
