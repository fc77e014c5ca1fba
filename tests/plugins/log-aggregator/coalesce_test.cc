#include "coalesce.h"

#include <catch2/catch.hpp>

namespace paddock::logagg {
namespace {

TEST_CASE("Coalescing waits stay at the floor when batches nearly fill", "[coalesce]") {
  // 200 of 256 after 2 ms: 2.56 ms fills one.
  CHECK(NextCoalesceUs(2000, 200, 256, 2000, 8000) == 2560);
  // A full batch never makes the wait shorter than the floor.
  CHECK(NextCoalesceUs(2000, 256, 256, 2000, 8000) == 2000);
  CHECK(NextCoalesceUs(8000, 1024, 256, 2000, 8000) == 2000);
}

TEST_CASE("Coalescing waits grow with how short the batch was, up to the cap", "[coalesce]") {
  // 50k lines/s: ~100 per 2 ms -> 5.12 ms fills 256.
  CHECK(NextCoalesceUs(2000, 100, 256, 2000, 8000) == 5120);
  // Then ~256 per 5.12 ms: stays.
  CHECK(NextCoalesceUs(5120, 256, 256, 2000, 8000) == 5120);
  // A trickle: capped.
  CHECK(NextCoalesceUs(2000, 1, 256, 2000, 8000) == 8000);
  CHECK(NextCoalesceUs(8000, 3, 256, 2000, 8000) == 8000);
  // The rate rises again: back toward the floor in one step.
  CHECK(NextCoalesceUs(8000, 1024, 256, 2000, 8000) == 2000);
}

TEST_CASE("Coalescing edge cases", "[coalesce]") {
  CHECK(NextCoalesceUs(0, 128, 256, 2000, 8000) == 4000);  // No wait before: as the floor.
  CHECK(NextCoalesceUs(3000, 0, 256, 2000, 8000) == 8000);
  CHECK(NextCoalesceUs(3000, 10, 256, 9000, 8000) == 9000);  // Floor above the cap wins.
  CHECK(NextCoalesceUs(UINT32_MAX, 1, UINT32_MAX, 1, UINT32_MAX) == UINT32_MAX);
}

}  // namespace
}  // namespace paddock::logagg
