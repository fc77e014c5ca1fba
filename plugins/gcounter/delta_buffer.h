// The delta buffer: per origin, the changes this node learned (or made) recently and is
// still spreading, joined into one item per origin, so a burst of any number of increments
// costs one entry per (origin, counter) on the wire. Each item remembers which peers are
// known to hold it (the peer it came from, peers it was sent to, peers that sent it back),
// and is never sent to them again: delta back-propagation avoidance. An item retires after
// it was transmitted `retransmit_limit` times, so bytes per round stay bounded by what
// changed recently, not by how many increments there were. Not thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "codec.h"
#include "types.h"

namespace paddock::gcounter {

struct HotItem {
  ReplicaId origin = 0;
  uint64_t from = 0, to = 0;  // Claim, as in DeltaItem.
  std::map<std::string, EntryValue> entries;
  uint32_t sends = 0;
  uint32_t age = 0;     // Retire() calls (rounds) since the item last changed.
  uint32_t cursor = 0;  // First piece of the next send (pieces rotate across sends).
  absl::InlinedVector<uint64_t, 8> known_by;  // Peer keys (PeerAddr::Key).
  uint64_t known_mask = 0;  // Bit (key % 64) of every key in known_by: a quick "surely not".

  bool KnownBy(uint64_t peer) const;
  // The item as it goes on the wire (whole; chunking happens later).
  DeltaItem ToWire() const;
  // The item cut into pieces that each fit a packet of `max_bytes` (with bucket digests);
  // cached until the item changes.
  const std::vector<DeltaItem>& Pieces(size_t max_bytes);

  std::vector<DeltaItem> pieces;  // Cache of Pieces().
  size_t pieces_for = 0;          // max_bytes the cache was made for; 0: stale.
};

class DeltaBuffer {
 public:
  // Most peers remembered per item; beyond it the oldest are forgotten (they may then be
  // sent the item once more, which is harmless).
  static constexpr size_t kMaxKnownBy = 32;

  // Joins news about `origin` (claim (from, to], `entries`) into its item. `source` is the
  // peer it came from (0: made here). The item's send count restarts, and only `source`
  // is known to hold the joined item.
  void Add(ReplicaId origin, uint64_t from, uint64_t to, const std::vector<WireEntry>& entries,
           uint64_t source);
  // `peer` showed it holds `origin`'s changes in (from, to] and `entries` (it sent them to
  // us): the item is not sent to it again when that covers every entry of the item.
  void MarkKnown(ReplicaId origin, uint64_t from, uint64_t to,
                 const std::vector<WireEntry>& entries, uint64_t peer);
  // Items `peer` is not known to hold, fewest transmissions first (ties: by origin), at
  // most those sent fewer than `max_sends` times. The vector is reused by the next call.
  std::vector<HotItem*>& ForPeer(uint64_t peer, uint32_t max_sends = UINT32_MAX);
  // Records that `item` went to `peer`.
  static void Sent(HotItem* item, uint64_t peer);
  // Called once per round: drops items transmitted at least `limit` times, or alive for
  // `2 * limit` rounds (with few peers an item may have nobody left to go to).
  void Retire(uint32_t limit);

  bool empty() const { return items_.empty(); }
  size_t size() const { return items_.size(); }

 private:
  static void AddKnown(HotItem& item, uint64_t peer);
  absl::flat_hash_map<ReplicaId, HotItem> items_;
  std::vector<HotItem*> scratch_, sorted_;
};

}  // namespace paddock::gcounter
