#include "store.h"

#include <algorithm>

namespace paddock::gcounter {
namespace {

uint64_t Mix(uint64_t z) {  // splitmix64's finalizer.
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

}  // namespace

uint64_t DigestOf(ReplicaId origin, uint64_t watermark) {
  return Mix(origin ^ Mix(watermark + 0x9e3779b97f4a7c15ull));
}

Store::Origin* Store::FindOrAddOrigin(ReplicaId id) {
  auto it = origins_.find(id);
  if (it != origins_.end()) return &it->second;
  if (origins_.size() >= max_origins_) return nullptr;
  return &origins_[id];
}

Store::MergeResult Store::Merge(ReplicaId origin, const std::string& name, const EntryValue& v) {
  auto cit = counters_.find(name);
  if (cit == counters_.end() && counters_.size() >= max_counters_) return MergeResult::kRejected;
  Origin* o = FindOrAddOrigin(origin);
  if (o == nullptr) return MergeResult::kRejected;
  if (cit == counters_.end()) cit = counters_.emplace(name, Counter{}).first;
  Counter& c = cit->second;
  c.kind = std::max(c.kind, v.kind);
  auto eit = o->entries.find(name);
  if (eit == o->entries.end()) {
    o->entries.emplace(name, v);
    o->by_version.emplace(v.version, name);
    c.p += v.p;
    c.n += v.n;
    c.replicas.push_back(origin);
    return MergeResult::kChanged;
  }
  EntryValue& cur = eit->second;
  if (v.p <= cur.p && v.n <= cur.n && v.version <= cur.version && v.kind <= cur.kind) {
    return MergeResult::kUnchanged;
  }
  if (v.p > cur.p) {
    c.p += v.p - cur.p;
    cur.p = v.p;
  }
  if (v.n > cur.n) {
    c.n += v.n - cur.n;
    cur.n = v.n;
  }
  if (v.version > cur.version) {
    o->by_version.erase({cur.version, name});
    o->by_version.emplace(v.version, name);
    cur.version = v.version;
  }
  cur.kind = std::max(cur.kind, v.kind);
  return MergeResult::kChanged;
}

void Store::SetWatermark(ReplicaId id, Origin& o, uint64_t wm) {
  int b = BucketOf(id);
  if (o.watermark > 0) {
    buckets_[b] -= DigestOf(id, o.watermark);
    auto it = std::lower_bound(sketch_.begin(), sketch_.end(), SketchOf(id, o.watermark));
    if (it != sketch_.end()) sketch_.erase(it);
  }
  o.watermark = wm;
  if (wm > 0) {
    buckets_[b] += DigestOf(id, wm);
    uint16_t h = SketchOf(id, wm);
    sketch_.insert(std::upper_bound(sketch_.begin(), sketch_.end(), h), h);
  }
  UpdateRoot();
}

bool Store::ApplyClaim(ReplicaId origin, uint64_t from, uint64_t to) {
  if (to <= from) return false;
  Origin* o = FindOrAddOrigin(origin);
  if (o == nullptr) return false;
  if (to <= o->watermark) return false;
  if (from > o->watermark) {
    // A gap: keep the claim until the changes before it arrive.
    o->pending.emplace_back(from, to);
    std::sort(o->pending.begin(), o->pending.end());
    if (o->pending.size() > 16) o->pending.erase(o->pending.begin() + 16, o->pending.end());
    return false;
  }
  uint64_t wm = to;
  // Close gaps that pending claims now reach.
  bool progress = true;
  while (progress) {
    progress = false;
    for (auto it = o->pending.begin(); it != o->pending.end();) {
      if (it->second <= wm) {
        it = o->pending.erase(it);
      } else if (it->first <= wm) {
        wm = it->second;
        it = o->pending.erase(it);
        progress = true;
      } else {
        ++it;
      }
    }
  }
  SetWatermark(origin, *o, wm);
  return true;
}

void Store::SetOwnWatermark(ReplicaId self, uint64_t version) {
  Origin* o = FindOrAddOrigin(self);
  if (o == nullptr || version <= o->watermark) return;
  o->pending.clear();
  SetWatermark(self, *o, version);
}

uint64_t Store::Watermark(ReplicaId origin) const {
  auto it = origins_.find(origin);
  return it == origins_.end() ? 0 : it->second.watermark;
}

const EntryValue* Store::Find(ReplicaId origin, const std::string& name) const {
  auto it = origins_.find(origin);
  if (it == origins_.end()) return nullptr;
  auto e = it->second.entries.find(name);
  return e == it->second.entries.end() ? nullptr : &e->second;
}

std::vector<WireEntry> Store::EntriesAfter(ReplicaId origin, uint64_t after) const {
  std::vector<WireEntry> out;
  auto it = origins_.find(origin);
  if (it == origins_.end()) return out;
  const Origin& o = it->second;
  for (auto v = o.by_version.upper_bound({after, std::string(kMaxNameBytes + 1, '\x7f')});
       v != o.by_version.end(); ++v) {
    out.push_back(WireEntry{v->second, o.entries.at(v->second)});
  }
  return out;
}

std::vector<std::pair<ReplicaId, uint64_t>> Store::WatermarksIn(uint16_t mask) const {
  std::vector<std::pair<ReplicaId, uint64_t>> out;
  for (const auto& [id, o] : origins_) {
    if (o.watermark > 0 && ((mask >> BucketOf(id)) & 1)) out.emplace_back(id, o.watermark);
  }
  std::sort(out.begin(), out.end());
  return out;
}

uint64_t Store::EmptyRoot() {
  uint64_t h = 0x6763;  // "gc"
  for (int i = 0; i < kBuckets; ++i) h = Mix(h);
  return h;
}

void Store::UpdateRoot() {
  uint64_t h = 0x6763;
  for (uint64_t b : buckets_) h = Mix(h ^ b);
  root_ = h;
}

void Store::Touch(ReplicaId origin, int64_t now_ns) {
  auto it = origins_.find(origin);
  if (it != origins_.end()) it->second.last_heard_ns = std::max(it->second.last_heard_ns, now_ns);
}

int64_t Store::LastHeard(ReplicaId origin) const {
  auto it = origins_.find(origin);
  return it == origins_.end() ? 0 : it->second.last_heard_ns;
}

CounterView Store::View(const std::string& name, const Counter& c, int64_t recent_after_ns) const {
  CounterView v;
  v.name = name;
  v.kind = c.kind;
  v.value = static_cast<__int128>(c.p) - static_cast<__int128>(c.n);
  v.replicas = static_cast<uint32_t>(c.replicas.size());
  for (ReplicaId id : c.replicas) {
    if (LastHeard(id) > recent_after_ns) ++v.replicas_recent;
  }
  return v;
}

std::optional<CounterView> Store::Get(const std::string& name, int64_t recent_after_ns) const {
  auto it = counters_.find(name);
  if (it == counters_.end()) return std::nullopt;
  return View(name, it->second, recent_after_ns);
}

std::vector<CounterView> Store::List(const std::string& start, size_t limit,
                                     int64_t recent_after_ns) const {
  std::vector<CounterView> out;
  for (auto it = counters_.lower_bound(start); it != counters_.end() && out.size() < limit; ++it) {
    out.push_back(View(it->first, it->second, recent_after_ns));
  }
  return out;
}

std::vector<ReplicaId> Store::OriginIds() const {
  std::vector<ReplicaId> out;
  for (const auto& [id, o] : origins_) out.push_back(id);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace paddock::gcounter
