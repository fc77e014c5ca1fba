#include "delta_buffer.h"

#include <algorithm>

namespace paddock::gcounter {

bool HotItem::KnownBy(uint64_t peer) const {
  if ((known_mask >> (peer % 64) & 1) == 0) return false;
  return std::find(known_by.begin(), known_by.end(), peer) != known_by.end();
}

DeltaItem HotItem::ToWire() const {
  DeltaItem d;
  d.origin = origin;
  d.from = from;
  d.to = to;
  d.entries.reserve(entries.size());
  for (const auto& [name, v] : entries) d.entries.push_back(WireEntry{name, v});
  return d;
}

const std::vector<DeltaItem>& HotItem::Pieces(size_t max_bytes) {
  if (pieces_for != max_bytes) {
    pieces = ChunkItem(ToWire(), ItemRoom(max_bytes, true, true));
    pieces_for = max_bytes;
  }
  return pieces;
}

void DeltaBuffer::AddKnown(HotItem& item, uint64_t peer) {
  if (peer == 0 || item.KnownBy(peer)) return;
  if (item.known_by.size() >= kMaxKnownBy) {
    item.known_by.erase(item.known_by.begin());
    item.known_mask = 0;
    for (uint64_t k : item.known_by) item.known_mask |= uint64_t{1} << (k % 64);
  }
  item.known_by.push_back(peer);
  item.known_mask |= uint64_t{1} << (peer % 64);
}

void DeltaBuffer::Add(ReplicaId origin, uint64_t from, uint64_t to,
                      const std::vector<WireEntry>& entries, uint64_t source) {
  auto [it, fresh] = items_.try_emplace(origin);
  HotItem& item = it->second;
  if (fresh) {
    item.origin = origin;
    item.from = from;
    item.to = to;
  } else if (from == to) {
    // No claim (a piece of a chunked item): only the entries join.
  } else if (item.from == item.to) {
    item.from = from;
    item.to = to;
  } else if (from <= item.to && item.from <= to) {
    // Overlapping or adjacent claims: the union is complete.
    item.from = std::min(item.from, from);
    item.to = std::max(item.to, to);
  } else if (to > item.to) {
    // A gap before the new claim: keep only the newer claim (the older entries stay, they
    // are still valid values).
    item.from = from;
    item.to = to;
  }
  for (const WireEntry& e : entries) {
    auto [eit, inserted] = item.entries.try_emplace(e.name, e.value);
    if (!inserted) {
      EntryValue& cur = eit->second;
      cur.p = std::max(cur.p, e.value.p);
      cur.n = std::max(cur.n, e.value.n);
      cur.version = std::max(cur.version, e.value.version);
      cur.kind = std::max(cur.kind, e.value.kind);
    }
  }
  item.sends = 0;
  item.age = 0;
  item.pieces_for = 0;
  item.known_by.clear();
  item.known_mask = 0;
  AddKnown(item, source);
}

void DeltaBuffer::MarkKnown(ReplicaId origin, uint64_t from, uint64_t to,
                            const std::vector<WireEntry>& entries, uint64_t peer) {
  auto it = items_.find(origin);
  if (it == items_.end()) return;
  HotItem& item = it->second;
  // Every entry of ours must be covered: by the peer's claim, or by an entry it sent.
  for (const auto& [name, v] : item.entries) {
    bool covered = v.version > from && v.version <= to;
    if (!covered) {
      for (const WireEntry& e : entries) {
        if (e.name == name && e.value.p >= v.p && e.value.n >= v.n) {
          covered = true;
          break;
        }
      }
    }
    if (!covered) return;
  }
  AddKnown(item, peer);
}

std::vector<HotItem*>& DeltaBuffer::ForPeer(uint64_t peer, uint32_t max_sends) {
  std::vector<HotItem*>& out = scratch_;
  out.clear();
  for (auto& [origin, item] : items_) {
    if (item.sends < max_sends && !item.KnownBy(peer)) out.push_back(&item);
  }
  // Send counts are small: a counting sort by sends (stable, so ties keep map order).
  uint32_t top = 0;
  for (const HotItem* item : out) top = std::max(top, item->sends);
  if (top >= 64) {
    std::stable_sort(out.begin(), out.end(),
                     [](const HotItem* a, const HotItem* b) { return a->sends < b->sends; });
    return out;
  }
  size_t start[65] = {};
  for (const HotItem* item : out) ++start[item->sends + 1];
  for (uint32_t i = 1; i <= top + 1; ++i) start[i] += start[i - 1];
  sorted_.resize(out.size());
  for (HotItem* item : out) sorted_[start[item->sends]++] = item;
  out.swap(sorted_);
  return out;
}

void DeltaBuffer::Sent(HotItem* item, uint64_t peer) {
  ++item->sends;
  AddKnown(*item, peer);
}

void DeltaBuffer::Retire(uint32_t limit) {
  for (auto it = items_.begin(); it != items_.end();) {
    if (it->second.sends >= limit || ++it->second.age >= 2 * limit) {
      items_.erase(it++);
    } else {
      ++it;
    }
  }
}

}  // namespace paddock::gcounter
