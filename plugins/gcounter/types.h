// Vocabulary of the gcounter replication engine: replica ids, counter kinds, entry values.
// Everything here is a plain value type; nothing is thread-safe on its own.
#pragma once

#include <cstdint>
#include <string>

namespace paddock::gcounter {

// Identity of one incarnation of a node: a random 64-bit number made when a data dir is
// created. A node whose data dir is lost gets a new one, so it never reuses entries. 0 is
// never a valid id.
using ReplicaId = uint64_t;

// What a counter is. The order matters: the join of two kinds is the larger one (a G-Counter
// is a PN-Counter whose N part is 0, so promoting loses nothing).
enum class Kind : uint8_t {
  kGrowOnly = 0,          // G-Counter: increments only.
  kPositiveNegative = 1,  // PN-Counter: increments and decrements.
};

// Largest value one replica's P or N part may reach; keeps every sum of 2^63 entries exact
// in 128 bits and every varint at most 9 bytes.
inline constexpr uint64_t kMaxPart = (uint64_t{1} << 62) - 1;

// Longest counter name, in bytes.
inline constexpr size_t kMaxNameBytes = 128;

// One replica's entry in one counter. `p` and `n` only grow; `version` is the origin's change
// number at which this entry last changed (unique per change of that origin, so an origin's
// changes are totally ordered).
struct EntryValue {
  uint64_t p = 0;
  uint64_t n = 0;
  uint64_t version = 0;
  Kind kind = Kind::kGrowOnly;
};

// True when `name` is an acceptable counter name: 1..kMaxNameBytes bytes, printable ASCII
// (0x21..0x7e), so names are safe in logs, JSON and file records.
bool ValidCounterName(const std::string& name);

// Lowercase 16-digit hex of `id` (how ids appear in logs and the API).
std::string ReplicaIdToHex(ReplicaId id);

}  // namespace paddock::gcounter
