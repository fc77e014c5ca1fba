// Appends records to a segment file with O_DIRECT: records are copied into an aligned
// staging buffer (one user-space copy of ~264 bytes per line) and the kernel writes whole
// blocks from it straight to the device, with no page cache. Why: through the page cache
// the writer paid, per 4 KiB of log, for a page allocation, the kernel's copy, dirty
// accounting, ext4's delayed allocation, the writeback it had to start itself (cgroup v1 has
// no per-cgroup dirty limit: see ActiveSegment::ReleaseCache) and the page's eviction; with
// O_DIRECT it pays for the copy and one block request per MiB. The device does the rest.
//
// Staging and writing are separate steps, so the copy can happen on the thread that
// received the line, while it is still in that CPU's cache (the receiver stages every
// batch it reads; see SegmentWriter::Pump): Stage() copies records in and writes the
// buffer only when it is full; Write() writes what is staged, in whole blocks, and with
// `complete` also the bytes after the last whole block, through the page cache with an
// ordinary pwrite. So the file only ever grows by final bytes (no padding is ever
// visible): a concurrent reader sees whole records, then perhaps the head of one a later
// write completes, exactly like a torn tail, which readers and recovery already handle.
//
// The caller accounts records as they become durable (Commit, at a record boundary at or
// before durable()); after an error it calls Abort(), which drops everything staged or
// written after the last committed record.
//
// Not thread-safe: one thread at a time (SegmentWriter's io mutex).
#pragma once

#include <sys/uio.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "paddock/fd.h"
#include "ring.h"

namespace paddock::logagg {

class DirectAppender {
 public:
  // Opens `path` again with O_DIRECT. The file holds `size` bytes of whole records (its first
  // size bytes are final; `fd`, not owned, is an ordinary descriptor of it, used to read them
  // back and for the page-cache writes, and must outlive the appender). Returns nullptr (not
  // an error) when the filesystem does not do direct I/O (statx reports no alignment, or open
  // says EINVAL); errors otherwise.
  static absl::StatusOr<std::unique_ptr<DirectAppender>> Open(const std::string& path, int fd,
                                                              uint64_t size);

  // Copies the records iov[0, n) into the staging buffer after everything staged before;
  // each time the buffer fills, it is written (one direct write of kStagingBytes). On an
  // error the caller must Abort(). (ENOSPC -> ResourceExhausted, EINVAL: the device refused
  // the alignment.)
  absl::Status Stage(const iovec* iov, int n);
  // Writes the whole blocks staged; with `complete` also the rest (through the page cache),
  // so that durable() == staged_end(). On an error the caller must Abort().
  absl::Status Write(bool complete);
  // Records up to here are on disk whole (the caller commits record boundaries <= it).
  uint64_t durable() const { return durable_; }
  // End of the bytes staged or written so far.
  uint64_t staged_end() const { return base_ + fill_; }
  // The caller's records end at `end` (<= durable()): they will not be dropped by Abort.
  void Commit(uint64_t end) { size_ = end; }
  // Drops everything after size(): the file is cut back to it, the staging buffer reset.
  absl::Status Abort();

  // The old all-in-one step: appends the records iov[0, n) after the first size() bytes of
  // the file (the records after size() staged by an earlier call must be passed again first;
  // they are not copied twice), writes whole blocks (`complete`: everything) and commits.
  // Returns how many of the n records (a prefix) are now whole in the file. On an error
  // nothing of the n records stays in the file and the error is returned. `fd` as in Open.
  absl::StatusOr<int> Append(int fd, const iovec* iov, int n, bool complete);

  // End of the last committed record in the file.
  uint64_t size() const { return size_; }
  // Bytes in the file: size(), plus the head of a record written and not committed.
  uint64_t file_end() const { return file_end_; }
  // The direct I/O block: offsets and lengths of direct writes are multiples of it.
  size_t block() const { return block_; }

  // Bytes staged per direct write at most.
  static constexpr size_t kStagingBytes = 2u << 20;

 private:
  DirectAppender() = default;
  uint64_t AlignDown(uint64_t v) const { return v & ~static_cast<uint64_t>(block_ - 1); }
  absl::Status WriteDirect(size_t len, uint64_t off);
  // Restarts staging at AlignDown(size_) with the file's bytes [AlignDown(size_), size_).
  absl::Status Reload();

  UniqueFd dio_;
  int fd_ = -1;       // The ordinary descriptor (not owned).
  std::string name_;  // The file's name, for error messages.
  Mapping staging_;   // kStagingBytes, page aligned: the file's bytes [base_, base_ + fill_).
  size_t block_ = 4096;
  uint64_t base_ = 0;  // Block aligned: where the next direct write starts.
  size_t fill_ = 0;
  uint64_t size_ = 0, durable_ = 0, file_end_ = 0;
};

// The records iov[0, n), which start at file offset `start`, from file offset `from` on: the
// ones that end after it, the first cut to begin there. (The all-in-one Append steps skip
// with it what an earlier call staged.)
std::vector<iovec> IovAfter(const iovec* iov, int n, uint64_t start, uint64_t from);

// How many of the records iov[0, n), which start at file offset `start`, end at or before
// `limit` (the leading ones only); *end is where the last of them ends. (The all-in-one
// Append steps count with it what is on disk.)
int RecordsWithin(const iovec* iov, int n, uint64_t start, uint64_t limit, uint64_t* end);

}  // namespace paddock::logagg
