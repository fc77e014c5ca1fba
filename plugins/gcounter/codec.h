// The gossip wire format. Every packet is
//
//   header (24 bytes): 'G' 'C' | wire version 1 | type | flags | 3 zero bytes |
//                      sender replica id (u64 LE) | sequence number (u64 LE)
//   body (by type)
//   tag (16 bytes): HMAC-SHA256-128 over header + body (auth.h)
//
// GOSSIP body:  root digest u64 | [16 bucket digests u64, if kFlagBuckets] |
//               [sketch: varint count, count x u16, if kFlagSketch] |
//               name table: varint count, (varint len, bytes)... |
//               items: varint count, item...
//   item:       origin u64 | from varint | to varint | chunk varint | chunks varint |
//               [content hash u32, if chunks > 1] | varint count, entry...
//   entry:      name index varint | kind u8 | p varint | n varint | version varint
// VERSIONS body: bucket mask u16 | varint count, (origin u64, watermark varint)...
//
// An item claims: every change its origin made with a version in (from, to] is among the
// entries, at that value or later. A logical item too big for one packet travels as
// `chunks` pieces that share `content`; only all pieces together carry the claim.
// Decoding is strict: anything out of range, truncated, or trailing is malformed.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "types.h"

namespace paddock::gcounter {

inline constexpr size_t kHeaderBytes = 24;
inline constexpr uint8_t kWireVersion = 1;
inline constexpr int kBuckets = 16;
inline constexpr uint32_t kMaxChunks = 4096;
// Smallest packet size limit the engine accepts (one item with one longest name must fit).
inline constexpr size_t kMinPacketBytes = 512;
// Largest UDP payload over IPv4.
inline constexpr size_t kMaxPacketBytes = 65507;

enum class PacketType : uint8_t { kGossip = 1, kVersions = 2 };

// GOSSIP flags.
inline constexpr uint8_t kFlagReply = 1;    // An answer: do not answer it with gossip.
inline constexpr uint8_t kFlagBuckets = 2;  // Bucket digests follow the root.
inline constexpr uint8_t kFlagSketch = 4;   // A sketch follows: 16 bits of the digest of
                                            // each (origin, watermark), sorted.
// VERSIONS flags.
inline constexpr uint8_t kFlagWantReply = 1;  // Answer with your versions for the same mask.

struct Header {
  PacketType type = PacketType::kGossip;
  uint8_t flags = 0;
  ReplicaId sender = 0;
  uint64_t seq = 0;
};

struct WireEntry {
  std::string name;
  EntryValue value;
};

struct DeltaItem {
  ReplicaId origin = 0;
  uint64_t from = 0;
  uint64_t to = 0;
  uint32_t chunk = 0;
  uint32_t chunks = 1;
  uint32_t content = 0;
  std::vector<WireEntry> entries;
};

struct GossipBody {
  uint64_t root = 0;
  bool has_buckets = false;
  std::array<uint64_t, kBuckets> buckets{};
  bool has_sketch = false;
  std::vector<uint16_t> sketch;
  std::vector<DeltaItem> items;
};

struct VersionsBody {
  uint16_t mask = 0;
  std::vector<std::pair<ReplicaId, uint64_t>> origins;
};

// Parses the header of an (already authenticated) packet; `packet` includes the tag.
// InvalidArgument when the magic, version, type or reserved bytes are wrong.
absl::StatusOr<Header> DecodeHeader(std::string_view packet);
// Parses the body of a GOSSIP / VERSIONS packet (`packet` includes header and tag).
absl::StatusOr<GossipBody> DecodeGossip(std::string_view packet);
absl::StatusOr<VersionsBody> DecodeVersions(std::string_view packet);

// Writes the 24-byte header.
void EncodeHeader(const Header& h, std::string* out);

// Builds one GOSSIP packet within a byte budget (header and tag included). Items are
// added whole or not at all. Not thread-safe.
class GossipBuilder {
 public:
  // `max_bytes` is the whole packet's limit, at least kMinPacketBytes. `buckets` and
  // `sketch` are optional (null: not sent) and must outlive the builder.
  GossipBuilder(size_t max_bytes, uint64_t root, const std::array<uint64_t, kBuckets>* buckets,
                const std::vector<uint16_t>* sketch = nullptr);
  // Adds `item` if it fits; false (and nothing added) otherwise.
  bool TryAdd(const DeltaItem& item);
  size_t items() const { return item_count_; }
  // Bytes the packet would have now, tag included.
  size_t size() const;
  // Header + body, ready for Authenticator::Sign. The builder is spent afterwards.
  std::string Finish(Header header);

 private:
  size_t max_bytes_;
  uint64_t root_;
  const std::array<uint64_t, kBuckets>* buckets_;
  const std::vector<uint16_t>* sketch_;
  size_t fixed_bytes_;                                      // Header, root, buckets, sketch, tag.
  std::vector<std::string> names_;                          // Table order.
  std::vector<std::pair<std::string, size_t>> name_index_;  // Small linear map.
  size_t names_bytes_ = 0;
  std::string items_;
  size_t item_count_ = 0;
  std::vector<size_t> scratch_indices_;  // Reused by TryAdd.
  std::vector<std::string_view> scratch_added_;
};

// Bytes an item takes when it is alone in a packet with its own names (for chunking).
size_t StandaloneItemBytes(const DeltaItem& item);
// Bytes of a GOSSIP packet with no items (header, root, buckets, empty tables, tag).
size_t EmptyGossipBytes(bool buckets);

// Most bytes a sketch may take in a packet of `max_bytes` (larger sketches are not sent).
inline size_t SketchBudget(size_t max_bytes) { return max_bytes / 4; }

// Bytes an item may take in a packet of `max_bytes` that also carries the bucket digests
// (if `buckets`) and possibly a sketch (if `sketch`).
size_t ItemRoom(size_t max_bytes, bool buckets, bool sketch);
// Splits `item` into pieces that each take at most `room` bytes alone; entries are ordered
// by version. Returns {item} when it fits.
std::vector<DeltaItem> ChunkItem(DeltaItem item, size_t room);

// Encodes VERSIONS bodies for `origins` (watermarks per origin, all in `mask`'s buckets)
// into as many packets as needed, each listing whole buckets; returns header+body strings.
std::vector<std::string> EncodeVersions(Header header, uint16_t mask,
                                        const std::vector<std::pair<ReplicaId, uint64_t>>& origins,
                                        size_t max_bytes);

// Bucket of an origin in the digest.
inline int BucketOf(ReplicaId id) { return static_cast<int>((id ^ (id >> 32)) % kBuckets); }

}  // namespace paddock::gcounter
