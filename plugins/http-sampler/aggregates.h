// Rolling aggregates of completed samples over a time window: top paths, hosts, methods,
// status codes and latency percentiles. The window is split into kBuckets slices; a slice
// older than the window is dropped whole, so the window slides in steps of window /
// kBuckets. Memory is bounded: each slice keeps at most kMaxKeys distinct values per list
// (further ones count as "(other)"). Thread-safe.
//
// Counting works on the raw records (paths and hosts keyed by their bytes, methods and
// statuses by their codes): a sample already counted costs two hash lookups and no
// allocation. The bytes become printable strings (records.h Printable) only in Fill.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "http_sampler.pb.h"
#include "records.h"

namespace paddock::http_sampler {

// Log-linear latency histogram in microseconds: exact below 64 us, then 32 buckets per
// power of two (a percentile is within ~1.6% of the exact value).
class LatencyHistogram {
 public:
  static constexpr int kBuckets = 64 + 35 * 32;
  void Add(uint64_t us);
  void Merge(const LatencyHistogram& other);
  void Clear();
  uint64_t count() const { return count_; }
  uint64_t max() const { return max_; }
  // The q-quantile (0 < q <= 1); 0 when empty.
  uint64_t Quantile(double q) const;
  // Bucket of `us` and the value a bucket stands for (its midpoint). Exposed for tests.
  static int BucketOf(uint64_t us);
  static uint64_t ValueOf(int bucket);

 private:
  std::vector<uint64_t> counts_ = std::vector<uint64_t>(kBuckets);
  uint64_t count_ = 0, max_ = 0;
};

class Aggregates {
 public:
  static constexpr int kBuckets = 12;
  static constexpr size_t kMaxKeys = 1024;

  explicit Aggregates(uint32_t window_seconds) { set_window(window_seconds); }
  // Changes the window length (1..86400 s; others are clamped). Clears the slices.
  void set_window(uint32_t seconds);
  uint32_t window_seconds() const;

  // Counts every sample of `batch`, completed at `now_ns` (any monotonic clock, the same
  // for every call).
  void Add(const std::vector<Completed>& batch, uint64_t now_ns);
  // Fills the window fields of `out` (window_seconds, window_samples, top lists with at
  // most `top` entries each, latency) as of `now_ns`.
  void Fill(uint32_t top, uint64_t now_ns, v1::StatsReply* out) const;

 private:
  // Raw bytes (path or Host value) -> count.
  using ByteCounts = absl::flat_hash_map<std::string, uint64_t>;
  static constexpr int kMethods = HS_METHOD_PATCH + 1;
  static constexpr int kStatuses = 600;  // 0 (no response) and 100..599.
  struct Slice {
    uint64_t index = UINT64_MAX;  // now_ns / slice_ns of the slice's time.
    uint64_t samples = 0;
    ByteCounts paths, hosts;
    uint64_t methods[kMethods] = {};
    uint64_t statuses[kStatuses] = {};
    LatencyHistogram latency;
  };
  static void Count(ByteCounts* m, absl::string_view key);

  mutable std::mutex mu_;
  uint64_t slice_ns_ ABSL_GUARDED_BY(mu_) = 0;
  uint32_t window_s_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<Slice> slices_ ABSL_GUARDED_BY(mu_);
};

}  // namespace paddock::http_sampler
