#include "segment_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "absl/strings/str_cat.h"
#include "paddock/errno_status.h"
#include "paddock/log.h"

namespace paddock::logagg {
namespace {

constexpr size_t kReadChunk = 1 << 20;

absl::Status WriteAllAt(int fd, const char* p, size_t n, off_t off, const std::string& what) {
  while (n > 0) {
    ssize_t w = pwrite(fd, p, n, off);
    if (w < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus(errno, what);
    }
    if (w == 0) return ErrnoStatus(ENOSPC, what);
    p += w;
    n -= static_cast<size_t>(w);
    off += w;
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ActiveSegment> ActiveSegment::Create(const std::string& dir, uint64_t instance,
                                                    uint64_t number, int64_t created_ns,
                                                    uint64_t first_sequence, bool direct) {
  ActiveSegment s;
  s.name_ = SegmentFileName(instance, number);
  s.path_ = dir + "/" + s.name_;
  std::string tmp = s.path_ + ".tmp";
  s.fd_.Reset(open(tmp.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0640));
  if (!s.fd_) return ErrnoStatus(errno, "create " + tmp);
  SegmentHeader h = MakeSegmentHeader(instance, number, created_ns, first_sequence);
  absl::Status st =
      WriteAllAt(s.fd_.get(), reinterpret_cast<const char*>(&h), sizeof(h), 0, "write " + tmp);
  if (st.ok() && rename(tmp.c_str(), s.path_.c_str()) != 0) {
    st = ErrnoStatus(errno, "rename " + tmp);
  }
  if (!st.ok()) {
    unlink(tmp.c_str());
    return st;
  }
  s.size_ = s.written_end_ = kSegmentHeaderBytes;
  if (direct) {
    auto d = DirectAppender::Open(s.path_, s.fd_.get(), s.size_);
    if (!d.ok()) {
      unlink(s.path_.c_str());
      return d.status();
    }
    s.direct_ = std::move(*d);
  }
  s.index_.instance = instance;
  s.index_.number = number;
  s.index_.created_ns = created_ns;
  s.index_.file_bytes = s.size_;
  return s;
}

absl::Status ActiveSegment::Stage(const iovec* iov, int n) {
  if (direct_) return direct_->Stage(iov, n);
  // Through the page cache: written now, at most IOV_MAX (1024) iovecs per pwritev.
  int first = 0;
  size_t skip = 0;  // Bytes of iov[first] already written.
  while (first < n) {
    iovec local[1024];
    int cnt = std::min(n - first, 1024);
    std::memcpy(local, iov + first, sizeof(iovec) * static_cast<size_t>(cnt));
    local[0].iov_base = static_cast<char*>(local[0].iov_base) + skip;
    local[0].iov_len -= skip;
    ssize_t w = pwritev(fd_.get(), local, cnt, static_cast<off_t>(written_end_));
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return ErrnoStatus(w < 0 ? errno : ENOSPC, "write " + name_);
    written_end_ += static_cast<uint64_t>(w);
    size_t left = static_cast<size_t>(w) + skip;
    while (first < n && left >= iov[first].iov_len) {
      left -= iov[first].iov_len;
      ++first;
    }
    skip = left;
  }
  return absl::OkStatus();
}

absl::Status ActiveSegment::Write(WriteMode mode) {
  if (!direct_ || mode == WriteMode::kFullBuffers) return absl::OkStatus();
  return direct_->Write(mode == WriteMode::kComplete);
}

uint64_t ActiveSegment::durable() const { return direct_ ? direct_->durable() : written_end_; }

uint64_t ActiveSegment::staged_end() const {
  return direct_ ? direct_->staged_end() : written_end_;
}

void ActiveSegment::Commit(uint64_t end) {
  size_ = end;
  if (direct_) direct_->Commit(end);
}

absl::Status ActiveSegment::Abort() {
  if (direct_) return direct_->Abort();
  written_end_ = size_;
  if (ftruncate(fd_.get(), static_cast<off_t>(size_)) != 0) {
    // The next append overwrites from size_ anyway (positional writes); Seal cuts again.
    return ErrnoStatus(errno, "truncate " + name_);
  }
  return absl::OkStatus();
}

bool ActiveSegment::FallBackFromDirect(const absl::Status& st) {
  if (!direct_ || !absl::IsInvalidArgument(st)) return false;
  log::Warn("O_DIRECT write refused; writing through the page cache",
            {{"segment", name_}, {"error", std::string(st.message())}});
  (void)direct_->Abort();
  direct_.reset();
  written_end_ = size_;
  if (ftruncate(fd_.get(), static_cast<off_t>(size_)) != 0) {
    // Positional writes overwrite from size_; Seal cuts again.
  }
  return true;
}

absl::StatusOr<int> ActiveSegment::Append(const iovec* iov, int n, size_t bytes, bool complete) {
  (void)bytes;
  for (;;) {
    // Skip what an earlier incomplete call staged already (passed again first).
    std::vector<iovec> rest = IovAfter(iov, n, size_, staged_end());
    absl::Status st = Stage(rest.data(), static_cast<int>(rest.size()));
    if (st.ok()) st = Write(complete ? WriteMode::kComplete : WriteMode::kWholeBlocks);
    if (!st.ok()) {
      if (FallBackFromDirect(st)) continue;  // The same records again, through the cache.
      (void)Abort();
      return st;
    }
    uint64_t end;
    const int done = RecordsWithin(iov, n, size_, durable(), &end);
    Commit(end);
    return done;
  }
}

absl::Status ActiveSegment::Sync() {
  if (fdatasync(fd_.get()) != 0) return ErrnoStatus(errno, "fdatasync " + name_);
  return absl::OkStatus();
}

void ActiveSegment::ReleaseCache(bool final) {
  constexpr uint64_t kCacheStep = 8u << 20, kCacheKeep = 16u << 20;
  if (direct_ && !final) return;  // Nothing of the segment is in the page cache to speak of.
  uint64_t hi = size_;
  if (!final) {
    if (size_ < kCacheKeep + cache_released_ + kCacheStep) return;
    hi = size_ - kCacheKeep;
  }
  // The previous step's pages were only queued for writeback then: cover them again.
  uint64_t lo = cache_released_ > kCacheStep ? cache_released_ - kCacheStep : 0;
  if (hi <= lo) return;
  (void)posix_fadvise(fd_.get(), static_cast<off_t>(lo), static_cast<off_t>(hi - lo),
                      POSIX_FADV_DONTNEED);
  cache_released_ = hi;
}

absl::Status ActiveSegment::Seal(bool sync) {
  const uint64_t file_end = direct_ ? direct_->file_end() : written_end_;
  if (file_end > size_ && ftruncate(fd_.get(), static_cast<off_t>(size_)) != 0) {
    return ErrnoStatus(errno, "truncate " + name_);
  }
  direct_.reset();
  if (sync) {
    absl::Status st = Sync();
    if (!st.ok()) return st;
  }
  ReleaseCache(true);
  index_.file_bytes = size_;
  std::string bytes = EncodeIndex(index_);
  std::string idx = path_ + ".idx", tmp = idx + ".tmp";
  UniqueFd fd(open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640));
  if (!fd) return ErrnoStatus(errno, "create " + tmp);
  absl::Status st = WriteAllAt(fd.get(), bytes.data(), bytes.size(), 0, "write " + tmp);
  if (st.ok() && sync && fdatasync(fd.get()) != 0) st = ErrnoStatus(errno, "fdatasync " + tmp);
  if (st.ok() && rename(tmp.c_str(), idx.c_str()) != 0) st = ErrnoStatus(errno, "rename " + tmp);
  if (!st.ok()) unlink(tmp.c_str());
  return st;
}

absl::StatusOr<SegmentReader> SegmentReader::Open(const std::string& path) {
  SegmentReader r;
  r.fd_.Reset(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!r.fd_) return ErrnoStatus(errno, "open " + path);
  char hdr[kSegmentHeaderBytes];
  ssize_t n = pread(r.fd_.get(), hdr, sizeof(hdr), 0);
  if (n != static_cast<ssize_t>(sizeof(hdr)) || !CheckSegmentHeader(hdr, &r.header_)) {
    return absl::DataLossError(absl::StrCat(path, ": not a segment (bad header)"));
  }
  r.buf_.resize(kReadChunk + kRecordHeaderBytes + kMaxLineBytes);
  return r;
}

void SegmentReader::Seek(uint64_t offset) {
  pos_ = offset < kSegmentHeaderBytes ? kSegmentHeaderBytes : offset;
  buf_len_ = 0;
  buf_file_off_ = pos_;
}

// Makes sure buf_ holds `need` bytes from pos_ (reading more of the file); false if the file
// has fewer.
bool SegmentReader::Fill(size_t need) {
  if (pos_ < buf_file_off_ || pos_ > buf_file_off_ + buf_len_) {
    buf_file_off_ = pos_;
    buf_len_ = 0;
  }
  size_t have = static_cast<size_t>(buf_file_off_ + buf_len_ - pos_);
  if (have >= need) return true;
  // Move the unread part to the front, then read a chunk after it.
  size_t from = static_cast<size_t>(pos_ - buf_file_off_);
  if (from > 0) {
    std::memmove(buf_.data(), buf_.data() + from, have);
    buf_file_off_ = pos_;
    buf_len_ = have;
  }
  while (buf_len_ < need) {
    size_t room = buf_.size() - buf_len_;
    size_t want = room < kReadChunk ? room : kReadChunk;
    ssize_t n = pread(fd_.get(), buf_.data() + buf_len_, want,
                      static_cast<off_t>(buf_file_off_ + buf_len_));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    buf_len_ += static_cast<size_t>(n);
  }
  return true;
}

bool SegmentReader::Next(RecordHeader* h, const char** line) {
  trailing_ = 0;
  if (!Fill(kRecordHeaderBytes)) {
    stop_ = RecordCheck::kTruncated;
    trailing_ = buf_file_off_ + buf_len_ - pos_;
    return false;
  }
  const char* p = buf_.data() + (pos_ - buf_file_off_);
  uint32_t len;
  std::memcpy(&len, p + 4, sizeof(len));
  size_t need = kRecordHeaderBytes + (len <= kMaxLineBytes ? len : 0);
  if (!Fill(need)) {
    stop_ = RecordCheck::kTruncated;
    trailing_ = buf_file_off_ + buf_len_ - pos_;
    return false;
  }
  p = buf_.data() + (pos_ - buf_file_off_);
  size_t avail = static_cast<size_t>(buf_file_off_ + buf_len_ - pos_);
  stop_ = CheckRecord(p, avail, h);
  if (stop_ != RecordCheck::kOk) {
    trailing_ = avail;
    return false;
  }
  *line = p + kRecordHeaderBytes;
  pos_ += kRecordHeaderBytes + h->length;
  return true;
}

absl::StatusOr<ScanResult> ScanSegment(const std::string& path) {
  auto r = SegmentReader::Open(path);
  if (!r.ok()) return r.status();
  ScanResult out;
  out.header = r->header();
  out.index.instance = out.header.instance;
  out.index.number = out.header.number;
  out.index.created_ns = out.header.created_ns;
  RecordHeader h;
  const char* line;
  while (r->Next(&h, &line)) out.index.Add(h, r->position());
  out.valid_bytes = r->position();
  out.index.file_bytes = out.valid_bytes;
  struct stat st {};
  if (stat(path.c_str(), &st) == 0) out.file_bytes = static_cast<uint64_t>(st.st_size);
  return out;
}

}  // namespace paddock::logagg
