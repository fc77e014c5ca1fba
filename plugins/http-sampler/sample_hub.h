// Fan-out of completed samples to Samples streams, with a bounded history of recent ones.
// A slow subscriber never slows the reader: its queue is bounded and the oldest entries
// are dropped (and counted). Thread-safe.
//
// The history keeps raw records (a copy, no allocation); a Sample message is built only
// for a subscriber that wants it: when a live sample passes the filter fields that need no
// conversion (method, server port, status), and for backlogs at Subscribe. Without
// subscribers a sample costs one copy into the history.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "http_sampler.pb.h"
#include "records.h"

namespace paddock::http_sampler {

// True if `s` passes every filter field of `f` that is set.
bool Matches(const v1::SamplesRequest& f, const v1::Sample& s);

class SampleHub {
 public:
  static constexpr size_t kRecent = 4096;  // history kept for backlogs
  static constexpr size_t kQueue = 8192;   // per-subscriber queue bound

  class Subscription {
   public:
    // Waits up to `timeout` for the next matching sample. False on timeout or once the hub
    // is closed and the queue is empty.
    bool Next(v1::Sample* out, std::chrono::milliseconds timeout);
    bool closed() const;
    // Samples dropped because this subscriber fell behind.
    uint64_t dropped() const;

   private:
    friend class SampleHub;
    explicit Subscription(v1::SamplesRequest f) : filter_(std::move(f)) {}
    const v1::SamplesRequest filter_;
    mutable std::mutex mu_;
    std::condition_variable cv_;
    std::deque<v1::Sample> queue_ ABSL_GUARDED_BY(mu_);
    bool closed_ ABSL_GUARDED_BY(mu_) = false;
    uint64_t dropped_ ABSL_GUARDED_BY(mu_) = 0;
  };

  // `mono_to_unix_ns` turns the records' CLOCK_MONOTONIC times into Unix times.
  explicit SampleHub(int64_t mono_to_unix_ns = MonoToUnixNs())
      : mono_to_unix_ns_(mono_to_unix_ns) {}

  // Registers a subscriber; its queue starts with the last min(filter.backlog(), kRecent)
  // matching samples (oldest request first). Returns a closed subscription if the hub is
  // closed.
  std::shared_ptr<Subscription> Subscribe(const v1::SamplesRequest& filter);
  void Unsubscribe(const std::shared_ptr<Subscription>& sub);
  // Delivers every sample of `batch` to the history and to each matching subscriber
  // (within the batch, oldest request first).
  void Publish(const std::vector<Completed>& batch);
  // Ends every subscription (they drain what is queued) and refuses new ones.
  void Close();
  size_t subscribers() const;

 private:
  const int64_t mono_to_unix_ns_;
  mutable std::mutex mu_;
  // Ring of the last kRecent samples: recent_[next_ % kRecent] is the oldest once full.
  std::vector<Completed> recent_ ABSL_GUARDED_BY(mu_);
  size_t next_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<std::shared_ptr<Subscription>> subs_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace paddock::http_sampler
