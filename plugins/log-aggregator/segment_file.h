// One segment file: appending to the active one (the writer) and reading any (queries,
// tails, recovery). See record.h for the format.
#pragma once

#include <sys/uio.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "direct_appender.h"
#include "paddock/fd.h"
#include "record.h"
#include "segment_index.h"

namespace paddock::logagg {

// The segment an instance appends to. Not thread-safe (one thread at a time: the
// SegmentWriter's io mutex).
class ActiveSegment {
 public:
  // Creates `dir`/SegmentFileName(instance, number) with its header. The file appears under
  // its final name only once the header is written (created as ".tmp", then renamed).
  // `direct`: append with O_DIRECT (DirectAppender) when the filesystem supports it, else
  // through the page cache.
  static absl::StatusOr<ActiveSegment> Create(const std::string& dir, uint64_t instance,
                                              uint64_t number, int64_t created_ns,
                                              uint64_t first_sequence, bool direct = true);

  // Appending happens in steps, so a caller can copy records in as they arrive and write
  // them later (SegmentWriter): Stage() takes records after everything staged before (with
  // O_DIRECT it copies them into the staging buffer, writing it when full; through the page
  // cache it writes them right away); Write() writes what is staged (kFullBuffers: nothing
  // more; kWholeBlocks: the whole blocks; kComplete: everything); durable() is how far the
  // file holds the records whole; Commit() accounts the records up to a record boundary at
  // or before durable(); Abort(), after any error, cuts the file back to size() and drops
  // everything staged after it. The caller accounts the records it commits with index().Add.
  // Errors: ENOSPC -> ResourceExhausted; InvalidArgument when the device refused an O_DIRECT
  // write (then FallBackFromDirect()).
  enum class WriteMode { kFullBuffers, kWholeBlocks, kComplete };
  absl::Status Stage(const iovec* iov, int n);
  absl::Status Write(WriteMode mode);
  uint64_t durable() const;
  uint64_t staged_end() const;
  void Commit(uint64_t end);
  absl::Status Abort();
  // After `st` from Stage or Write: when it says the device refused O_DIRECT's alignment
  // (EINVAL, although statx promised it), cuts the file back to size(), goes on through the
  // page cache and returns true (the caller stages its uncommitted records again).
  bool FallBackFromDirect(const absl::Status& st);

  // All the steps at once: appends the records `iov[0, n)` (`bytes` bytes in all) and
  // returns how many of them (a prefix) are now whole in the file: all n when `complete`;
  // with O_DIRECT and !complete, the records after the last whole block may be left out (the
  // caller passes them again first next time; see DirectAppender). On a short write or an
  // error the file is cut back to size() (so it never ends in half a record that a later
  // append would hide), none of the n records is in it, and the error is returned.
  absl::StatusOr<int> Append(const iovec* iov, int n, size_t bytes, bool complete = true);

  // True while appends go around the page cache (O_DIRECT).
  bool direct() const { return direct_ != nullptr; }

  // fsync(2).
  absl::Status Sync();

  // Keeps the segment's page cache small: every kCacheStep bytes it starts writeback of
  // what lies more than kCacheKeep behind the end and drops it from the page cache once
  // clean (posix_fadvise DONTNEED, advisory: errors are ignored). Why: the page cache is
  // charged to the plugin's memory cgroup, and with cgroup v1 (no per-cgroup dirty limits)
  // dirty pages piled up to the cgroup limit, so reclaim stalled the writer for 100+ ms
  // (ring full, kernel drops at ~500k lines/s) and cost CPU per line. `final` covers the
  // whole file (on seal). Nothing to do with O_DIRECT but on seal.
  void ReleaseCache(bool final);

  // Cuts off the head of a record an incomplete Append left at the end, writes the index
  // next to the segment ("<name>.idx", via a temp file and rename), after an fsync of the
  // segment when `sync`. The segment is complete afterwards.
  absl::Status Seal(bool sync);

  const std::string& path() const { return path_; }
  const std::string& name() const { return name_; }
  // End of the last whole record.
  uint64_t size() const { return size_; }
  SegmentIndex& index() { return index_; }
  const SegmentIndex& index() const { return index_; }

 private:
  std::string path_, name_;
  UniqueFd fd_;
  uint64_t size_ = 0;
  uint64_t written_end_ = 0;                // Page cache: end of what Stage wrote.
  uint64_t cache_released_ = 0;             // ReleaseCache covered [.., cache_released_).
  std::unique_ptr<DirectAppender> direct_;  // Null: appends go through the page cache.
  SegmentIndex index_;
};

// Sequential reader of one segment file, from any record boundary. Reads 1 MiB at a time.
// Safe on a file another process is appending to: a record it has not finished fails its
// CRC and ends the read, and a later Next() retries from the same place.
class SegmentReader {
 public:
  // Opens and checks the header. NotFound when the file is gone, DataLoss when the header
  // is not a segment header.
  static absl::StatusOr<SegmentReader> Open(const std::string& path);

  const SegmentHeader& header() const { return header_; }
  // Continues reading at `offset` (a record boundary, >= kSegmentHeaderBytes).
  void Seek(uint64_t offset);
  // File offset of the next record.
  uint64_t position() const { return pos_; }

  // Reads the next valid record: *h and *line (valid until the next call). False at the end
  // of valid data; stop_reason() tells whether that was the end of the file (kTruncated
  // with nothing left) or a torn / corrupt record.
  bool Next(RecordHeader* h, const char** line);
  RecordCheck stop_reason() const { return stop_; }
  // Bytes in the file after position() when the last Next() returned false.
  uint64_t trailing_bytes() const { return trailing_; }

 private:
  bool Fill(size_t need);

  UniqueFd fd_;
  SegmentHeader header_{};
  std::vector<char> buf_;
  uint64_t buf_file_off_ = 0;  // File offset of buf_[0].
  size_t buf_len_ = 0;
  uint64_t pos_ = kSegmentHeaderBytes;
  RecordCheck stop_ = RecordCheck::kOk;
  uint64_t trailing_ = 0;
};

// Result of scanning a whole segment file.
struct ScanResult {
  SegmentHeader header{};
  SegmentIndex index;        // Over the valid records; index.file_bytes = valid_bytes.
  uint64_t valid_bytes = 0;  // Header + every valid record before the first invalid one.
  uint64_t file_bytes = 0;   // Size of the file.
};

// Reads every record of `path`. DataLoss when the segment header is invalid.
absl::StatusOr<ScanResult> ScanSegment(const std::string& path);

}  // namespace paddock::logagg
