// Reading stored lines back: a compiled filter, and a scan over the segments in query
// order from a cursor, skipping whole segments by their index. Shared by Query (pages) and
// Tail (follow). Reads with pread into a 1 MiB buffer per scan; never holds the catalog
// lock while reading.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <string>

#include "absl/status/statusor.h"
#include "log_aggregator.pb.h"
#include "record.h"
#include "segment_catalog.h"
#include "segment_index.h"

namespace paddock::logagg {

// A filter compiled from the proto: every condition must hold.
struct RecordFilter {
  int64_t start_ns = std::numeric_limits<int64_t>::min();  // Inclusive.
  int64_t end_ns = std::numeric_limits<int64_t>::max();    // Exclusive.
  bool reported_time = false;  // Range applies to time_ns (else recv_ns).
  int max_severity = -1;       // 0-7; -1: no severity filter.
  std::string app, host, substring;

  // InvalidArgument for an unknown enum or a range that ends before it starts.
  static absl::StatusOr<RecordFilter> FromProto(const paddock::logagg::v1::Filter& f);
  // True when no record of a segment with index `idx` can match.
  bool SkipSegment(const SegmentIndex& idx) const;
  // True when the record matches.
  bool Match(const RecordHeader& h, const char* line) const;
};

// Where a scan stands: the segment (by its query-order key) and the offset of the next
// record in it. Encoded as an opaque page token.
struct Cursor {
  int64_t created_ns = std::numeric_limits<int64_t>::min();
  std::string segment;  // "" : before the first segment.
  uint64_t offset = 0;

  std::string Encode() const;
  // InvalidArgument for a token that is not one of ours.
  static absl::StatusOr<Cursor> Decode(const std::string& token);
};

struct ScanStats {
  uint64_t scanned_records = 0;
  uint32_t scanned_segments = 0;
  uint32_t skipped_segments = 0;
  bool budget_exhausted = false;
  bool at_end = false;  // Every segment was read to its end.
};

// Called per matching record with its header, line and instance id. Returns false to stop
// (the cursor then points after this record).
using RecordSink = std::function<bool(const RecordHeader& h, const char* line, uint64_t instance)>;

// Scans the segments of `segments` (in query order) from `*cursor` on, calling `sink` for
// every match, and advances *cursor. Stops when the sink says so, when `deadline_ns`
// (monotonic) passes, or at the end. The cursor never moves past the last segment's valid
// end, so a later scan continues with lines written meanwhile.
ScanStats Scan(const std::string& dir, const std::vector<SegmentEntry>& segments,
               const RecordFilter& filter, Cursor* cursor, int64_t deadline_ns,
               const RecordSink& sink);

// A cursor just after every line stored now (for Tail without start_time).
Cursor EndCursor(const std::string& dir, const std::vector<SegmentEntry>& segments);

// Fills a LogRecord from a stored record.
void ToProto(const RecordHeader& h, const char* line, uint64_t instance, bool include_raw,
             paddock::logagg::v1::LogRecord* out);

}  // namespace paddock::logagg
