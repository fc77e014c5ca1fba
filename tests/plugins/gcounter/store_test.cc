#include "store.h"

#include <catch2/catch.hpp>

namespace gc = paddock::gcounter;

namespace {

gc::EntryValue V(uint64_t p, uint64_t n, uint64_t version,
                 gc::Kind kind = gc::Kind::kPositiveNegative) {
  return gc::EntryValue{p, n, version, kind};
}

}  // namespace

TEST_CASE("merge is the pointwise maximum: idempotent, commutative, associative",
          "[gcounter][store]") {
  std::vector<std::tuple<gc::ReplicaId, std::string, gc::EntryValue>> updates = {
      {1, "c", V(5, 0, 1)}, {2, "c", V(3, 1, 1)}, {1, "c", V(7, 2, 2)},
      {3, "c", V(1, 0, 4)}, {2, "c", V(3, 4, 2)}, {1, "c", V(6, 0, 1)},  // Stale.
  };
  std::optional<__int128> first;
  std::vector<size_t> order(updates.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  int permutations = 0;
  do {
    gc::Store s(100, 100);
    for (size_t i : order) {
      auto& [o, n, v] = updates[i];
      s.Merge(o, n, v);
      s.Merge(o, n, v);  // Duplicates change nothing.
    }
    auto view = s.Get("c", 0);
    REQUIRE(view);
    if (!first) first = view->value;
    CHECK(view->value == *first);
    CHECK(view->replicas == 3);
    ++permutations;
  } while (std::next_permutation(order.begin(), order.end()));
  CHECK(permutations == 720);
  CHECK(*first == (7 - 2) + (3 - 4) + 1);
}

TEST_CASE("merge reports whether anything grew", "[gcounter][store]") {
  gc::Store s(100, 100);
  CHECK(s.Merge(1, "c", V(1, 0, 1)) == gc::Store::MergeResult::kChanged);
  CHECK(s.Merge(1, "c", V(1, 0, 1)) == gc::Store::MergeResult::kUnchanged);
  CHECK(s.Merge(1, "c", V(0, 0, 1)) == gc::Store::MergeResult::kUnchanged);
  CHECK(s.Merge(1, "c", V(2, 0, 2)) == gc::Store::MergeResult::kChanged);
}

TEST_CASE("a G-Counter joined with a PN-Counter of the same name becomes a PN-Counter",
          "[gcounter][store]") {
  gc::Store s(100, 100);
  s.Merge(1, "c", V(5, 0, 1, gc::Kind::kGrowOnly));
  CHECK(s.Get("c", 0)->kind == gc::Kind::kGrowOnly);
  s.Merge(2, "c", V(1, 3, 1, gc::Kind::kPositiveNegative));
  CHECK(s.Get("c", 0)->kind == gc::Kind::kPositiveNegative);
  CHECK(s.Get("c", 0)->value == 3);
}

TEST_CASE("limits reject new counters and origins without partial effects", "[gcounter][store]") {
  gc::Store s(2, 2);
  CHECK(s.Merge(1, "a", V(1, 0, 1)) == gc::Store::MergeResult::kChanged);
  CHECK(s.Merge(1, "b", V(1, 0, 2)) == gc::Store::MergeResult::kChanged);
  CHECK(s.Merge(1, "c", V(1, 0, 3)) == gc::Store::MergeResult::kRejected);
  CHECK(s.Merge(2, "a", V(1, 0, 1)) == gc::Store::MergeResult::kChanged);
  CHECK(s.Merge(3, "a", V(1, 0, 1)) == gc::Store::MergeResult::kRejected);
  CHECK(s.counters() == 2);
  CHECK(s.origins() == 2);
  CHECK(s.Get("a", 0)->value == 2);
}

TEST_CASE("watermarks advance with contiguous claims and close gaps later", "[gcounter][store]") {
  gc::Store s(100, 100);
  CHECK(s.ApplyClaim(9, 0, 3));
  CHECK(s.Watermark(9) == 3);
  CHECK_FALSE(s.ApplyClaim(9, 5, 8));  // Gap (3, 5].
  CHECK(s.Watermark(9) == 3);
  CHECK_FALSE(s.ApplyClaim(9, 1, 2));  // Already covered.
  CHECK(s.ApplyClaim(9, 3, 5));        // Closes the gap: 8.
  CHECK(s.Watermark(9) == 8);
  CHECK_FALSE(s.ApplyClaim(9, 4, 4));  // Empty claims are no claims.
}

TEST_CASE("digests are equal exactly when watermarks are", "[gcounter][store]") {
  gc::Store a(100, 100), b(100, 100);
  CHECK(a.root() == b.root());
  a.ApplyClaim(1, 0, 5);
  CHECK(a.root() != b.root());
  b.ApplyClaim(1, 0, 3);
  CHECK(a.root() != b.root());
  b.ApplyClaim(1, 3, 5);
  CHECK(a.root() == b.root());
  CHECK(a.buckets() == b.buckets());
  a.ApplyClaim(2, 0, 1);
  int differing = 0;
  for (int i = 0; i < gc::kBuckets; ++i) differing += a.buckets()[i] != b.buckets()[i];
  CHECK(differing == 1);
  CHECK(a.WatermarksIn(static_cast<uint16_t>(1u << gc::BucketOf(2))).size() >= 1);
}

TEST_CASE("EntriesAfter lists an origin's changes past a version, in order", "[gcounter][store]") {
  gc::Store s(100, 100);
  s.Merge(1, "a", V(1, 0, 1));
  s.Merge(1, "b", V(1, 0, 2));
  s.Merge(1, "c", V(1, 0, 3));
  s.Merge(1, "a", V(2, 0, 4));  // "a" moves to version 4.
  auto after = s.EntriesAfter(1, 2);
  REQUIRE(after.size() == 2);
  CHECK(after[0].name == "c");
  CHECK(after[1].name == "a");
  CHECK(after[1].value.p == 2);
  CHECK(s.EntriesAfter(1, 4).empty());
  CHECK(s.EntriesAfter(2, 0).empty());
}

TEST_CASE("recency counts origins heard from within the window", "[gcounter][store]") {
  gc::Store s(100, 100);
  s.Merge(1, "c", V(1, 0, 1));
  s.Merge(2, "c", V(1, 0, 1));
  s.Touch(1, 1000);
  s.Touch(2, 50);
  auto v = s.Get("c", 100);
  REQUIRE(v);
  CHECK(v->replicas == 2);
  CHECK(v->replicas_recent == 1);
  auto list = s.List("", 10, 100);
  REQUIRE(list.size() == 1);
  CHECK(list[0].name == "c");
}
