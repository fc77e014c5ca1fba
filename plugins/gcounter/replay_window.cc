#include "replay_window.h"

namespace paddock::gcounter {

void ReplayWindow::Shift(State& s, uint64_t by) {
  if (by >= kWindow) {
    s.bits[0] = s.bits[1] = 0;
    return;
  }
  if (by >= 64) {
    s.bits[1] = s.bits[0] << (by - 64);
    s.bits[0] = 0;
    return;
  }
  if (by == 0) return;
  s.bits[1] = (s.bits[1] << by) | (s.bits[0] >> (64 - by));
  s.bits[0] <<= by;
}

ReplayWindow::Verdict ReplayWindow::CheckAndRecord(ReplicaId sender, uint64_t seq) {
  ++clock_;
  auto it = map_.find(sender);
  if (it == map_.end()) {
    if (map_.size() >= max_senders_) {
      // Rare (more senders than any cluster should have): a linear scan is fine.
      auto oldest = map_.begin();
      for (auto m = map_.begin(); m != map_.end(); ++m) {
        if (m->second.last_use < oldest->second.last_use) oldest = m;
      }
      map_.erase(oldest);
    }
    State s;
    s.highest = seq;
    SetBit(s, 0);
    s.last_use = clock_;
    map_.emplace(sender, s);
    return Verdict::kInOrder;
  }
  State& s = it->second;
  s.last_use = clock_;
  if (seq > s.highest) {
    Shift(s, seq - s.highest);
    s.highest = seq;
    SetBit(s, 0);
    return Verdict::kInOrder;
  }
  uint64_t age = s.highest - seq;
  if (age >= kWindow) return Verdict::kTooOld;
  if (TestBit(s, age)) return Verdict::kReplayed;
  SetBit(s, age);
  return Verdict::kReordered;
}

}  // namespace paddock::gcounter
