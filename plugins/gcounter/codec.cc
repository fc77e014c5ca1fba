#include "codec.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "auth.h"
#include "wire.h"

namespace paddock::gcounter {
namespace {

absl::Status Malformed(std::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("malformed packet: ", absl::string_view(what.data(), what.size())));
}

// Body bytes between the header and the tag; empty when the packet is too short.
std::string_view Body(std::string_view packet) {
  if (packet.size() < kHeaderBytes + kTagBytes) return {};
  return packet.substr(kHeaderBytes, packet.size() - kHeaderBytes - kTagBytes);
}

size_t EntryBytes(const WireEntry& e, size_t name_index) {
  return VarintSize(name_index) + 1 + VarintSize(e.value.p) + VarintSize(e.value.n) +
         VarintSize(e.value.version);
}

size_t ItemFixedBytes(const DeltaItem& item) {
  return 8 + VarintSize(item.from) + VarintSize(item.to) + VarintSize(item.chunk) +
         VarintSize(item.chunks) + (item.chunks > 1 ? 4 : 0) + VarintSize(item.entries.size());
}

void EncodeEntry(WireWriter& w, const WireEntry& e, size_t name_index) {
  w.Varint(name_index);
  w.U8(static_cast<uint8_t>(e.value.kind));
  w.Varint(e.value.p);
  w.Varint(e.value.n);
  w.Varint(e.value.version);
}

uint32_t ContentHash(const std::vector<WireEntry>& entries) {
  // FNV-1a over names and values: ties chunks of one logical item together.
  uint32_t h = 2166136261u;
  auto mix = [&](uint64_t v) {
    for (int i = 0; i < 8; ++i) {
      h ^= static_cast<uint8_t>(v >> (8 * i));
      h *= 16777619u;
    }
  };
  for (const WireEntry& e : entries) {
    for (char c : e.name) {
      h ^= static_cast<uint8_t>(c);
      h *= 16777619u;
    }
    mix(e.value.p);
    mix(e.value.n);
    mix(e.value.version);
    mix(static_cast<uint64_t>(e.value.kind));
  }
  return h;
}

}  // namespace

void EncodeHeader(const Header& h, std::string* out) {
  WireWriter w(out);
  w.U8('G');
  w.U8('C');
  w.U8(kWireVersion);
  w.U8(static_cast<uint8_t>(h.type));
  w.U8(h.flags);
  w.U8(0);
  w.U8(0);
  w.U8(0);
  w.U64(h.sender);
  w.U64(h.seq);
}

absl::StatusOr<Header> DecodeHeader(std::string_view packet) {
  if (packet.size() < kHeaderBytes + kTagBytes) return Malformed("shorter than header + tag");
  WireReader r(packet.substr(0, kHeaderBytes));
  uint8_t g, c, version, type, flags, z0, z1, z2;
  Header h;
  r.U8(&g);
  r.U8(&c);
  r.U8(&version);
  r.U8(&type);
  r.U8(&flags);
  r.U8(&z0);
  r.U8(&z1);
  r.U8(&z2);
  r.U64(&h.sender);
  r.U64(&h.seq);
  if (!r.ok() || g != 'G' || c != 'C') return Malformed("bad magic");
  if (version != kWireVersion) return Malformed(absl::StrCat("wire version ", version));
  if (type != static_cast<uint8_t>(PacketType::kGossip) &&
      type != static_cast<uint8_t>(PacketType::kVersions)) {
    return Malformed(absl::StrCat("unknown type ", type));
  }
  if (z0 || z1 || z2) return Malformed("reserved bytes set");
  if (h.sender == 0) return Malformed("sender id 0");
  h.type = static_cast<PacketType>(type);
  h.flags = flags;
  return h;
}

absl::StatusOr<GossipBody> DecodeGossip(std::string_view packet) {
  absl::StatusOr<Header> header = DecodeHeader(packet);
  if (!header.ok()) return header.status();
  if (header->type != PacketType::kGossip) return Malformed("not a GOSSIP packet");
  if (header->flags & ~(kFlagReply | kFlagBuckets | kFlagSketch)) {
    return Malformed("unknown GOSSIP flags");
  }
  WireReader r(Body(packet));
  GossipBody body;
  r.U64(&body.root);
  body.has_buckets = header->flags & kFlagBuckets;
  if (body.has_buckets) {
    for (uint64_t& b : body.buckets) r.U64(&b);
  }
  body.has_sketch = header->flags & kFlagSketch;
  if (body.has_sketch) {
    uint64_t count = 0;
    if (!r.Varint(&count) || count > r.remaining() / 2) return Malformed("sketch");
    body.sketch.resize(count);
    for (uint16_t& h : body.sketch) r.U16(&h);
    if (!std::is_sorted(body.sketch.begin(), body.sketch.end())) return Malformed("sketch order");
  }
  uint64_t name_count = 0;
  if (!r.Varint(&name_count) || name_count > r.remaining() / 2) return Malformed("name table");
  std::vector<std::string> names;
  names.reserve(name_count);
  for (uint64_t i = 0; i < name_count; ++i) {
    std::string_view name;
    if (!r.Bytes(&name, kMaxNameBytes)) return Malformed("name");
    names.emplace_back(name.data(), name.size());
    if (!ValidCounterName(names.back())) return Malformed("invalid counter name");
  }
  uint64_t item_count = 0;
  // An item is at least 13 bytes (origin + five one-byte varints).
  if (!r.Varint(&item_count) || item_count > r.remaining() / 13) return Malformed("item count");
  body.items.resize(item_count);
  for (DeltaItem& item : body.items) {
    uint64_t chunk = 0, chunks = 0, entry_count = 0;
    r.U64(&item.origin);
    r.Varint(&item.from);
    r.Varint(&item.to);
    r.Varint(&chunk);
    r.Varint(&chunks);
    if (!r.ok()) return Malformed("item header");
    if (item.origin == 0) return Malformed("origin 0");
    if (item.from > item.to) return Malformed("item interval from > to");
    if (chunks < 1 || chunks > kMaxChunks || chunk >= chunks) return Malformed("chunk numbers");
    item.chunk = static_cast<uint32_t>(chunk);
    item.chunks = static_cast<uint32_t>(chunks);
    if (item.chunks > 1 && !r.U32(&item.content)) return Malformed("content hash");
    // An entry is at least 5 bytes.
    if (!r.Varint(&entry_count) || entry_count > r.remaining() / 5) {
      return Malformed("entry count");
    }
    item.entries.resize(entry_count);
    for (WireEntry& e : item.entries) {
      uint64_t name_index = 0;
      uint8_t kind = 0;
      r.Varint(&name_index);
      r.U8(&kind);
      r.Varint(&e.value.p);
      r.Varint(&e.value.n);
      r.Varint(&e.value.version);
      if (!r.ok()) return Malformed("entry");
      if (name_index >= names.size()) return Malformed("name index out of range");
      if (kind > static_cast<uint8_t>(Kind::kPositiveNegative)) return Malformed("kind");
      e.value.kind = static_cast<Kind>(kind);
      if (e.value.p > kMaxPart || e.value.n > kMaxPart) return Malformed("entry value too large");
      if (e.value.kind == Kind::kGrowOnly && e.value.n != 0) {
        return Malformed("G-Counter entry with a negative part");
      }
      if (e.value.version == 0) return Malformed("entry version 0");
      e.name = names[name_index];
    }
  }
  if (!r.ok() || !r.done()) return Malformed("trailing or truncated body");
  return body;
}

absl::StatusOr<VersionsBody> DecodeVersions(std::string_view packet) {
  absl::StatusOr<Header> header = DecodeHeader(packet);
  if (!header.ok()) return header.status();
  if (header->type != PacketType::kVersions) return Malformed("not a VERSIONS packet");
  if (header->flags & ~kFlagWantReply) return Malformed("unknown VERSIONS flags");
  WireReader r(Body(packet));
  VersionsBody body;
  uint64_t count = 0;
  r.U16(&body.mask);
  if (!r.Varint(&count) || count > r.remaining() / 9) return Malformed("origin count");
  body.origins.resize(count);
  for (auto& [origin, wm] : body.origins) {
    r.U64(&origin);
    r.Varint(&wm);
    if (!r.ok()) return Malformed("origin");
    if (origin == 0) return Malformed("origin 0");
    if (((body.mask >> BucketOf(origin)) & 1) == 0) return Malformed("origin outside the mask");
  }
  if (!r.ok() || !r.done()) return Malformed("trailing or truncated body");
  return body;
}

size_t EmptyGossipBytes(bool buckets) {
  return kHeaderBytes + 8 + (buckets ? 8 * kBuckets : 0) + 1 + 1 + kTagBytes;
}

GossipBuilder::GossipBuilder(size_t max_bytes, uint64_t root,
                             const std::array<uint64_t, kBuckets>* buckets,
                             const std::vector<uint16_t>* sketch)
    : max_bytes_(max_bytes),
      root_(root),
      buckets_(buckets),
      sketch_(sketch),
      fixed_bytes_(kHeaderBytes + 8 + (buckets ? 8 * kBuckets : 0) +
                   (sketch ? VarintSize(sketch->size()) + 2 * sketch->size() : 0) + kTagBytes) {}

size_t GossipBuilder::size() const {
  return fixed_bytes_ + VarintSize(names_.size()) + names_bytes_ + VarintSize(item_count_) +
         items_.size();
}

bool GossipBuilder::TryAdd(const DeltaItem& item) {
  // Work out the names this item adds and the bytes it takes before committing anything.
  std::vector<size_t>& indices = scratch_indices_;
  std::vector<std::string_view>& added = scratch_added_;
  indices.clear();
  added.clear();
  size_t added_bytes = 0;
  size_t item_bytes = ItemFixedBytes(item);
  for (const WireEntry& e : item.entries) {
    size_t index = SIZE_MAX;
    for (const auto& [name, i] : name_index_) {
      if (name == e.name) {
        index = i;
        break;
      }
    }
    if (index == SIZE_MAX) {
      for (size_t j = 0; j < added.size(); ++j) {
        if (added[j] == e.name) index = names_.size() + j;
      }
    }
    if (index == SIZE_MAX) {
      index = names_.size() + added.size();
      added.push_back(e.name);
      added_bytes += VarintSize(e.name.size()) + e.name.size();
    }
    indices.push_back(index);
    item_bytes += EntryBytes(e, index);
  }
  size_t new_size = fixed_bytes_ + VarintSize(names_.size() + added.size()) + names_bytes_ +
                    added_bytes + VarintSize(item_count_ + 1) + items_.size() + item_bytes;
  if (new_size > max_bytes_) return false;
  for (std::string_view name : added) {
    name_index_.emplace_back(std::string(name), names_.size());
    names_bytes_ += VarintSize(name.size()) + name.size();
    names_.emplace_back(name);
  }
  WireWriter w(&items_);
  w.U64(item.origin);
  w.Varint(item.from);
  w.Varint(item.to);
  w.Varint(item.chunk);
  w.Varint(item.chunks);
  if (item.chunks > 1) w.U32(item.content);
  w.Varint(item.entries.size());
  for (size_t i = 0; i < item.entries.size(); ++i) EncodeEntry(w, item.entries[i], indices[i]);
  ++item_count_;
  return true;
}

std::string GossipBuilder::Finish(Header header) {
  header.type = PacketType::kGossip;
  header.flags = static_cast<uint8_t>((header.flags & kFlagReply) | (buckets_ ? kFlagBuckets : 0) |
                                      (sketch_ ? kFlagSketch : 0));
  std::string out;
  out.reserve(size());
  EncodeHeader(header, &out);
  WireWriter w(&out);
  w.U64(root_);
  if (buckets_) {
    for (uint64_t b : *buckets_) w.U64(b);
  }
  if (sketch_) {
    w.Varint(sketch_->size());
    for (uint16_t h : *sketch_) w.U16(h);
  }
  w.Varint(names_.size());
  for (const std::string& n : names_) w.Bytes(n);
  w.Varint(item_count_);
  w.Raw(items_);
  return out;
}

size_t StandaloneItemBytes(const DeltaItem& item) {
  // Name table entries for the item's distinct names (in first-use order), then the item.
  std::vector<std::string_view> names;
  size_t bytes = ItemFixedBytes(item);
  size_t table = 0;
  for (const WireEntry& e : item.entries) {
    size_t index = std::find(names.begin(), names.end(), e.name) - names.begin();
    if (index == names.size()) {
      names.push_back(e.name);
      table += VarintSize(e.name.size()) + e.name.size();
    }
    bytes += EntryBytes(e, index);
  }
  // Relative to an empty packet: the two one-byte counts may grow.
  return table + bytes + (VarintSize(names.size()) - 1) + (VarintSize(1) - 1);
}

size_t ItemRoom(size_t max_bytes, bool buckets, bool sketch) {
  return max_bytes - EmptyGossipBytes(buckets) - (sketch ? SketchBudget(max_bytes) : 0);
}

std::vector<DeltaItem> ChunkItem(DeltaItem item, size_t room) {
  if (StandaloneItemBytes(item) <= room) return {std::move(item)};
  std::sort(item.entries.begin(), item.entries.end(), [](const WireEntry& a, const WireEntry& b) {
    return a.value.version < b.value.version;
  });
  uint32_t content = ContentHash(item.entries);
  std::vector<DeltaItem> pieces;
  DeltaItem cur;
  auto start_piece = [&] {
    cur = DeltaItem{};
    cur.origin = item.origin;
    cur.from = item.from;
    cur.to = item.to;
    cur.chunks = 2;  // Any value > 1 sizes the content hash in; fixed below.
    cur.content = content;
  };
  start_piece();
  for (WireEntry& e : item.entries) {
    cur.entries.push_back(std::move(e));
    // Pieces carry their own names, so sizing one alone is exact; the slack of 8 bytes
    // covers the final chunk numbers' varints.
    if (StandaloneItemBytes(cur) + 8 > room && cur.entries.size() > 1) {
      WireEntry last = std::move(cur.entries.back());
      cur.entries.pop_back();
      pieces.push_back(std::move(cur));
      start_piece();
      cur.entries.push_back(std::move(last));
    }
  }
  if (!cur.entries.empty()) pieces.push_back(std::move(cur));
  if (pieces.size() > kMaxChunks) {
    // Too many pieces to number: each travels alone without a claim (its entries still
    // merge; a later anti-entropy exchange from a closer watermark carries the claim).
    for (DeltaItem& p : pieces) {
      p.to = p.from;
      p.chunk = 0;
      p.chunks = 1;
      p.content = 0;
    }
    return pieces;
  }
  uint32_t n = static_cast<uint32_t>(pieces.size());
  for (uint32_t i = 0; i < n; ++i) {
    pieces[i].chunk = i;
    pieces[i].chunks = n;
    if (n == 1) pieces[i].content = 0;
  }
  return pieces;
}

std::vector<std::string> EncodeVersions(Header header, uint16_t mask,
                                        const std::vector<std::pair<ReplicaId, uint64_t>>& origins,
                                        size_t max_bytes) {
  header.type = PacketType::kVersions;
  // Bucket-aligned packets: gather origins per bucket, then fill packets bucket by bucket.
  std::array<std::vector<std::pair<ReplicaId, uint64_t>>, kBuckets> per_bucket;
  for (const auto& o : origins) per_bucket[BucketOf(o.first)].push_back(o);
  std::vector<std::string> packets;
  uint16_t cur_mask = 0;
  std::vector<std::pair<ReplicaId, uint64_t>> cur;
  size_t cur_bytes = 0;
  const size_t fixed = kHeaderBytes + 2 + 3 + kTagBytes;
  auto flush = [&] {
    if (cur_mask == 0) return;
    std::string out;
    EncodeHeader(header, &out);
    WireWriter w(&out);
    w.U16(cur_mask);
    w.Varint(cur.size());
    for (const auto& [id, wm] : cur) {
      w.U64(id);
      w.Varint(wm);
    }
    packets.push_back(std::move(out));
    cur_mask = 0;
    cur.clear();
    cur_bytes = 0;
  };
  for (int b = 0; b < kBuckets; ++b) {
    if (((mask >> b) & 1) == 0) continue;
    size_t bytes = 0;
    for (const auto& o : per_bucket[b]) bytes += 8 + VarintSize(o.second);
    if (cur_mask != 0 && fixed + cur_bytes + bytes > max_bytes) flush();
    // One bucket too large for a packet is split; its mask bit goes with every piece, and
    // the receiver then over-sends (harmless: merges are idempotent).
    cur_mask |= static_cast<uint16_t>(1u << b);
    for (const auto& o : per_bucket[b]) {
      if (fixed + cur_bytes + 8 + VarintSize(o.second) > max_bytes) {
        flush();
        cur_mask |= static_cast<uint16_t>(1u << b);
      }
      cur.push_back(o);
      cur_bytes += 8 + VarintSize(o.second);
    }
  }
  flush();
  return packets;
}

}  // namespace paddock::gcounter
