// Takes records off the ring in order and appends them to this instance's active segment,
// rotates segments by size and age, enforces retention, applies the fsync policy, and keeps
// the catalog and the tails informed.
//
// Two threads write. With an O_DIRECT segment the receiver itself, after each batch it
// reads (Pump), copies the batch into the segment's staging buffer while the lines are
// still in its CPU's cache, and writes the buffer when it holds flush_bytes (or is full):
// no line is touched by a second CPU. The writer thread writes what the receiver leaves:
// everything once a record has waited flush_interval, on Flush(), on Stop(), and every
// write through the page cache (no O_DIRECT on the filesystem), when woken for flush_bytes.
// One mutex (io_mu_) serializes them; the receiver only tries it, and leaves its batch in
// the ring for later when the writer thread holds it.
//
// A record waits in the ring at most flush_interval (plus one write) unless flush_bytes
// are waiting first; that bounds what a kill -9 can lose. A failed write (ENOSPC, EIO)
// never stops the writer: the records staged and not yet whole on disk are dropped and
// counted, the segment is cut back to its last whole record, the error is reported in
// Stats, and the next batch tries again.
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

  // Receiver side, after Ring::Publish: when the active segment is O_DIRECT, stages what
  // was published and writes the staging buffer once it holds `flush_bytes`. Returns false
  // when it did nothing (no O_DIRECT segment yet, or the writer thread is writing): the
  // caller then wakes the writer as before. Call from the one producer thread only.
  bool Pump();

  // Blocks until every record published before the call is written (or dropped), or
  // `timeout` passes. Returns true when done. Thread-safe.
  bool Flush(std::chrono::milliseconds timeout);

  // Writes what is left in the ring, seals the active segment and ends the thread. The
  // producer must have stopped. Idempotent.
  void Stop();

  // Records handed to the writer and not yet written. Thread-safe.
  uint64_t released() const { return released_.load(std::memory_order_acquire); }

 private:
  using WriteMode = ActiveSegment::WriteMode;
  void Run();
  // Stages every available record not staged yet, writes as `mode` says, commits what is
  // whole on disk. Returns true when records stay in the ring (staged, not yet written).
  // io_mu_ held.
  // kFullBuffers becomes kWholeBlocks once `flush_bytes` are staged and not written.
  bool WriteAvailable(WriteMode mode, uint64_t flush_bytes);
  // Stages the ring records [from, to) (relative to its tail) into active_. io_mu_ held.
  absl::Status StageRange(uint64_t from, uint64_t to);
  // After a failed Stage or Write: when the device refused O_DIRECT, stages the records
  // again through the page cache and returns that result; else returns `st`. io_mu_ held.
  absl::Status Recover(absl::Status st);
  // Accounts the staged records now whole on disk (index, stats, ring); returns how many
  // left the ring. io_mu_ held.
  uint64_t CommitDurable();
  // After a failed Stage or Write: drops the staged records (counted) and cuts the segment
  // back; returns how many left the ring. io_mu_ held.
  uint64_t DropStaged(const absl::Status& st);
  // How long the oldest record in the ring has waited (its receive time), -1 when the
  // ring is empty. io_mu_ held.
  int64_t OldestWaitNs() const;
  // Deletes the oldest segments until `incoming` more bytes fit under retention_max_bytes
  // (if set). io_mu_ held.
  void MakeRoom(const Settings& s, uint64_t incoming);
  // Writes what is staged, then seals the active segment (if any); returns how many records
  // left the ring. io_mu_ held.
  uint64_t SealActive(const Settings& s);
  // Age rotation, age retention, fsync interval, catalog refresh. io_mu_ held.
  void Periodic(const Settings& s);
  void ReportError(const absl::Status& st);

  Ring& ring_;
  SegmentCatalog& catalog_;
  Stats& stats_;
  const uint64_t instance_;
  const AtomicSnapshot<Settings>& settings_;

  // Guarded by io_mu_: the ring's consumer side and everything below up to mu_.
  std::mutex io_mu_;
  std::optional<ActiveSegment> active_;
  uint64_t staged_ = 0;  // Records at the ring's tail staged into active_ (not yet committed).
  uint64_t next_number_ = 1;
  bool dirty_ = false;      // Written since the last fsync.
  bool wrote_ = false;      // Committed records since the last catalog notification.
  std::vector<iovec> iov_;  // One batch of records for ActiveSegment::Stage (sized once).
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
