// Replay protection for authenticated packets: every sender numbers its packets with a
// strictly increasing 64-bit sequence (its boot count in the top 24 bits, a per-boot packet
// counter below), and the receiver keeps, per sender, the highest number seen plus a
// 128-packet sliding window (the IPsec/DTLS anti-replay scheme, RFC 4303 section 3.4.3).
// A packet is accepted once; a late packet inside the window is accepted if it was not seen.
#pragma once

#include <cstdint>

#include "absl/container/flat_hash_map.h"
#include "types.h"

namespace paddock::gcounter {

// Sequence numbers: boot count << kBootShift | packet counter.
inline constexpr int kBootShift = 40;

class ReplayWindow {
 public:
  enum class Verdict {
    kInOrder,    // Newer than anything seen from this sender.
    kReordered,  // Older than the newest, inside the window, not seen before.
    kReplayed,   // Seen before.
    kTooOld,     // Older than the window can tell: treated as a replay.
  };
  static constexpr uint64_t kWindow = 128;

  // Tracks at most `max_senders`; the least recently heard sender is forgotten first (a
  // forgotten sender's next packet is accepted, so keep this above the cluster size).
  explicit ReplayWindow(size_t max_senders) : max_senders_(max_senders) {}

  // Checks `seq` from `sender` and, when it is accepted (kInOrder or kReordered), records it.
  // Call only for packets whose tag verified. Not thread-safe.
  Verdict CheckAndRecord(ReplicaId sender, uint64_t seq);

  size_t senders() const { return map_.size(); }

 private:
  struct State {
    uint64_t highest = 0;
    uint64_t bits[2] = {0, 0};  // bit i: highest - i was seen.
    uint64_t last_use = 0;
  };
  bool TestBit(const State& s, uint64_t i) const { return (s.bits[i / 64] >> (i % 64)) & 1; }
  void SetBit(State& s, uint64_t i) { s.bits[i / 64] |= uint64_t{1} << (i % 64); }
  void Shift(State& s, uint64_t by);

  size_t max_senders_;
  absl::flat_hash_map<ReplicaId, State> map_;
  uint64_t clock_ = 0;  // Counts packets; the smallest last_use is the least recent.
};

}  // namespace paddock::gcounter
