// A plugin's recent log lines, bounded by bytes, shared by the capture threads (writers)
// and `paddockctl logs` streams (readers, possibly following).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "paddock/v1/control.pb.h"

namespace paddock::host {

// Thread-safe. Entries get sequence numbers 1, 2, 3, ... in append order. The ring holds
// at most max_bytes of entries (by ApproximateSize); appending drops the oldest entries
// first to make room. A single entry larger than max_bytes is still kept, alone, so the
// bound is max(max_bytes, the newest entry).
class LogRing {
 public:
  explicit LogRing(size_t max_bytes);
  LogRing(const LogRing&) = delete;
  LogRing& operator=(const LogRing&) = delete;

  // Stores `e` and returns its sequence number. Wakes waiting readers. After Close() the
  // entry is still stored (late lines of a dying plugin are worth keeping).
  uint64_t Append(paddock::v1::LogEntry e);

  // The latest `n` entries (0 = all held), oldest first, with their sequence numbers.
  std::vector<std::pair<uint64_t, paddock::v1::LogEntry>> Tail(size_t n) const;

  // The held entries with sequence number > `seq`, oldest first. When there are none,
  // waits up to `wait` for one to be appended (or for Close()). A reader that fell behind
  // the ring gets the oldest held entries; the gap shows in the sequence numbers.
  std::vector<std::pair<uint64_t, paddock::v1::LogEntry>> After(uint64_t seq, absl::Duration wait);

  // Entries dropped to stay within the bound, since construction.
  uint64_t dropped() const;
  // Bytes held now (by ApproximateSize).
  size_t bytes() const;
  // Sequence number of the newest entry (0 when none was ever appended).
  uint64_t last_seq() const;

  // Wakes every waiter; After() no longer waits. Idempotent.
  void Close();
  bool closed() const;

  // What an entry counts against the bound: its strings plus a fixed overhead.
  static size_t ApproximateSize(const paddock::v1::LogEntry& e);

 private:
  std::vector<std::pair<uint64_t, paddock::v1::LogEntry>> CopyAfterLocked(uint64_t seq) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const size_t max_bytes_;
  mutable absl::Mutex mu_;
  absl::CondVar appended_;
  // entries_[i] has sequence number first_seq_ + i.
  std::deque<paddock::v1::LogEntry> entries_ ABSL_GUARDED_BY(mu_);
  std::deque<size_t> sizes_ ABSL_GUARDED_BY(mu_);
  uint64_t first_seq_ ABSL_GUARDED_BY(mu_) = 1;
  size_t bytes_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t dropped_ ABSL_GUARDED_BY(mu_) = 0;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace paddock::host
