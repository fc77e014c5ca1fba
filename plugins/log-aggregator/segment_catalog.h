// What segments the data dir holds, in query order, with their indexes; and retention.
// Shared by the writer (which reports its active segment and enforces retention), queries
// and tails (which take ordered snapshots). Several instances may share the directory
// during a hot reload: each writes only its own segments; foreign ones are read as found.
//
// Thread-safe.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "segment_index.h"

namespace paddock::logagg {

struct SegmentEntry {
  std::string name;
  uint64_t instance = 0, number = 0;
  int64_t created_ns = 0;
  int64_t mtime_ns = 0;
  uint64_t file_bytes = 0;
  // True when `index` describes the file exactly (sealed with a current .idx, or this
  // instance's active segment). Otherwise the segment is never skipped by its index.
  bool has_index = false;
  // Retention may delete it: it is sealed (has a .idx) or its instance has moved on to a
  // later segment. The segment an instance is writing is never deletable.
  bool deletable = false;
  bool own_active = false;
  SegmentIndex index;
};

// Query order: by creation time, then name.
bool SegmentBefore(const SegmentEntry& a, const SegmentEntry& b);

class SegmentCatalog {
 public:
  // `dir` is the segments directory; `self` this instance's id.
  SegmentCatalog(std::string dir, uint64_t self) : dir_(std::move(dir)), self_(self) {}
  // The id of the instance this catalog belongs to.
  uint64_t self() const { return self_; }

  const std::string& dir() const { return dir_; }

  // Re-reads the directory: picks up new segments (reading their .idx when present and
  // current), forgets vanished ones.
  absl::Status Refresh();
  // The segments in query order.
  std::vector<SegmentEntry> Snapshot() const;

  // The writer's active segment changed (created or grew).
  void SetActive(const std::string& name, const SegmentIndex& idx);
  // The writer sealed its active segment.
  void SetSealed(const std::string& name, const SegmentIndex& idx);

  // Bytes of all segment files known.
  uint64_t TotalBytes() const;
  // Deletes deletable segments, oldest first, while the total plus `incoming` exceeds
  // `max_bytes` (0: no size limit), and every deletable segment whose newest line was
  // received before `cutoff_ns` (0: no age limit). Returns how many it deleted.
  uint64_t EnforceRetention(uint64_t max_bytes, uint64_t incoming, int64_t cutoff_ns);

  // Wakes tails: new records were written.
  void NotifyWritten();
  // Count of NotifyWritten calls so far (read before a scan, then wait with it).
  uint64_t written_generation() const;
  // Waits until NotifyWritten is called after `*seen` was read (or timeout); updates *seen.
  void WaitForWrite(uint64_t* seen, absl::Duration timeout);

 private:
  void RecomputeDeletableLocked();

  const std::string dir_;
  const uint64_t self_;
  mutable std::mutex mu_;
  std::map<std::string, SegmentEntry> entries_;  // Guarded by mu_.
  std::string active_;                           // Guarded by mu_.
  std::condition_variable written_cv_;
  uint64_t written_gen_ = 0;  // Guarded by mu_.
};

}  // namespace paddock::logagg
