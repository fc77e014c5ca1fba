// The tick ring (seqlock slots, overwrite detection) and the futex signal.
#include "tick_ring.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

namespace paddock::scheduler {
namespace {

TEST_CASE("ticks are read back in order, a lapped reader is told") {
  TickRing ring;
  TickRecord r;
  CHECK(ring.Read(0, &r) == TickRing::ReadResult::kNotYet);
  for (uint64_t i = 0; i < TickRing::kCapacity + 10; ++i) {
    ring.Publish({i, int64_t(i) * 10, int64_t(i) * 10 + 3, i % 2});
  }
  CHECK(ring.published() == TickRing::kCapacity + 10);
  CHECK(ring.Read(5, &r) == TickRing::ReadResult::kOverwritten);
  REQUIRE(ring.Read(10, &r) == TickRing::ReadResult::kOk);
  CHECK(r.sequence == 10);
  CHECK(r.scheduled_ns == 100);
  CHECK(r.actual_ns == 103);
  CHECK(r.missed_before == 0);
  CHECK(ring.Read(TickRing::kCapacity + 10, &r) == TickRing::ReadResult::kNotYet);
}

TEST_CASE("a concurrent reader never sees a torn record") {
  TickRing ring;
  std::atomic<bool> reader_done{false};
  std::thread writer([&] {
    for (uint64_t i = 0; !reader_done.load(std::memory_order_relaxed); ++i) {
      ring.Publish({i, int64_t(i), int64_t(i) * 2, i * 3});
    }
  });
  uint64_t ok = 0, torn = 0, lapped = 0;
  while (ok < 100000) {
    const uint64_t head = ring.published();
    if (head == 0) continue;
    TickRecord r;
    switch (ring.Read(head - 1, &r)) {
      case TickRing::ReadResult::kOk:
        ++ok;
        if (r.actual_ns != r.scheduled_ns * 2 || r.missed_before != r.sequence * 3) ++torn;
        break;
      case TickRing::ReadResult::kOverwritten:
        ++lapped;
        break;
      case TickRing::ReadResult::kNotYet:
        break;
    }
  }
  reader_done = true;
  writer.join();
  CHECK(torn == 0);
  INFO("lapped reads: " << lapped);
  CHECK(ring.published() > TickRing::kCapacity);
}

TEST_CASE("the signal wakes a sleeper, a stale value returns at once") {
  TickSignal signal;
  const uint32_t seen = signal.value();
  std::thread notifier([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    signal.Notify();
  });
  auto start = std::chrono::steady_clock::now();
  while (signal.value() == seen) signal.Wait(seen, 5000);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(2));
  notifier.join();
  start = std::chrono::steady_clock::now();
  signal.Wait(seen, 5000);  // Already moved on: no sleep.
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::milliseconds(500));
}

}  // namespace
}  // namespace paddock::scheduler
