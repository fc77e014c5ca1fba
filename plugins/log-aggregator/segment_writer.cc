#include "segment_writer.h"

#include <sys/prctl.h>
#include <sys/uio.h>
#include <time.h>

#include <cstring>

#include "paddock/log.h"

namespace paddock::logagg {
namespace {

constexpr int kMaxIov = 1024;  // IOV_MAX on Linux: pwritev's limit (page-cache segments).
// An O_DIRECT segment gathers records into its staging buffer instead of passing them to
// pwritev, so one Append may take as many as fill that buffer (2 MiB / 8192 ~ 256-byte
// records). Each direct write costs, besides its bytes, a device notify (a VM exit here)
// and a sleep until its completion interrupt: with 1024 records (~270 KB) per write those
// fixed costs were paid ~4 times per MiB.
constexpr int kMaxDirectRecords = 8192;
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
      iov_(kMaxDirectRecords) {}

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

void SegmentWriter::Run() {
  int64_t first_pending = 0;  // Monotonic time the oldest waiting record was first seen.
  std::unique_lock<std::mutex> l(mu_);
  for (;;) {
    int64_t now = MonotonicNs();
    std::shared_ptr<const Settings> s = settings_.Load();
    bool have = ring_.Available() > 0;
    if (have && first_pending == 0) first_pending = now;
    if (!have) first_pending = 0;
    const bool interval_due = now - first_pending >= s->flush_interval_ns;
    bool due = have && (flush_now_ || stop_ || interval_due);
    if (due) {
      // Only a write for flush_bytes may leave the lines after the last whole block in the
      // ring (O_DIRECT); they keep their flush clock (first_pending), so the interval still
      // bounds how long any line waits.
      const bool complete = complete_now_ || stop_ || interval_due;
      flush_now_ = complete_now_ = false;
      l.unlock();
      bool left = WriteAvailable(complete);
      l.lock();
      if (!left) first_pending = 0;
      flushed_.notify_all();
      continue;
    }
    flush_now_ = complete_now_ = false;
    if (stop_) break;
    if (now - last_periodic_ns_ >= kPeriodicNs) {
      l.unlock();
      Periodic(*s);
      l.lock();
      last_periodic_ns_ = now;
      continue;
    }
    int64_t wake = last_periodic_ns_ + kPeriodicNs;
    if (have) wake = std::min(wake, first_pending + s->flush_interval_ns);
    cv_.wait_for(l, std::chrono::nanoseconds(std::max<int64_t>(wake - now, 0)));
  }
  l.unlock();
  std::shared_ptr<const Settings> s = settings_.Load();
  SealActive(*s);
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

bool SegmentWriter::WriteAvailable(bool complete) {
  std::shared_ptr<const Settings> s = settings_.Load();
  const uint64_t n = ring_.Available();
  iovec* const iov = iov_.data();
  uint64_t i = 0;
  bool wrote = false;
  while (i < n) {
    int64_t now = RealtimeNs();
    if (active_ && (active_->size() >= s->segment_max_bytes ||
                    (!active_->index().empty() &&
                     now - active_->index().min_recv_ns >= s->segment_max_age_ns))) {
      SealActive(*s);
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
        Add(stats_.write_dropped, n - i);
        ring_.Release(n - i);
        released_.fetch_add(n - i, std::memory_order_release);
        i = n;
        break;
      }
      ++next_number_;
      active_.emplace(std::move(*seg));
      stats_.direct_io.store(active_->direct(), std::memory_order_relaxed);
      catalog_.SetActive(active_->name(), active_->index());
    }
    const int max_records = active_->direct() ? kMaxDirectRecords : kMaxIov;
    int cnt = 0;
    size_t bytes = 0;
    const uint64_t room =
        s->segment_max_bytes > active_->size() ? s->segment_max_bytes - active_->size() : 0;
    while (i + static_cast<uint64_t>(cnt) < n && cnt < max_records) {
      Ring::Record r = ring_.At(static_cast<uint64_t>(cnt));  // Relative to the tail.
      if (cnt > 0 && bytes + r.size > room) break;
      iov[cnt].iov_base = const_cast<char*>(r.data);
      iov[cnt].iov_len = r.size;
      bytes += r.size;
      ++cnt;
    }
    MakeRoom(*s, bytes);
    // The last batch of this call may leave its final records for the next write unless
    // `complete`; a batch cut short by the segment's room completes it (rotation follows).
    const bool last = i + static_cast<uint64_t>(cnt) == n;
    const bool batch_complete = last ? complete : cnt < max_records;
    uint64_t start = active_->size();
    absl::StatusOr<int> done = active_->Append(iov, cnt, bytes, batch_complete);
    // (Cannot happen with >= 64-byte records and blocks <= 64 KiB, but a loop that takes
    // nothing must not spin.)
    if (done.ok() && *done == 0 && !last) done = active_->Append(iov, cnt, bytes, true);
    int taken = cnt;  // Records leaving the ring.
    if (done.ok()) {
      taken = *done;
      uint64_t off = start;
      for (int k = 0; k < taken; ++k) {
        off += iov[k].iov_len;
        RecordHeader h;
        std::memcpy(&h, iov[k].iov_base, sizeof(h));
        active_->index().Add(h, off);
      }
      Add(stats_.written, static_cast<uint64_t>(taken));
      Add(stats_.written_bytes, off - start);
      stats_.disk_full.store(false, std::memory_order_relaxed);
      dirty_ = true;
      wrote = true;
      active_->ReleaseCache(false);
      catalog_.SetActive(active_->name(), active_->index());
    } else {
      Add(stats_.write_dropped, static_cast<uint64_t>(cnt));
      ReportError(done.status());
    }
    ring_.Release(static_cast<uint64_t>(taken));
    released_.fetch_add(static_cast<uint64_t>(taken), std::memory_order_release);
    i += static_cast<uint64_t>(taken);
    if (last && taken < cnt) break;  // Left for the next write.
  }
  if (wrote && active_) {
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
    catalog_.NotifyWritten();
  }
  return i < n;
}

void SegmentWriter::MakeRoom(const Settings& s, uint64_t incoming) {
  if (s.retention_max_bytes != 0 && catalog_.TotalBytes() + incoming > s.retention_max_bytes) {
    Add(stats_.segments_deleted, catalog_.EnforceRetention(s.retention_max_bytes, incoming, 0));
  }
}

void SegmentWriter::SealActive(const Settings& s) {
  if (!active_) return;
  bool sync = s.fsync != FsyncMode::kNever && dirty_;
  absl::Status st = active_->Seal(sync);
  if (sync && st.ok()) Add(stats_.fsyncs, 1);
  if (!st.ok()) ReportError(st);
  Add(stats_.segments_rotated, 1);
  catalog_.SetSealed(active_->name(), active_->index());
  active_.reset();
  dirty_ = false;
  catalog_.NotifyWritten();
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
