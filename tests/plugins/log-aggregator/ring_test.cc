#include "ring.h"

#include <catch2/catch.hpp>
#include <cstring>
#include <string>
#include <thread>

namespace paddock::logagg {

TEST_CASE("Ring rejects bad geometry", "[ring]") {
  REQUIRE_FALSE(Ring::Create(1, 2048, 1 << 20).ok());
  REQUIRE_FALSE(Ring::Create(16, 10, 1 << 20).ok());
  REQUIRE_FALSE(Ring::Create(16, 2048, 1000).ok());
}

TEST_CASE("Ring hands records over in order, small and large", "[ring]") {
  auto ring = *Ring::Create(8, 256, 128 << 10);
  REQUIRE(ring->FreeSlots() == 8);
  // Three small records and one large.
  for (uint32_t i = 0; i < 3; ++i) {
    std::memset(ring->SlotHeader(i), 'a' + i, 64 + 10);
    ring->SetSmall(i, 74);
  }
  char* big = ring->ReserveLarge(3, 64 + 1000);
  REQUIRE(big != nullptr);
  std::memset(big, 'L', 1064);
  ring->Publish(4);
  REQUIRE(ring->FreeSlots() == 4);
  REQUIRE(ring->Available() == 4);
  for (uint64_t i = 0; i < 3; ++i) {
    Ring::Record r = ring->At(i);
    REQUIRE(r.size == 74);
    REQUIRE(r.data[0] == static_cast<char>('a' + i));
  }
  REQUIRE(ring->At(3).size == 1064);
  REQUIRE(ring->At(3).data == big);
  ring->Release(4);
  REQUIRE(ring->FreeSlots() == 8);
  REQUIRE(ring->Available() == 0);
  REQUIRE(ring->PublishedTotal() == 4);
  REQUIRE(ring->ReleasedTotal() == 4);
}

TEST_CASE("The large ring wraps and refuses when full", "[ring]") {
  auto ring = *Ring::Create(64, 256, 128 << 10);
  const uint32_t chunk = 50 << 10;
  REQUIRE(ring->ReserveLarge(0, chunk) != nullptr);
  REQUIRE(ring->ReserveLarge(1, chunk) != nullptr);
  REQUIRE(ring->ReserveLarge(2, chunk) == nullptr);  // 150 KiB > 128 KiB.
  ring->Publish(2);
  ring->Release(1);  // Frees the first 50 KiB.
  // 28 KiB left at the end is too little: the reservation wraps to the start.
  char* p = ring->ReserveLarge(0, chunk);
  REQUIRE(p != nullptr);
  ring->Publish(1);
  ring->Release(2);
  REQUIRE(ring->ReserveLarge(0, 129 << 10) == nullptr);  // Bigger than the ring.
}

TEST_CASE("Ring transfers a million records between two threads", "[ring]") {
  auto ring = *Ring::Create(1024, 256, 1 << 20);
  constexpr uint64_t kN = 1'000'000;
  std::thread producer([&] {
    uint64_t next = 0;
    while (next < kN) {
      uint32_t free = ring->FreeSlots();
      uint32_t n = 0;
      for (; n < free && next + n < kN; ++n) {
        uint64_t v = next + n;
        if (v % 1000 == 999) {
          char* p = ring->ReserveLarge(n, 64 + 300);
          if (p == nullptr) break;
          std::memcpy(p, &v, sizeof(v));
        } else {
          std::memcpy(ring->SlotHeader(n), &v, sizeof(v));
          ring->SetSmall(n, 64 + static_cast<uint32_t>(v % 100));
        }
      }
      ring->Publish(n);
      next += n;
      if (n == 0) std::this_thread::yield();
    }
  });
  uint64_t expect = 0;
  while (expect < kN) {
    uint64_t avail = ring->Available();
    for (uint64_t i = 0; i < avail; ++i) {
      Ring::Record r = ring->At(i);
      uint64_t v;
      std::memcpy(&v, r.data, sizeof(v));
      REQUIRE(v == expect);
      REQUIRE(r.size == (v % 1000 == 999 ? 364u : 64u + v % 100));
      ++expect;
    }
    ring->Release(avail);
    if (avail == 0) std::this_thread::yield();
  }
  producer.join();
}

}  // namespace paddock::logagg
