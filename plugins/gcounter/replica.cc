#include "replica.h"

#include <algorithm>
#include <bit>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "wire.h"

namespace paddock::gcounter {

absl::Status ValidateOptions(const EngineOptions& o) {
  if (o.fanout < 1 || o.fanout > 64) return absl::InvalidArgumentError("fanout must be 1-64");
  if (o.max_packet_bytes < kMinPacketBytes || o.max_packet_bytes > kMaxPacketBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_packet_bytes must be ", kMinPacketBytes, "-", kMaxPacketBytes));
  }
  if (o.max_packets_per_peer < 1 || o.max_packets_per_peer > 64) {
    return absl::InvalidArgumentError("max_packets_per_peer must be 1-64");
  }
  if (o.idle_fanout > o.fanout) return absl::InvalidArgumentError("idle_fanout above fanout");
  if (o.retransmit_limit > 10000) return absl::InvalidArgumentError("retransmit_limit too large");
  if (o.push_limit > 10000) return absl::InvalidArgumentError("push_limit too large");
  if (o.max_sync_packets < 1 || o.max_sync_packets > 4096) {
    return absl::InvalidArgumentError("max_sync_packets must be 1-4096");
  }
  if (o.max_counters < 1 || o.max_origins < 1 || o.max_senders < 1) {
    return absl::InvalidArgumentError("max_counters, max_origins and max_senders must be > 0");
  }
  if (o.recent_window_ns <= 0 || o.learned_peer_ttl_ns <= 0) {
    return absl::InvalidArgumentError("recent window and learned peer ttl must be > 0");
  }
  return absl::OkStatus();
}

uint32_t AutoRetransmitLimit(size_t peers, uint32_t fanout) {
  uint32_t log2 = static_cast<uint32_t>(std::bit_width(peers));  // ceil(log2(peers + 1))
  return fanout * std::max<uint32_t>(2, log2 / 3 + 1);
}

absl::StatusOr<std::unique_ptr<Replica>> Replica::Create(EngineOptions options, ReplicaId self,
                                                         uint64_t boot,
                                                         std::vector<std::string> keys,
                                                         uint64_t seed) {
  if (absl::Status s = ValidateOptions(options); !s.ok()) return s;
  if (self == 0) return absl::InvalidArgumentError("replica id 0 is reserved");
  if (boot >= (uint64_t{1} << (64 - kBootShift))) {
    return absl::InvalidArgumentError("boot count out of range");
  }
  std::unique_ptr<Replica> r(new Replica(options, self, boot, seed));
  if (absl::Status s = r->SetKeys(std::move(keys)); !s.ok()) return s;
  return r;
}

absl::Status Replica::SetOptions(const EngineOptions& options) {
  if (absl::Status s = ValidateOptions(options); !s.ok()) return s;
  options_ = options;
  return absl::OkStatus();
}

absl::Status Replica::SetKeys(std::vector<std::string> keys) {
  if (keys.empty()) {
    auth_.reset();
    return absl::OkStatus();
  }
  absl::StatusOr<std::unique_ptr<Authenticator>> a = Authenticator::Create(std::move(keys));
  if (!a.ok()) return a.status();
  auth_ = std::move(*a);
  return absl::OkStatus();
}

void Replica::SetPeers(std::vector<PeerAddr> peers) {
  configured_keys_.clear();
  std::vector<PeerAddr> unique;
  for (PeerAddr& p : peers) {
    if (configured_keys_.insert(p.Key()).second) unique.push_back(p);
  }
  peers_ = std::move(unique);
  candidates_dirty_ = true;
}

uint32_t Replica::PushLimit() const {
  return options_.push_limit > 0 ? options_.push_limit : options_.fanout;
}

uint32_t Replica::RetransmitLimit() {
  if (options_.retransmit_limit > 0) return options_.retransmit_limit;
  return AutoRetransmitLimit(PeerCount(), options_.fanout);
}

const std::vector<PeerAddr>& Replica::Candidates() {
  if (!candidates_dirty_) return candidates_;
  candidates_.clear();
  for (const PeerAddr& p : peers_) {
    if (!self_keys_.contains(p.Key())) candidates_.push_back(p);
  }
  for (const auto& [key, l] : learned_) {
    if (configured_keys_.contains(key) || self_keys_.contains(key)) continue;
    candidates_.push_back(l.addr);
  }
  // Deterministic order (for a given set), so peer choice depends only on the seed.
  std::sort(candidates_.begin(), candidates_.end(),
            [](const PeerAddr& a, const PeerAddr& b) { return a.Key() < b.Key(); });
  candidates_dirty_ = false;
  return candidates_;
}

size_t Replica::PeerCount() { return Candidates().size(); }

size_t Replica::PeersHeardRecently(int64_t now_ns) const {
  size_t n = 0;
  for (const auto& [key, t] : heard_) {
    if (now_ns - t <= options_.recent_window_ns) ++n;
  }
  return n;
}

void Replica::Emit(const PeerAddr& to, std::string packet, std::vector<Datagram>* out) {
  auth_->Sign(&packet);
  ++stats_.packets_out;
  stats_.bytes_out += packet.size();
  out->push_back(Datagram{to, std::move(packet)});
}

void Replica::NoteChange(int64_t now_ns) {
  if (settled_) {
    settled_ = false;
    burst_start_ns_ = now_ns;
    burst_start_round_ = stats_.rounds;
  }
  in_sync_.clear();
}

void Replica::NoteInSync(ReplicaId sender, int64_t now_ns) {
  if (settled_) return;
  in_sync_.insert(sender);
  size_t want = std::min<size_t>(std::max<size_t>(PeerCount(), 1), 2 * options_.fanout);
  if (in_sync_.size() >= want) {
    settled_ = true;
    stats_.last_convergence_ns = now_ns - burst_start_ns_;
    stats_.last_convergence_rounds = stats_.rounds - burst_start_round_;
    in_sync_.clear();
  }
}

absl::Status Replica::PublishOwn(const std::vector<WireEntry>& changes, int64_t now_ns) {
  if (changes.empty()) return absl::OkStatus();
  uint64_t v = own_version_;
  for (const WireEntry& c : changes) {
    if (c.value.version != ++v) {
      return absl::InvalidArgumentError("own changes must carry consecutive versions");
    }
    if (!ValidCounterName(c.name)) return absl::InvalidArgumentError("invalid counter name");
    if (c.value.p > kMaxPart || c.value.n > kMaxPart) {
      return absl::OutOfRangeError("own entry beyond the largest value");
    }
    if (c.value.kind == Kind::kGrowOnly && c.value.n != 0) {
      return absl::InvalidArgumentError("G-Counter entry with a negative part");
    }
    const EntryValue* cur = store_.Find(self_, c.name);
    if (cur != nullptr && (c.value.p < cur->p || c.value.n < cur->n)) {
      return absl::InvalidArgumentError("own entry values must not shrink");
    }
  }
  for (const WireEntry& c : changes) {
    if (store_.Merge(self_, c.name, c.value) == Store::MergeResult::kRejected) {
      // Checked by the caller against max_counters; reaching here means the limit was
      // lowered concurrently: the change is durable and will be published on restart.
      ++stats_.rejected_limits;
    }
  }
  uint64_t from = own_version_;
  own_version_ = v;
  store_.SetOwnWatermark(self_, own_version_);
  store_.Touch(self_, now_ns);
  hot_.Add(self_, from, own_version_, changes, 0);
  NoteChange(now_ns);
  return absl::OkStatus();
}

void Replica::Restore(ReplicaId origin, const std::string& name, const EntryValue& v) {
  if (store_.Merge(origin, name, v) == Store::MergeResult::kRejected) ++stats_.rejected_limits;
}

void Replica::FinishRestore(uint64_t own_version) {
  own_version_ = std::max(own_version_, own_version);
  store_.SetOwnWatermark(self_, own_version_);
}

void Replica::Reincarnate(ReplicaId new_self, uint64_t boot) {
  self_ = new_self;
  own_version_ = 0;
  conflict_ = false;
  seq_ = std::max(seq_, boot << kBootShift);
}

void Replica::Tick(int64_t now_ns, std::vector<Datagram>* out) {
  now_ns_ = now_ns;
  ++stats_.rounds;
  store_.Touch(self_, now_ns);  // We always hear from ourselves.
  if (!auth_) {
    hot_.Retire(RetransmitLimit());
    return;
  }
  const std::vector<PeerAddr>& candidates = Candidates();
  const size_t n = candidates.size();
  // Quiet (nothing to spread): root-only heartbeats to idle_fanout peers keep liveness and
  // let differences show; with news, the full fanout. Every push is also a pull, so a
  // smaller idle fanout slows how fast an uninformed node pulls: it defaults to fanout.
  const uint32_t quiet = options_.idle_fanout > 0 ? options_.idle_fanout : options_.fanout;
  const size_t k = std::min<size_t>(hot_.empty() ? quiet : options_.fanout, n);
  // k distinct peers uniformly at random: rejection sampling when k is small against n,
  // else a partial Fisher-Yates shuffle of the indices.
  absl::InlinedVector<size_t, 8> chosen;
  if (2 * k <= n) {
    std::uniform_int_distribution<size_t> pick(0, n - 1);
    while (chosen.size() < k) {
      size_t i = pick(rng_);
      if (std::find(chosen.begin(), chosen.end(), i) == chosen.end()) chosen.push_back(i);
    }
  } else {
    std::vector<size_t> all(n);
    for (size_t i = 0; i < n; ++i) all[i] = i;
    for (size_t i = 0; i < k; ++i) {
      std::swap(all[i], all[std::uniform_int_distribution<size_t>(i, n - 1)(rng_)]);
      chosen.push_back(all[i]);
    }
  }
  // While news is spreading, pushes carry digests so the answers leave out what we hold.
  const bool digests = !hot_.empty();
  for (size_t i : chosen) {
    SendGossip(candidates[i], /*reply=*/false, /*heartbeat=*/true, digests, out);
  }
  hot_.Retire(RetransmitLimit());
  // Once a second: forget learned peers, digests and partial chunk sets that went quiet.
  if (now_ns - last_sweep_ns_ >= 1'000'000'000) {
    last_sweep_ns_ = now_ns;
    Sweep(now_ns);
  }
}

void Replica::Sweep(int64_t now_ns) {
  const int64_t ttl = options_.learned_peer_ttl_ns;
  for (auto it = learned_.begin(); it != learned_.end();) {
    if (now_ns - it->second.last_ns > ttl) {
      learned_.erase(it++);
      candidates_dirty_ = true;
    } else {
      ++it;
    }
  }
  for (auto it = peer_digests_.begin(); it != peer_digests_.end();) {
    if (now_ns - it->second.at_ns > ttl) {
      peer_digests_.erase(it++);
    } else {
      ++it;
    }
  }
  for (auto it = heard_.begin(); it != heard_.end();) {
    if (now_ns - it->second > ttl) {
      heard_.erase(it++);
    } else {
      ++it;
    }
  }
  std::erase_if(reassembly_, [&](const Reassembly& r) { return now_ns - r.last_ns > ttl; });
}

size_t Replica::SendGossip(const PeerAddr& to, bool reply, bool heartbeat, bool digests,
                           std::vector<Datagram>* out) {
  uint64_t key = to.Key();
  const uint64_t root = store_.root();
  auto pit = peer_digests_.find(key);
  const PeerDigest* pd = pit == peer_digests_.end() ? nullptr : &pit->second;
  // Pushes carry only young items (an epidemic needs pushes early); later a node pulls
  // what it lacks: every push carries its sketch, and the answer holds exactly that.
  std::vector<HotItem*>& items = hot_.ForPeer(key, reply ? UINT32_MAX : PushLimit());
  // Items the peer provably holds are not sent; like a rumor told to someone who knew it,
  // that still counts towards retiring them (Demers et al.'s "feedback" variant).
  std::erase_if(items, [&](HotItem* item) {
    if (!PeerHolds(pd, *item)) return false;
    DeltaBuffer::Sent(item, key);
    return true;
  });
  // Digests (bucket digests and the sketch) only when asked: the root alone tells a peer
  // whether we differ, and it answers with its digests when we do.
  const auto* buckets = digests ? &store_.buckets() : nullptr;
  const std::vector<uint16_t>& sk = store_.Sketch();
  const std::vector<uint16_t>* sketch =
      digests && VarintSize(sk.size()) + 2 * sk.size() <= SketchBudget(options_.max_packet_bytes)
          ? &sk
          : nullptr;
  Header h;
  h.sender = self_;
  h.flags = reply ? kFlagReply : 0;
  size_t packets = 0, sent = 0;
  auto builder = std::make_unique<GossipBuilder>(options_.max_packet_bytes, root, buckets, sketch);
  auto flush = [&] {
    h.seq = NextSeq();
    Emit(to, builder->Finish(h), out);
    ++packets;
    builder = std::make_unique<GossipBuilder>(options_.max_packet_bytes, root, buckets, sketch);
  };
  bool full = false;
  for (HotItem* item : items) {
    if (full) break;
    const std::vector<DeltaItem>& pieces = item->Pieces(options_.max_packet_bytes);
    // A big item goes out a few pieces at a time; each send starts where the last one
    // stopped, so every piece gets its turn.
    size_t n = pieces.size(), count = 0;
    for (; count < n; ++count) {
      const DeltaItem& piece = pieces[(item->cursor + count) % n];
      if (builder->TryAdd(piece)) continue;
      if (builder->items() > 0) flush();
      if (packets >= options_.max_packets_per_peer || !builder->TryAdd(piece)) {
        full = true;
        break;
      }
    }
    if (count == 0) continue;
    item->cursor = static_cast<uint32_t>((item->cursor + count) % n);
    if (count == n) {
      DeltaBuffer::Sent(item, key);  // The peer has had every piece from us.
    } else {
      ++item->sends;
    }
    ++sent;
  }
  if (builder->items() > 0 && packets < options_.max_packets_per_peer) flush();
  if (packets == 0 && heartbeat) flush();
  return sent;
}

bool Replica::PeerHolds(const PeerDigest* pd, const HotItem& item) const {
  if (pd == nullptr) return false;
  int b = BucketOf(item.origin);
  bool same =
      pd->root == store_.root() || (pd->has_buckets && pd->buckets[b] == store_.buckets()[b]);
  if (same) {
    // The peer's watermarks in this bucket equal ours now.
    uint64_t wm = store_.Watermark(item.origin);
    if (item.to > wm) same = false;
    for (const auto& [name, v] : item.entries) {
      if (v.version > wm) same = false;
    }
    if (same) return true;
  }
  // The sketch: the peer held this origin exactly up to the item's claim (a 16-bit match;
  // a false match only delays this item for this peer: others and anti-entropy carry it).
  if (pd->sketch.empty() || item.to == 0) return false;
  if (!std::binary_search(pd->sketch.begin(), pd->sketch.end(), SketchOf(item.origin, item.to))) {
    return false;
  }
  for (const auto& [name, v] : item.entries) {
    if (v.version > item.to) return false;
  }
  return true;
}

void Replica::SendVersions(const PeerAddr& to, uint16_t mask, bool want_reply,
                           std::vector<Datagram>* out) {
  Header h;
  h.sender = self_;
  h.flags = want_reply ? kFlagWantReply : 0;
  for (std::string& p :
       EncodeVersions(h, mask, store_.WatermarksIn(mask), options_.max_packet_bytes)) {
    // Each packet needs its own sequence number: patch it into the header (bytes 16..23).
    uint64_t seq = NextSeq();
    for (int i = 0; i < 8; ++i) p[16 + i] = static_cast<char>(seq >> (8 * i));
    Emit(to, std::move(p), out);
  }
}

void Replica::CountOversized(size_t bytes) {
  ++stats_.packets_in;
  stats_.bytes_in += bytes;
  ++stats_.rejected_oversized;
}

void Replica::Receive(const PeerAddr& from, std::string_view packet, int64_t now_ns,
                      std::vector<Datagram>* out) {
  now_ns_ = std::max(now_ns_, now_ns);
  ++stats_.packets_in;
  stats_.bytes_in += packet.size();
  if (packet.size() > options_.max_packet_bytes) {
    ++stats_.rejected_oversized;
    return;
  }
  if (!auth_ || !auth_->Verify(packet)) {
    ++stats_.rejected_auth;
    return;
  }
  absl::StatusOr<Header> h = DecodeHeader(packet);
  if (!h.ok()) {
    ++stats_.rejected_malformed;
    return;
  }
  if (h->sender == self_) {
    // Our own packet came back: that address is ours, stop gossiping to it.
    if (self_keys_.insert(from.Key()).second) candidates_dirty_ = true;
    ++stats_.self_packets;
    return;
  }
  switch (window_.CheckAndRecord(h->sender, h->seq)) {
    case ReplayWindow::Verdict::kReplayed:
    case ReplayWindow::Verdict::kTooOld:
      ++stats_.rejected_replay;
      return;
    case ReplayWindow::Verdict::kReordered:
      ++stats_.reordered;
      break;
    case ReplayWindow::Verdict::kInOrder:
      break;
  }
  uint64_t key = from.Key();
  heard_[key] = now_ns;
  if (!configured_keys_.contains(key)) {
    auto [lit, added] = learned_.try_emplace(key, Learned{from, now_ns});
    lit->second.last_ns = now_ns;
    if (added) candidates_dirty_ = true;
  }
  store_.Touch(h->sender, now_ns);
  if (h->type == PacketType::kGossip) {
    absl::StatusOr<GossipBody> body = DecodeGossip(packet);
    if (!body.ok()) {
      ++stats_.rejected_malformed;
      return;
    }
    ++stats_.accepted;
    HandleGossip(from, *h, std::move(*body), now_ns, out);
  } else {
    absl::StatusOr<VersionsBody> body = DecodeVersions(packet);
    if (!body.ok()) {
      ++stats_.rejected_malformed;
      return;
    }
    ++stats_.accepted;
    HandleVersions(from, *h, *body, out);
  }
}

bool Replica::Reassemble(const DeltaItem& item, ReplicaId sender, int64_t now_ns) {
  auto it = std::find_if(reassembly_.begin(), reassembly_.end(), [&](const Reassembly& r) {
    return r.sender == sender && r.origin == item.origin && r.from == item.from &&
           r.to == item.to && r.chunks == item.chunks && r.content == item.content;
  });
  if (it == reassembly_.end()) {
    if (reassembly_.size() >= 64) {
      reassembly_.erase(std::min_element(
          reassembly_.begin(), reassembly_.end(),
          [](const Reassembly& a, const Reassembly& b) { return a.last_ns < b.last_ns; }));
    }
    Reassembly r;
    r.sender = sender;
    r.origin = item.origin;
    r.from = item.from;
    r.to = item.to;
    r.chunks = item.chunks;
    r.content = item.content;
    r.got.assign(item.chunks, false);
    reassembly_.push_back(std::move(r));
    it = reassembly_.end() - 1;
  }
  it->last_ns = now_ns;
  if (!it->got[item.chunk]) {
    it->got[item.chunk] = true;
    ++it->count;
  }
  if (it->count < it->chunks) return false;
  reassembly_.erase(it);
  return true;
}

bool Replica::ApplyItem(const DeltaItem& item, ReplicaId sender, uint64_t peer_key,
                        int64_t now_ns) {
  if (item.origin == self_) {
    // Nobody else makes our changes: a newer copy of them means our state is stale.
    for (const WireEntry& e : item.entries) {
      const EntryValue* own = store_.Find(self_, e.name);
      if (own == nullptr || e.value.p > own->p || e.value.n > own->n ||
          e.value.version > own->version) {
        if (!conflict_) ++stats_.incarnation_conflicts;
        conflict_ = true;
        break;
      }
    }
    if (item.to > own_version_) {
      if (!conflict_) ++stats_.incarnation_conflicts;
      conflict_ = true;
    }
    return false;
  }
  bool changed = false, rejected = false;
  for (const WireEntry& e : item.entries) {
    switch (store_.Merge(item.origin, e.name, e.value)) {
      case Store::MergeResult::kChanged:
        changed = true;
        break;
      case Store::MergeResult::kRejected:
        rejected = true;
        ++stats_.rejected_limits;
        break;
      case Store::MergeResult::kUnchanged:
        break;
    }
  }
  bool advanced = false, completed = false;
  if (!rejected) {
    if (item.chunks == 1) {
      advanced = store_.ApplyClaim(item.origin, item.from, item.to);
    } else if (Reassemble(item, sender, now_ns)) {
      completed = true;
      advanced = store_.ApplyClaim(item.origin, item.from, item.to);
    }
  }
  if (!changed && !advanced) {
    if (item.chunks == 1) hot_.MarkKnown(item.origin, item.from, item.to, item.entries, peer_key);
    return false;
  }
  store_.Touch(item.origin, now_ns);
  if (item.chunks == 1) {
    hot_.Add(item.origin, item.from, item.to, item.entries, peer_key);
  } else {
    hot_.Add(item.origin, item.from, item.from, item.entries, peer_key);
    if (completed) {
      hot_.Add(item.origin, item.from, item.to, store_.EntriesAfter(item.origin, item.from),
               peer_key);
    }
  }
  return true;
}

void Replica::HandleGossip(const PeerAddr& from, const Header& h, GossipBody body, int64_t now_ns,
                           std::vector<Datagram>* out) {
  uint64_t key = from.Key();
  PeerDigest& pd = peer_digests_[key];
  pd.root = body.root;
  pd.at_ns = now_ns;
  // Any digest a peer reported describes a state it has since grown from, so even a late
  // (reordered) packet's digests are a safe lower bound.
  if (body.has_buckets) {
    pd.has_buckets = true;
    pd.buckets = body.buckets;
  }
  if (body.has_sketch) pd.sketch = std::move(body.sketch);
  bool news = false;
  for (const DeltaItem& item : body.items) {
    if (ApplyItem(item, h.sender, key, now_ns)) {
      news = true;
      ++stats_.entries_merged;
    }
  }
  if (news) NoteChange(now_ns);
  const bool differ = body.root != store_.root();
  if (!differ) NoteInSync(h.sender, now_ns);
  size_t sent = 0;
  if (!(h.flags & kFlagReply)) {
    // Push-pull: answer with what the sender does not hold, and with our digests when we
    // differ (so it can leave out what we hold, or start anti-entropy).
    sent = SendGossip(from, /*reply=*/true, /*heartbeat=*/differ, /*digests=*/differ, out);
  }
  if (sent > 0 || news || !differ || !body.has_buckets) return;
  uint16_t diff = 0;
  for (int b = 0; b < kBuckets; ++b) {
    if (body.buckets[b] != store_.buckets()[b]) diff |= static_cast<uint16_t>(1u << b);
  }
  // Quiet but different: anti-entropy on the differing buckets, at most once a round (the
  // answers are bounded by max_sync_packets).
  if (diff == 0 || last_anti_entropy_round_ == stats_.rounds) return;
  last_anti_entropy_round_ = stats_.rounds;
  ++stats_.anti_entropy;
  SendVersions(from, diff, /*want_reply=*/true, out);
}

void Replica::HandleVersions(const PeerAddr& from, const Header& h, const VersionsBody& body,
                             std::vector<Datagram>* out) {
  absl::flat_hash_map<ReplicaId, uint64_t> theirs(body.origins.begin(), body.origins.end());
  // What they lack: every change past their watermark, for origins where we are ahead.
  std::vector<DeltaItem> pieces;
  for (const auto& [origin, wm] : store_.WatermarksIn(body.mask)) {
    auto it = theirs.find(origin);
    uint64_t t = it == theirs.end() ? 0 : it->second;
    if (wm <= t) continue;
    DeltaItem d;
    d.origin = origin;
    d.from = t;
    d.to = wm;
    d.entries = store_.EntriesAfter(origin, t);
    for (DeltaItem& p :
         ChunkItem(std::move(d), ItemRoom(options_.max_packet_bytes, false, false))) {
      pieces.push_back(std::move(p));
    }
  }
  // What we lack: they are ahead somewhere (or hold more of our own changes than we do).
  uint16_t need = 0;
  for (const auto& [origin, t] : body.origins) {
    if (origin == self_) {
      if (t > own_version_) {
        if (!conflict_) ++stats_.incarnation_conflicts;
        conflict_ = true;
      }
      continue;
    }
    if (t > store_.Watermark(origin)) need |= static_cast<uint16_t>(1u << BucketOf(origin));
  }
  if (!pieces.empty()) {
    // Perhaps more pieces than one answer may carry: start at a random piece, so repeated
    // exchanges cover all of them (the receiver keeps partial chunk sets).
    size_t start = std::uniform_int_distribution<size_t>(0, pieces.size() - 1)(rng_);
    Header gh;
    gh.sender = self_;
    gh.flags = kFlagReply;
    size_t packets = 0;
    GossipBuilder builder(options_.max_packet_bytes, store_.root(), nullptr);
    for (size_t i = 0; i < pieces.size() && packets < options_.max_sync_packets; ++i) {
      const DeltaItem& p = pieces[(start + i) % pieces.size()];
      if (builder.TryAdd(p)) continue;
      gh.seq = NextSeq();
      Emit(from, builder.Finish(gh), out);
      ++packets;
      builder = GossipBuilder(options_.max_packet_bytes, store_.root(), nullptr);
      if (packets < options_.max_sync_packets) builder.TryAdd(p);
    }
    if (builder.items() > 0 && packets < options_.max_sync_packets) {
      gh.seq = NextSeq();
      Emit(from, builder.Finish(gh), out);
    }
  }
  if ((h.flags & kFlagWantReply) && need != 0) SendVersions(from, need, false, out);
}

}  // namespace paddock::gcounter
