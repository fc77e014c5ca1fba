// The writer thread: takes records off the ring in order and appends them to this
// instance's active segment with one pwritev per up to 1024 records (straight from the ring
// memory), rotates segments by size and age, enforces retention, applies the fsync policy,
// and keeps the catalog and the tails informed.
//
// A record waits in the ring at most flush_interval (plus one write) unless flush_bytes
// are waiting first; that bounds what a kill -9 can lose. A failed write (ENOSPC, EIO)
// never stops the writer: the batch is dropped and counted, the segment is cut back to its
// last whole record, the error is reported in Stats, and the next batch tries again.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "paddock/config.h"
#include "ring.h"
#include "segment_catalog.h"
#include "segment_file.h"
#include "settings.h"
#include "stats.h"

namespace paddock::logagg {

class SegmentWriter {
 public:
  // Nothing is owned; all must outlive the writer. `settings` is read on every batch.
  SegmentWriter(Ring& ring, SegmentCatalog& catalog, Stats& stats, uint64_t instance,
                const AtomicSnapshot<Settings>& settings);
  ~SegmentWriter();  // Stop()s.

  // Starts the thread.
  void Start();

  // Receiver side, after Ring::Publish: wakes the writer when the ring went from empty to
  // non-empty (so the flush clock starts), or `flush_now` (enough bytes are waiting or the
  // ring is filling up). Thread-safe; takes a mutex only when it wakes the writer.
  void Wake(bool flush_now);

  // Blocks until every record published before the call is written (or dropped), or
  // `timeout` passes. Returns true when done. Thread-safe.
  bool Flush(std::chrono::milliseconds timeout);

  // Writes what is left in the ring, seals the active segment and ends the thread. The
  // producer must have stopped. Idempotent.
  void Stop();

  // Records handed to the writer and not yet written. Thread-safe.
  uint64_t released() const { return released_.load(std::memory_order_acquire); }

 private:
  void Run();
  // Writes every available record; unless `complete`, those after the last whole block of
  // an O_DIRECT segment may stay in the ring (then returns true). Writer thread only.
  bool WriteAvailable(bool complete);
  // Deletes the oldest segments until `incoming` more bytes fit under retention_max_bytes
  // (if set). Writer thread only.
  void MakeRoom(const Settings& s, uint64_t incoming);
  // Seals the active segment (if any). Writer thread only.
  void SealActive(const Settings& s);
  // Age rotation, age retention, fsync interval, catalog refresh. Writer thread only.
  void Periodic(const Settings& s);
  void ReportError(const absl::Status& st);

  Ring& ring_;
  SegmentCatalog& catalog_;
  Stats& stats_;
  const uint64_t instance_;
  const AtomicSnapshot<Settings>& settings_;

  // Writer thread only.
  std::optional<ActiveSegment> active_;
  uint64_t next_number_ = 1;
  bool dirty_ = false;      // Written since the last fsync.
  std::vector<iovec> iov_;  // One batch of records for ActiveSegment::Append (sized once).
  int64_t last_sync_ns_ = 0, last_periodic_ns_ = 0, last_refresh_ns_ = 0, last_error_log_ns_ = 0;

  std::mutex mu_;
  std::condition_variable cv_;       // Wakes the writer.
  std::condition_variable flushed_;  // Wakes Flush() callers.
  bool flush_now_ = false;           // Guarded by mu_.
  bool complete_now_ = false;        // Guarded by mu_. Flush(): write every record.

  bool stop_ = false;                  // Guarded by mu_.
  bool stopped_ = false;               // Guarded by mu_.
  uint64_t flush_target_ = 0;          // Guarded by mu_.
  std::atomic<uint64_t> released_{0};  // Records taken off the ring (written or dropped).
  std::thread thread_;
};

// CLOCK_REALTIME / CLOCK_MONOTONIC in nanoseconds.
int64_t RealtimeNs();
int64_t MonotonicNs();

}  // namespace paddock::logagg
