#include "host/log_ring.h"

#include <algorithm>

namespace paddock::host {

LogRing::LogRing(size_t max_bytes) : max_bytes_(max_bytes) {}

size_t LogRing::ApproximateSize(const paddock::v1::LogEntry& e) {
  size_t n = 64 + e.plugin().size() + e.level().size() + e.message().size() + e.stream().size();
  for (const auto& [k, v] : e.fields()) n += 32 + k.size() + v.size();
  return n;
}

uint64_t LogRing::Append(paddock::v1::LogEntry e) {
  const size_t size = ApproximateSize(e);
  uint64_t seq;
  {
    absl::MutexLock lock(&mu_);
    while (!entries_.empty() && bytes_ + size > max_bytes_) {
      bytes_ -= sizes_.front();
      entries_.pop_front();
      sizes_.pop_front();
      ++first_seq_;
      ++dropped_;
    }
    entries_.push_back(std::move(e));
    sizes_.push_back(size);
    bytes_ += size;
    seq = first_seq_ + entries_.size() - 1;
  }
  appended_.SignalAll();
  return seq;
}

std::vector<std::pair<uint64_t, paddock::v1::LogEntry>> LogRing::CopyAfterLocked(
    uint64_t seq) const {
  std::vector<std::pair<uint64_t, paddock::v1::LogEntry>> out;
  const uint64_t start = std::max(seq + 1, first_seq_);
  const uint64_t end = first_seq_ + entries_.size();
  if (start >= end) return out;
  out.reserve(end - start);
  for (uint64_t s = start; s < end; ++s) out.emplace_back(s, entries_[s - first_seq_]);
  return out;
}

std::vector<std::pair<uint64_t, paddock::v1::LogEntry>> LogRing::Tail(size_t n) const {
  absl::MutexLock lock(&mu_);
  const size_t take = n == 0 ? entries_.size() : std::min(n, entries_.size());
  return CopyAfterLocked(first_seq_ + entries_.size() - take - 1);
}

std::vector<std::pair<uint64_t, paddock::v1::LogEntry>> LogRing::After(uint64_t seq,
                                                                       absl::Duration wait) {
  const absl::Time deadline = absl::Now() + wait;
  absl::MutexLock lock(&mu_);
  while (!closed_ && first_seq_ + entries_.size() <= seq + 1) {
    // WaitWithDeadline returns true on timeout.
    if (appended_.WaitWithDeadline(&mu_, deadline)) break;
  }
  return CopyAfterLocked(seq);
}

uint64_t LogRing::dropped() const {
  absl::MutexLock lock(&mu_);
  return dropped_;
}

size_t LogRing::bytes() const {
  absl::MutexLock lock(&mu_);
  return bytes_;
}

uint64_t LogRing::last_seq() const {
  absl::MutexLock lock(&mu_);
  return first_seq_ + entries_.size() - 1;
}

void LogRing::Close() {
  {
    absl::MutexLock lock(&mu_);
    closed_ = true;
  }
  appended_.SignalAll();
}

bool LogRing::closed() const {
  absl::MutexLock lock(&mu_);
  return closed_;
}

}  // namespace paddock::host
