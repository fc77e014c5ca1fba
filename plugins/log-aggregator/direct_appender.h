// Appends records to a segment file with O_DIRECT: the writer copies them into an aligned
// staging buffer (one user-space copy of ~264 bytes per line) and the kernel writes whole
// blocks from it straight to the device, with no page cache. Why: through the page cache
// the writer paid, per 4 KiB of log, for a page allocation, the kernel's copy, dirty
// accounting, ext4's delayed allocation, the writeback it had to start itself (cgroup v1 has
// no per-cgroup dirty limit: see ActiveSegment::ReleaseCache) and the page's eviction; with
// O_DIRECT it pays for the copy and one block request per MiB. The device does the rest.
//
// Only whole blocks go to the device. The records after the last whole block are either
// left for the next call (`complete` false: the caller keeps them and passes them again
// first) or written through the page cache with an ordinary pwrite (`complete`: the flush
// interval is due, a Flush(), a seal). So the file only ever grows by its final bytes
// (no padding is ever visible): a concurrent reader sees whole records, then perhaps the
// head of one a later write completes, exactly like a torn tail, which readers and
// recovery already handle.
//
// Not thread-safe: the writer thread owns it.
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
  // size bytes are final; `fd` is an ordinary descriptor of it, used to read them back and for
  // the page-cache writes). Returns nullptr (not an error) when the filesystem does not do
  // direct I/O (statx reports no alignment, or open says EINVAL); errors otherwise.
  static absl::StatusOr<std::unique_ptr<DirectAppender>> Open(const std::string& path, int fd,
                                                              uint64_t size);

  // Appends the records iov[0, n) after the first size() bytes of the file. Returns how many
  // of them (a prefix) are now whole in the file: all n when `complete`; otherwise those
  // before the last whole block (maybe none). On an error nothing of the n records stays in
  // the file (it is cut back to size()) and the error is returned (ENOSPC ->
  // ResourceExhausted, EINVAL: the device refused the alignment). `fd` as in Open.
  absl::StatusOr<int> Append(int fd, const iovec* iov, int n, bool complete);

  // End of the last whole record in the file.
  uint64_t size() const { return size_; }
  // Bytes in the file: size(), plus the head of a record when the last Append was not
  // complete.
  uint64_t file_end() const { return file_end_; }
  // The direct I/O block: offsets and lengths of direct writes are multiples of it.
  size_t block() const { return block_; }

  // Bytes staged per direct write at most.
  static constexpr size_t kStagingBytes = 2u << 20;

 private:
  DirectAppender() = default;
  uint64_t AlignDown(uint64_t v) const { return v & ~static_cast<uint64_t>(block_ - 1); }
  absl::Status WriteDirect(size_t len, uint64_t off);
  // Copies the bytes [from, to) of the stream "the carry (file bytes from AlignDown(size_)),
  // then iov[0, n)" into `out`.
  void Gather(const iovec* iov, int n, uint64_t from, uint64_t to, std::vector<char>* out) const;

  UniqueFd dio_;
  std::string name_;  // The file's name, for error messages.
  Mapping staging_;   // kStagingBytes, page aligned.
  size_t block_ = 4096;
  uint64_t size_ = 0, file_end_ = 0;
  // The file's bytes [AlignDown(size_), size_): the start of the next direct write.
  std::vector<char> carry_;
};

}  // namespace paddock::logagg
