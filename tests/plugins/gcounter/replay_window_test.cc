#include "replay_window.h"

#include <catch2/catch.hpp>

using paddock::gcounter::ReplayWindow;
using V = ReplayWindow::Verdict;

TEST_CASE("replay window accepts each sequence number once", "[gcounter][replay]") {
  ReplayWindow w(16);
  CHECK(w.CheckAndRecord(7, 100) == V::kInOrder);
  CHECK(w.CheckAndRecord(7, 100) == V::kReplayed);
  CHECK(w.CheckAndRecord(7, 102) == V::kInOrder);
  CHECK(w.CheckAndRecord(7, 101) == V::kReordered);
  CHECK(w.CheckAndRecord(7, 101) == V::kReplayed);
  CHECK(w.CheckAndRecord(7, 99) == V::kReordered);  // Inside the window, never seen.
  CHECK(w.CheckAndRecord(8, 1) == V::kInOrder);     // Senders are independent.
}

TEST_CASE("replay window slides: late packets inside it are accepted, older ones are not",
          "[gcounter][replay]") {
  ReplayWindow w(16);
  REQUIRE(w.CheckAndRecord(1, 1000) == V::kInOrder);
  CHECK(w.CheckAndRecord(1, 1000 - 127) == V::kReordered);
  CHECK(w.CheckAndRecord(1, 1000 - 128) == V::kTooOld);
  // Jumps of 1..200 keep the bitmap consistent across the 64-bit word boundary.
  uint64_t seq = 1000;
  for (uint64_t jump : {1, 63, 64, 65, 127, 128, 200, 3}) {
    seq += jump;
    CHECK(w.CheckAndRecord(1, seq) == V::kInOrder);
    CHECK(w.CheckAndRecord(1, seq) == V::kReplayed);
  }
  // After a jump of 70, the packet 70 behind the newest (seen) is still a replay.
  uint64_t base = seq;
  CHECK(w.CheckAndRecord(1, base + 70) == V::kInOrder);
  CHECK(w.CheckAndRecord(1, base) == V::kReplayed);
  CHECK(w.CheckAndRecord(1, base + 1) == V::kReordered);
}

TEST_CASE("replay window forgets the least recently heard sender beyond its capacity",
          "[gcounter][replay]") {
  ReplayWindow w(2);
  w.CheckAndRecord(1, 5);
  w.CheckAndRecord(2, 5);
  w.CheckAndRecord(1, 6);  // 1 is now the most recent.
  w.CheckAndRecord(3, 5);  // Evicts 2.
  CHECK(w.senders() == 2);
  CHECK(w.CheckAndRecord(1, 6) == V::kReplayed);
  CHECK(w.CheckAndRecord(2, 5) == V::kInOrder);  // Forgotten, so accepted again.
}
