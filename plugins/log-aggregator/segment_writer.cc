#include "segment_writer.h"

#include <sys/prctl.h>
#include <sys/uio.h>
#include <time.h>

#include <cstring>
#include <limits>

#include "paddock/log.h"

namespace paddock::logagg {
namespace {

constexpr int kMaxIov = 1024;  // IOV_MAX on Linux: pwritev's limit (page-cache segments).
constexpr int64_t kPeriodicNs = 250'000'000;
constexpr int64_t kRefreshNs = 2'000'000'000;

RecordHeader HeaderOf(const Ring::Record& r) {
  RecordHeader h;
  std::memcpy(&h, r.data, sizeof(h));
  return h;
}

}  // namespace

int64_t RealtimeNs() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return ts.tv_sec * 1'000'000'000ll + ts.tv_nsec;
}

int64_t MonotonicNs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1'000'000'000ll + ts.tv_nsec;
}

SegmentWriter::SegmentWriter(Ring& ring, SegmentCatalog& catalog, Stats& stats, uint64_t instance,
                             const AtomicSnapshot<Settings>& settings)
    : ring_(ring),
      catalog_(catalog),
      stats_(stats),
      instance_(instance),
      settings_(settings),
      iov_(kMaxIov) {}

SegmentWriter::~SegmentWriter() { Stop(); }

void SegmentWriter::Start() {
  thread_ = std::thread([this] {
    prctl(PR_SET_NAME, "logagg-write");
    Run();
  });
}

void SegmentWriter::Wake(bool flush_now) {
  {
    std::lock_guard<std::mutex> l(mu_);
    if (flush_now) flush_now_ = true;
  }
  cv_.notify_one();
}

bool SegmentWriter::Flush(std::chrono::milliseconds timeout) {
  uint64_t target = ring_.PublishedTotal();
  std::unique_lock<std::mutex> l(mu_);
  if (stopped_ || !thread_.joinable()) return released() >= target;
  flush_target_ = std::max(flush_target_, target);
  flush_now_ = true;
  complete_now_ = true;
  cv_.notify_one();
  return flushed_.wait_for(l, timeout, [&] { return stopped_ || released() >= target; }) &&
         released() >= target;
}

void SegmentWriter::Stop() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stop_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

bool SegmentWriter::Pump() {
  std::unique_lock<std::mutex> io(io_mu_, std::try_to_lock);
  if (!io.owns_lock()) return false;
  std::shared_ptr<const Settings> s = settings_.Load();
  if (active_ ? !active_->direct() : !s->direct_io) return false;
  WriteAvailable(WriteMode::kFullBuffers, s->flush_bytes);
  return true;
}

int64_t SegmentWriter::OldestWaitNs() const {
  if (ring_.Available() == 0) return -1;
  const int64_t wait = RealtimeNs() - HeaderOf(ring_.At(0)).recv_ns;
  // The clock went back: write now rather than wait for it to catch up.
  return wait < 0 ? std::numeric_limits<int64_t>::max() : wait;
}

void SegmentWriter::Run() {
  std::unique_lock<std::mutex> l(mu_);
  for (;;) {
    const bool flush_now = flush_now_, complete_now = complete_now_, stop = stop_;
    flush_now_ = complete_now_ = false;
    l.unlock();
    std::shared_ptr<const Settings> s = settings_.Load();
    int64_t sleep_ns = 0;
    bool done = false;
    {
      std::lock_guard<std::mutex> io(io_mu_);
      int64_t wait = OldestWaitNs();
      const bool interval_due = wait >= s->flush_interval_ns;
      if (wait >= 0 && (flush_now || complete_now || stop || interval_due)) {
        // Only a write for flush_bytes may leave the records after the last whole block of
        // an O_DIRECT segment staged; they keep their receive time, so the interval still
        // bounds how long any record waits.
        const bool complete = complete_now || stop || interval_due;
        WriteAvailable(complete ? WriteMode::kComplete : WriteMode::kWholeBlocks, 0);
        wait = OldestWaitNs();
      }
      const int64_t now = MonotonicNs();
      if (!stop && now - last_periodic_ns_ >= kPeriodicNs) {
        Periodic(*s);
        last_periodic_ns_ = now;
      }
      sleep_ns = last_periodic_ns_ + kPeriodicNs - now;
      if (wait >= 0) sleep_ns = std::min(sleep_ns, s->flush_interval_ns - wait);
      done = stop && ring_.Available() == 0;
    }
    l.lock();
    flushed_.notify_all();
    if (done) break;
    if (flush_now_ || complete_now_ || stop_ || sleep_ns <= 0) continue;
    cv_.wait_for(l, std::chrono::nanoseconds(sleep_ns));
  }
  l.unlock();
  {
    std::lock_guard<std::mutex> io(io_mu_);
    SealActive(*settings_.Load());
  }
  l.lock();
  stopped_ = true;
  flushed_.notify_all();
}

void SegmentWriter::ReportError(const absl::Status& st) {
  stats_.SetWriteError(std::string(st.message()));
  if (absl::IsResourceExhausted(st)) stats_.disk_full.store(true, std::memory_order_relaxed);
  int64_t now = MonotonicNs();
  if (now - last_error_log_ns_ >= 1'000'000'000) {
    last_error_log_ns_ = now;
    log::Error("cannot write segment; lines are dropped and counted",
               {{"error", std::string(st.message())},
                {"write_dropped", std::to_string(Get(stats_.write_dropped))}});
  }
}

absl::Status SegmentWriter::StageRange(uint64_t from, uint64_t to) {
  iovec* const iov = iov_.data();
  while (from < to) {
    int cnt = 0;
    while (from + static_cast<uint64_t>(cnt) < to && cnt < kMaxIov) {
      Ring::Record r = ring_.At(from + static_cast<uint64_t>(cnt));
      iov[cnt].iov_base = const_cast<char*>(r.data);
      iov[cnt].iov_len = r.size;
      ++cnt;
    }
    absl::Status st = active_->Stage(iov, cnt);
    if (!st.ok()) return st;
    from += static_cast<uint64_t>(cnt);
  }
  return absl::OkStatus();
}

absl::Status SegmentWriter::Recover(absl::Status st) {
  // EINVAL from O_DIRECT: the segment goes on through the page cache with the same records.
  if (active_->FallBackFromDirect(st)) st = StageRange(0, staged_);
  return st;
}

uint64_t SegmentWriter::CommitDurable() {
  if (!active_ || staged_ == 0) return 0;
  const uint64_t durable = active_->durable();
  const uint64_t start = active_->size();
  uint64_t off = start, k = 0;
  while (k < staged_) {
    Ring::Record r = ring_.At(k);
    if (off + r.size > durable) break;
    off += r.size;
    active_->index().Add(HeaderOf(r), off);
    ++k;
  }
  if (k == 0) return 0;
  active_->Commit(off);
  staged_ -= k;
  Add(stats_.written, k);
  Add(stats_.written_bytes, off - start);
  stats_.disk_full.store(false, std::memory_order_relaxed);
  dirty_ = wrote_ = true;
  ring_.Release(k);
  released_.fetch_add(k, std::memory_order_release);
  active_->ReleaseCache(false);
  catalog_.SetActive(active_->name(), active_->index());
  return k;
}

uint64_t SegmentWriter::DropStaged(const absl::Status& st) {
  const uint64_t k = staged_;
  if (active_) (void)active_->Abort();
  staged_ = 0;
  Add(stats_.write_dropped, k);
  ring_.Release(k);
  released_.fetch_add(k, std::memory_order_release);
  ReportError(st);
  return k;
}

bool SegmentWriter::WriteAvailable(WriteMode mode, uint64_t flush_bytes) {
  std::shared_ptr<const Settings> s = settings_.Load();
  uint64_t n = ring_.Available();  // Those published since may wait for the next call.
  while (staged_ < n) {
    int64_t now = RealtimeNs();
    if (active_ && (active_->staged_end() >= s->segment_max_bytes ||
                    (!active_->index().empty() &&
                     now - active_->index().min_recv_ns >= s->segment_max_age_ns))) {
      n -= SealActive(*s);
    }
    if (!active_) {
      // The new segment's header is on disk as soon as it is created: make room for it
      // (and its first record) first, or the total on disk would pass the retention limit
      // by a header until the batch's own retention check below.
      MakeRoom(*s, kSegmentHeaderBytes + ring_.At(0).size);
      auto seg = ActiveSegment::Create(catalog_.dir(), instance_, next_number_, now,
                                       HeaderOf(ring_.At(0)).sequence, s->direct_io);
      if (!seg.ok()) {
        ReportError(seg.status());
        Add(stats_.write_dropped, n);
        ring_.Release(n);
        released_.fetch_add(n, std::memory_order_release);
        return false;
      }
      ++next_number_;
      active_.emplace(std::move(*seg));
      stats_.direct_io.store(active_->direct(), std::memory_order_relaxed);
      catalog_.SetActive(active_->name(), active_->index());
    }
    // Up to the segment's size limit (a segment takes at least one record).
    const uint64_t end = active_->staged_end();
    const uint64_t room = s->segment_max_bytes > end ? s->segment_max_bytes - end : 0;
    uint64_t to = staged_, bytes = 0;
    while (to < n) {
      const uint32_t size = ring_.At(to).size;
      if (to > staged_ && bytes + size > room) break;
      bytes += size;
      ++to;
    }
    MakeRoom(*s, bytes);
    absl::Status st = StageRange(staged_, to);
    staged_ = to;
    if (!st.ok()) st = Recover(st);
    if (!st.ok()) n -= DropStaged(st);
    // The records the staging buffer's full writes made whole leave the ring now.
    n -= CommitDurable();
  }
  if (active_ && staged_ > 0) {
    if (mode == WriteMode::kFullBuffers &&
        active_->staged_end() - active_->durable() >= flush_bytes) {
      mode = WriteMode::kWholeBlocks;
    }
    absl::Status st = active_->Write(mode);
    if (!st.ok()) st = Recover(st);
    if (!st.ok()) DropStaged(st);
    CommitDurable();
  }
  if (wrote_ && active_) {
    int64_t mono = MonotonicNs();
    if (s->fsync == FsyncMode::kEveryWrite ||
        (s->fsync == FsyncMode::kInterval && mono - last_sync_ns_ >= s->fsync_interval_ns)) {
      absl::Status st = active_->Sync();
      if (st.ok()) {
        Add(stats_.fsyncs, 1);
        dirty_ = false;
      } else {
        ReportError(st);
      }
      last_sync_ns_ = mono;
    }
  }
  if (wrote_) {
    wrote_ = false;
    catalog_.NotifyWritten();
  }
  return staged_ > 0;
}

void SegmentWriter::MakeRoom(const Settings& s, uint64_t incoming) {
  if (s.retention_max_bytes != 0 && catalog_.TotalBytes() + incoming > s.retention_max_bytes) {
    Add(stats_.segments_deleted, catalog_.EnforceRetention(s.retention_max_bytes, incoming, 0));
  }
}

uint64_t SegmentWriter::SealActive(const Settings& s) {
  if (!active_) return 0;
  uint64_t left = 0;  // Records that leave the ring.
  if (staged_ > 0) {
    absl::Status st = active_->Write(WriteMode::kComplete);
    if (!st.ok()) st = Recover(st);
    if (!st.ok()) left += DropStaged(st);
    left += CommitDurable();
  }
  bool sync = s.fsync != FsyncMode::kNever && dirty_;
  absl::Status st = active_->Seal(sync);
  if (sync && st.ok()) Add(stats_.fsyncs, 1);
  if (!st.ok()) ReportError(st);
  Add(stats_.segments_rotated, 1);
  catalog_.SetSealed(active_->name(), active_->index());
  active_.reset();
  dirty_ = wrote_ = false;
  catalog_.NotifyWritten();
  return left;
}

void SegmentWriter::Periodic(const Settings& s) {
  int64_t now = RealtimeNs();
  int64_t mono = MonotonicNs();
  if (active_ && !active_->index().empty() &&
      now - active_->index().min_recv_ns >= s.segment_max_age_ns) {
    SealActive(s);
  }
  if (active_ && dirty_ && s.fsync == FsyncMode::kInterval &&
      mono - last_sync_ns_ >= s.fsync_interval_ns) {
    if (active_->Sync().ok()) Add(stats_.fsyncs, 1);
    dirty_ = false;
    last_sync_ns_ = mono;
  }
  if (mono - last_refresh_ns_ >= kRefreshNs) {
    (void)catalog_.Refresh();
    last_refresh_ns_ = mono;
  }
  if (s.retention_max_age_ns != 0) {
    Add(stats_.segments_deleted, catalog_.EnforceRetention(0, 0, now - s.retention_max_age_ns));
  }
}

}  // namespace paddock::logagg
