// The preallocated ring between the receiver thread (single producer) and the writer thread
// (single consumer). A slot holds one record: its 64-byte header followed by the line, so
// the writer hands the kernel header+line as one iovec straight from the ring (the line was
// put there by recvmmsg: one copy from the kernel, none in user space). Lines longer than a
// slot live in a byte ring for large records instead (the one place a line is copied once
// more, to join the parts recvmmsg scattered).
//
// Thread-safety: one producer thread calls the producer methods, one consumer thread the
// consumer methods; indices are published with release/acquire atomics. Nothing blocks.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "absl/status/statusor.h"

namespace paddock::logagg {

// An anonymous private mapping, unmapped on destruction. Pages are touched only when used.
class Mapping {
 public:
  // `huge_pages`: asks for transparent huge pages (madvise; advisory) and touches every page
  // now. For memory cycled through all the time (the ring): ten 2 MiB pages instead of
  // 4,600 4 KiB ones spare the copies in and out TLB misses. Touched now because a huge
  // page fault may compact memory first (defrag "madvise"): a stall of the receiver that a
  // test saw as kernel drops when it happened mid-stream; at start-up it costs nothing.
  static absl::StatusOr<Mapping> Create(size_t bytes, bool huge_pages = false);
  Mapping() = default;
  Mapping(Mapping&& o) noexcept;
  Mapping& operator=(Mapping&& o) noexcept;
  ~Mapping();
  char* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  char* data_ = nullptr;
  size_t size_ = 0;
};

class Ring {
 public:
  // What the consumer writes for one slot: `size` bytes at `data` (header + line).
  struct Record {
    const char* data;
    uint32_t size;
  };

  // slots >= 2, slot_bytes in [64, 65535], large_bytes >= 128 KiB. InvalidArgument otherwise;
  // ResourceExhausted when the mappings fail.
  static absl::StatusOr<std::unique_ptr<Ring>> Create(uint32_t slots, uint32_t slot_bytes,
                                                      uint32_t large_bytes);

  uint32_t slots() const { return slots_; }
  uint32_t slot_bytes() const { return slot_bytes_; }

  // --- Producer ---
  // Slots free for the producer now.
  uint32_t FreeSlots() const {
    return slots_ - static_cast<uint32_t>(head_local_ - tail_.load(std::memory_order_acquire));
  }
  // The unpublished slot `head + i` (i < FreeSlots()): where its header and line go.
  char* SlotHeader(uint32_t i) const { return SlotBase(head_local_ + i); }
  char* SlotLine(uint32_t i) const { return SlotBase(head_local_ + i) + kHeader; }
  // Marks slot `head + i` as holding a record of `size` bytes (header + line) in the slot.
  void SetSmall(uint32_t i, uint32_t size);
  // Reserves `size` contiguous bytes (header + line) in the large ring for slot `head + i`
  // and returns where to put them, or nullptr when the large ring has no room now.
  // Reservations must be made in increasing i.
  char* ReserveLarge(uint32_t i, uint32_t size);
  // Makes the first `n` unpublished slots visible to the consumer.
  void Publish(uint32_t n);
  // True when every published record has been released (producer side).
  bool Drained() const { return tail_.load(std::memory_order_acquire) == head_local_; }

  // Records published so far (any thread).
  uint64_t PublishedTotal() const { return head_.load(std::memory_order_acquire); }
  // Records released so far (any thread).
  uint64_t ReleasedTotal() const { return tail_.load(std::memory_order_acquire); }

  // --- Consumer ---
  // Records published and not yet released.
  uint64_t Available() const { return head_.load(std::memory_order_acquire) - tail_local_; }
  // The record `i` places after the oldest unreleased one (i < Available()).
  Record At(uint64_t i) const;
  // Frees the `n` oldest records (and their large-ring bytes) for the producer.
  void Release(uint64_t n);

 private:
  static constexpr size_t kHeader = 64;
  struct Desc {
    const char* data;
    uint32_t size;
    uint64_t large_end;  // Large-ring offset to release up to (0: none).
  };
  Ring() = default;
  char* SlotBase(uint64_t index) const { return slots_map_.data() + (index % slots_) * stride_; }

  uint32_t slots_ = 0, slot_bytes_ = 0;
  size_t stride_ = 0;
  Mapping slots_map_, large_map_;
  std::unique_ptr<Desc[]> desc_;
  uint64_t large_bytes_ = 0;

  alignas(64) std::atomic<uint64_t> head_{0};  // Published by the producer.
  uint64_t head_local_ = 0;                    // Producer only.
  uint64_t large_head_ = 0;                    // Producer only.
  alignas(64) std::atomic<uint64_t> tail_{0};  // Released by the consumer.
  std::atomic<uint64_t> large_tail_{0};        // Released by the consumer.
  uint64_t tail_local_ = 0;                    // Consumer only.
};

}  // namespace paddock::logagg
