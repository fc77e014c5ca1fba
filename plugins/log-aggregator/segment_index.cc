#include "segment_index.h"

#include <algorithm>
#include <cstring>

#include "crc32c.h"

namespace paddock::logagg {
namespace {

constexpr uint64_t kIndexMagic = 0x31584449474c50ull;  // "PLGIDX1"

struct Wire {
  uint64_t magic;
  uint64_t instance, number;
  int64_t created_ns;
  uint64_t records, first_sequence, last_sequence;
  int64_t min_recv_ns, max_recv_ns, min_time_ns, max_time_ns;
  uint64_t rfc3164, rfc5424, raw;
  uint32_t severity_mask;
  uint32_t crc;
  uint64_t file_bytes;
};

}  // namespace

void SegmentIndex::Add(const RecordHeader& h, uint64_t end_offset) {
  if (records == 0) first_sequence = h.sequence;
  ++records;
  last_sequence = h.sequence;
  min_recv_ns = std::min(min_recv_ns, h.recv_ns);
  max_recv_ns = std::max(max_recv_ns, h.recv_ns);
  min_time_ns = std::min(min_time_ns, h.time_ns);
  max_time_ns = std::max(max_time_ns, h.time_ns);
  switch (static_cast<LineFormat>(h.format)) {
    case LineFormat::kRfc3164:
      ++rfc3164;
      break;
    case LineFormat::kRfc5424:
      ++rfc5424;
      break;
    default:
      ++raw;
  }
  severity_mask |= (h.flags & kFlagHasPri) ? (1u << (h.severity & 7)) : (1u << 8);
  file_bytes = end_offset;
}

std::string EncodeIndex(const SegmentIndex& idx) {
  Wire w{};
  w.magic = kIndexMagic;
  w.instance = idx.instance;
  w.number = idx.number;
  w.created_ns = idx.created_ns;
  w.records = idx.records;
  w.first_sequence = idx.first_sequence;
  w.last_sequence = idx.last_sequence;
  w.min_recv_ns = idx.min_recv_ns;
  w.max_recv_ns = idx.max_recv_ns;
  w.min_time_ns = idx.min_time_ns;
  w.max_time_ns = idx.max_time_ns;
  w.rfc3164 = idx.rfc3164;
  w.rfc5424 = idx.rfc5424;
  w.raw = idx.raw;
  w.severity_mask = idx.severity_mask;
  w.file_bytes = idx.file_bytes;
  w.crc = 0;
  w.crc = Crc32c(0, &w, sizeof(w));
  return std::string(reinterpret_cast<const char*>(&w), sizeof(w));
}

absl::StatusOr<SegmentIndex> DecodeIndex(const std::string& bytes) {
  Wire w;
  if (bytes.size() != sizeof(w)) return absl::InvalidArgumentError("index: wrong size");
  std::memcpy(&w, bytes.data(), sizeof(w));
  uint32_t crc = w.crc;
  w.crc = 0;
  if (w.magic != kIndexMagic || Crc32c(0, &w, sizeof(w)) != crc) {
    return absl::InvalidArgumentError("index: bad magic or checksum");
  }
  SegmentIndex idx;
  idx.instance = w.instance;
  idx.number = w.number;
  idx.created_ns = w.created_ns;
  idx.records = w.records;
  idx.first_sequence = w.first_sequence;
  idx.last_sequence = w.last_sequence;
  idx.min_recv_ns = w.min_recv_ns;
  idx.max_recv_ns = w.max_recv_ns;
  idx.min_time_ns = w.min_time_ns;
  idx.max_time_ns = w.max_time_ns;
  idx.rfc3164 = w.rfc3164;
  idx.rfc5424 = w.rfc5424;
  idx.raw = w.raw;
  idx.severity_mask = w.severity_mask;
  idx.file_bytes = w.file_bytes;
  return idx;
}

}  // namespace paddock::logagg
