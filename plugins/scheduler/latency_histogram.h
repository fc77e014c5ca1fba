// A latency histogram one timer thread writes and any thread reads: log-linear buckets (64
// per power of two, so a reported percentile is within ~1.6% of the truth), exact min, max
// and mean. Recording is a handful of relaxed atomic loads and stores: no lock, no syscall,
// no allocation, so the real-time thread never waits for a reader.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <vector>

namespace paddock::scheduler {

struct LatencySnapshot {
  uint64_t count = 0;
  int64_t min_ns = 0, max_ns = 0, mean_ns = 0;
  int64_t p50_ns = 0, p90_ns = 0, p99_ns = 0, p999_ns = 0;
};

// Single writer (Record), any number of concurrent readers (Snapshot). A snapshot taken while
// the writer runs may be off by the observations in flight; it is never torn per bucket.
class LatencyHistogram {
 public:
  static constexpr int kSubBits = 6;
  static constexpr int kSub = 1 << kSubBits;
  // Values up to 2^46 ns (~19.5 hours) get their own bucket; larger ones share the last.
  static constexpr int kBuckets = kSub + (46 - kSubBits) * kSub;

  LatencyHistogram();

  // Records one latency. Negative values (a simulated clock) count as 0. Writer thread only.
  void Record(int64_t latency_ns);
  // Percentiles, min, max, mean of everything recorded so far. Thread-safe.
  LatencySnapshot Snapshot() const;
  // Prometheus-style buckets: the count of values <= each of `bounds_ns` (ascending), then
  // the total, and the sum of all values in ns. A bucket counts under a bound only when
  // its whole range lies at or below it, so a count is exact at bucket edges and otherwise
  // low by at most one bucket (1/64 of the bound). Thread-safe.
  void Cumulative(const std::vector<int64_t>& bounds_ns, std::vector<uint64_t>* cumulative,
                  uint64_t* sum_ns) const;

  // Bucket arithmetic, exposed for tests.
  static int BucketOf(uint64_t v);
  static uint64_t BucketLow(int index);
  static uint64_t BucketWidth(int index);

 private:
  std::array<std::atomic<uint64_t>, kBuckets> counts_;
  std::atomic<uint64_t> count_{0};
  std::atomic<uint64_t> sum_{0};
  std::atomic<int64_t> min_{0};
  std::atomic<int64_t> max_{0};
};

}  // namespace paddock::scheduler
