// The small per-segment index queries use to skip whole segments: time ranges, counts and
// which severities occur. Kept in memory for the active segment, written next to a segment
// when it is sealed ("<segment>.idx"), rebuilt by scanning when missing or stale.
#pragma once

#include <cstdint>
#include <limits>
#include <string>

#include "absl/status/statusor.h"
#include "record.h"

namespace paddock::logagg {

struct SegmentIndex {
  uint64_t instance = 0;
  uint64_t number = 0;
  int64_t created_ns = 0;
  uint64_t records = 0;
  uint64_t first_sequence = 0;  // 0 when empty.
  uint64_t last_sequence = 0;
  int64_t min_recv_ns = std::numeric_limits<int64_t>::max();
  int64_t max_recv_ns = std::numeric_limits<int64_t>::min();
  int64_t min_time_ns = std::numeric_limits<int64_t>::max();
  int64_t max_time_ns = std::numeric_limits<int64_t>::min();
  uint64_t rfc3164 = 0, rfc5424 = 0, raw = 0;
  uint32_t severity_mask = 0;  // Bit s for severity s (0-7); bit 8: records without PRI.
  uint64_t file_bytes = 0;     // Size of the segment file the index describes.

  // Accounts one record ending at file offset `end_offset`.
  void Add(const RecordHeader& h, uint64_t end_offset);
  bool empty() const { return records == 0; }
};

// Serializes an index (fixed binary layout with a CRC).
std::string EncodeIndex(const SegmentIndex& idx);
// Parses EncodeIndex's output; InvalidArgument when the bytes are not a valid index.
absl::StatusOr<SegmentIndex> DecodeIndex(const std::string& bytes);

}  // namespace paddock::logagg
