#include "delta_buffer.h"

#include <catch2/catch.hpp>

namespace gc = paddock::gcounter;

namespace {

gc::WireEntry E(std::string name, uint64_t p, uint64_t version) {
  return gc::WireEntry{std::move(name), gc::EntryValue{p, 0, version, gc::Kind::kGrowOnly}};
}

}  // namespace

TEST_CASE("many increments of one counter coalesce into one entry", "[gcounter][delta]") {
  gc::DeltaBuffer d;
  for (uint64_t v = 1; v <= 1000; ++v) d.Add(1, v - 1, v, {E("c", v, v)}, 0);
  REQUIRE(d.size() == 1);
  auto items = d.ForPeer(42);
  REQUIRE(items.size() == 1);
  CHECK(items[0]->from == 0);
  CHECK(items[0]->to == 1000);
  REQUIRE(items[0]->entries.size() == 1);
  CHECK(items[0]->entries.at("c").p == 1000);
}

TEST_CASE("an item is not sent back to the peer it came from, nor twice to a peer",
          "[gcounter][delta]") {
  gc::DeltaBuffer d;
  d.Add(1, 0, 1, {E("c", 1, 1)}, /*source=*/7);
  CHECK(d.ForPeer(7).empty());
  auto items = d.ForPeer(8);
  REQUIRE(items.size() == 1);
  gc::DeltaBuffer::Sent(items[0], 8);
  CHECK(d.ForPeer(8).empty());
  CHECK(d.ForPeer(9).size() == 1);
  // A peer that sends us the same changes holds them.
  d.MarkKnown(1, 0, 1, {E("c", 1, 1)}, 9);
  CHECK(d.ForPeer(9).empty());
  // News resets who holds the item.
  d.Add(1, 1, 2, {E("c", 2, 2)}, 10);
  CHECK(d.ForPeer(8).size() == 1);
  CHECK(d.ForPeer(10).empty());
}

TEST_CASE("a peer's claim that does not cover our entries does not mark it", "[gcounter][delta]") {
  gc::DeltaBuffer d;
  d.Add(1, 0, 5, {E("a", 1, 3), E("b", 1, 5)}, 0);
  d.MarkKnown(1, 4, 5, {E("b", 1, 5)}, 3);  // Knows b, but not a (version 3 <= 4).
  CHECK(d.ForPeer(3).size() == 1);
  d.MarkKnown(1, 2, 5, {E("b", 1, 5)}, 3);
  CHECK(d.ForPeer(3).empty());
}

TEST_CASE("claims join when contiguous; a gap keeps the newer claim", "[gcounter][delta]") {
  gc::DeltaBuffer d;
  d.Add(1, 0, 3, {E("a", 1, 3)}, 0);
  d.Add(1, 3, 6, {E("b", 1, 6)}, 0);
  auto items = d.ForPeer(1);
  CHECK(items[0]->from == 0);
  CHECK(items[0]->to == 6);
  d.Add(1, 9, 10, {E("c", 1, 10)}, 0);
  items = d.ForPeer(1);
  CHECK(items[0]->from == 9);
  CHECK(items[0]->to == 10);
  CHECK(items[0]->entries.size() == 3);  // Older entries stay: still valid values.
  d.Add(1, 4, 4, {E("d", 1, 4)}, 0);     // No claim: only the entry joins.
  items = d.ForPeer(1);
  CHECK(items[0]->from == 9);
  CHECK(items[0]->entries.size() == 4);
}

TEST_CASE("items retire after their transmissions; least-sent go first", "[gcounter][delta]") {
  gc::DeltaBuffer d;
  d.Add(1, 0, 1, {E("a", 1, 1)}, 0);
  d.Add(2, 0, 1, {E("a", 1, 1)}, 0);
  auto items = d.ForPeer(100);
  REQUIRE(items.size() == 2);
  gc::DeltaBuffer::Sent(items[0], 100);
  gc::DeltaBuffer::Sent(items[0], 101);
  items = d.ForPeer(200);
  CHECK(items[0]->sends == 0);
  CHECK(items[1]->sends == 2);
  d.Retire(2);
  CHECK(d.size() == 1);
  d.Retire(0);
  CHECK(d.empty());
}
