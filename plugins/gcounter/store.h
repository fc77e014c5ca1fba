// The replicated state: every origin's entries of every counter, the per-origin watermark
// ("I hold every change this origin made up to version w"), and the digests compared in
// anti-entropy. The merge is the pointwise maximum, so it is idempotent, commutative and
// associative: lost, duplicated or reordered packets never change the converged value.
// Not thread-safe; the owner serializes access.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "codec.h"
#include "types.h"

namespace paddock::gcounter {

// What one counter looks like from this node.
struct CounterView {
  std::string name;
  Kind kind = Kind::kGrowOnly;
  __int128 value = 0;            // Sum of P parts minus sum of N parts.
  uint32_t replicas = 0;         // Origins with an entry in it.
  uint32_t replicas_recent = 0;  // Of those, heard from within the recency window.
};

class Store {
 public:
  enum class MergeResult { kUnchanged, kChanged, kRejected };

  // At most `max_counters` names and `max_origins` origins are kept; entries beyond them
  // are rejected (and counted by the caller), never half-applied.
  Store(size_t max_counters, size_t max_origins)
      : max_counters_(max_counters), max_origins_(max_origins) {}

  // Joins one entry of `origin` into the state. kChanged when anything grew.
  MergeResult Merge(ReplicaId origin, const std::string& name, const EntryValue& v);

  // Applies the claim "every change of `origin` in (from, to] is held": advances the
  // watermark when it reaches `from` (remembering up to 16 out-of-order claims until the
  // gap closes). Returns true when the watermark advanced.
  bool ApplyClaim(ReplicaId origin, uint64_t from, uint64_t to);
  // Sets the watermark of an origin whose changes this node makes itself.
  void SetOwnWatermark(ReplicaId self, uint64_t version);

  uint64_t Watermark(ReplicaId origin) const;
  // The entry of `origin` in `name`, if any.
  const EntryValue* Find(ReplicaId origin, const std::string& name) const;
  // Every entry of `origin` whose version is above `after`, in version order.
  std::vector<WireEntry> EntriesAfter(ReplicaId origin, uint64_t after) const;
  // Watermarks of the origins in the buckets of `mask`.
  std::vector<std::pair<ReplicaId, uint64_t>> WatermarksIn(uint16_t mask) const;
  // Every origin with a watermark above 0, with its watermark.
  std::vector<std::pair<ReplicaId, uint64_t>> Watermarks() const { return WatermarksIn(0xffff); }

  // Digests over (origin, watermark) of every origin with a watermark above 0: equal
  // digests mean equal watermarks (up to 2^-64 chance).
  uint64_t root() const { return root_; }
  // 16 bits of DigestOf(origin, watermark) for every origin with a watermark above 0,
  // sorted: a peer holding this sketch can tell (w.h.p.) whether we hold an origin up to
  // a given watermark. Maintained as watermarks change.
  const std::vector<uint16_t>& Sketch() const { return sketch_; }
  const std::array<uint64_t, kBuckets>& buckets() const { return buckets_; }

  // Marks `origin` as heard from at `now_ns` (a packet from it, or news of it).
  void Touch(ReplicaId origin, int64_t now_ns);
  // Last time `origin` was heard from; 0 if never.
  int64_t LastHeard(ReplicaId origin) const;

  // One counter; nullopt if unknown. `recent_after_ns`: origins heard after it count as recent.
  std::optional<CounterView> Get(const std::string& name, int64_t recent_after_ns) const;
  // Counters in name order starting at `start` (inclusive), at most `limit`.
  std::vector<CounterView> List(const std::string& start, size_t limit,
                                int64_t recent_after_ns) const;
  // Calls fn(origin, name, value) for every entry (for checkpoints).
  template <typename Fn>
  void ForEachEntry(Fn fn) const {
    for (const auto& [id, o] : origins_) {
      for (const auto& [name, v] : o.entries) fn(id, name, v);
    }
  }

  size_t counters() const { return counters_.size(); }
  size_t origins() const { return origins_.size(); }
  std::vector<ReplicaId> OriginIds() const;

 private:
  struct Origin {
    uint64_t watermark = 0;
    std::map<std::string, EntryValue> entries;
    std::set<std::pair<uint64_t, std::string>> by_version;
    std::vector<std::pair<uint64_t, uint64_t>> pending;  // Claims above the watermark.
    int64_t last_heard_ns = 0;
  };
  struct Counter {
    Kind kind = Kind::kGrowOnly;
    unsigned __int128 p = 0, n = 0;
    std::vector<ReplicaId> replicas;
  };

  Origin* FindOrAddOrigin(ReplicaId id);
  void SetWatermark(ReplicaId id, Origin& o, uint64_t wm);
  CounterView View(const std::string& name, const Counter& c, int64_t recent_after_ns) const;

  size_t max_counters_, max_origins_;
  absl::flat_hash_map<ReplicaId, Origin> origins_;
  std::map<std::string, Counter> counters_;
  std::array<uint64_t, kBuckets> buckets_{};
  uint64_t root_ = EmptyRoot();
  std::vector<uint16_t> sketch_;  // Sorted, kept in step with the watermarks.

  static uint64_t EmptyRoot();
  void UpdateRoot();
};

// Digest contribution of one origin at one watermark.
uint64_t DigestOf(ReplicaId origin, uint64_t watermark);
// Its 16-bit sketch entry.
inline uint16_t SketchOf(ReplicaId origin, uint64_t watermark) {
  return static_cast<uint16_t>(DigestOf(origin, watermark) >> 48);
}

}  // namespace paddock::gcounter
