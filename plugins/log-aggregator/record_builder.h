// Producer-side helper of the receiver thread: turns received lines into ring records
// (parse, header, sequence number, counters).
#pragma once

#include <cstddef>
#include <cstdint>

#include "ring.h"
#include "stats.h"
#include "syslog_parser.h"

namespace paddock::logagg {

class RecordBuilder {
 public:
  // `ring` and `stats` are not owned. Lines longer than max_message_bytes (<= 65535) are cut.
  RecordBuilder(Ring& ring, Stats& stats, uint32_t max_message_bytes, uint64_t first_sequence = 1)
      : ring_(ring), stats_(stats), max_(max_message_bytes), next_seq_(first_sequence) {}

  // Starts a batch received at `recv_ns` (unix ns): every record of it gets that time.
  void BeginBatch(int64_t recv_ns);

  // Slot `i` (relative to the ring's unpublished head) already holds the line (`len` bytes,
  // <= the slot size, at Ring::SlotLine(i)): writes its header there.
  void CommitInSlot(uint32_t i, uint32_t len, uint8_t flags);

  // The line is `a[0, alen)` followed by `b[0, blen)` (b may be empty) somewhere else:
  // copies it into slot `i` or, when longer than a slot, into the large ring. Returns false
  // (and changes nothing) when the large ring has no room now.
  bool CommitCopy(uint32_t i, const char* a, size_t alen, const char* b, size_t blen,
                  uint8_t flags);

  // Adds what this builder counted since the last call to the shared counters (one atomic
  // add per counter per batch instead of several per line).
  void FlushCounters();

  // Sequence number the next record gets; the last one given is next_sequence() - 1.
  uint64_t next_sequence() const { return next_seq_; }
  uint32_t max_message_bytes() const { return max_; }

 private:
  void Finish(char* header, const char* line, uint32_t len, uint8_t flags, size_t orig_len);

  Ring& ring_;
  Stats& stats_;
  const uint32_t max_;
  uint64_t next_seq_;
  ParseClock clock_;
  int64_t year_start_ns_ = 0, year_end_ns_ = 0;  // Cache for clock_.recv_year.
  ParsedLine parsed_;
  // Counted here, added to stats_ by FlushCounters().
  uint64_t received_ = 0, received_bytes_ = 0, rfc3164_ = 0, rfc5424_ = 0, raw_ = 0, truncated_ = 0;
};

}  // namespace paddock::logagg
