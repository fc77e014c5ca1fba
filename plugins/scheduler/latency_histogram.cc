#include "latency_histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <vector>

namespace paddock::scheduler {

LatencyHistogram::LatencyHistogram() {
  for (auto& c : counts_) c.store(0, std::memory_order_relaxed);
}

int LatencyHistogram::BucketOf(uint64_t v) {
  if (v < static_cast<uint64_t>(kSub)) return static_cast<int>(v);
  const int e = 63 - std::countl_zero(v);  // floor(log2 v) >= kSubBits.
  const int sub = static_cast<int>((v >> (e - kSubBits)) & (kSub - 1));
  const int index = kSub + (e - kSubBits) * kSub + sub;
  return std::min(index, kBuckets - 1);
}

uint64_t LatencyHistogram::BucketLow(int index) {
  if (index < kSub) return static_cast<uint64_t>(index);
  const int e = (index - kSub) / kSub + kSubBits;
  const uint64_t sub = static_cast<uint64_t>((index - kSub) % kSub);
  return (static_cast<uint64_t>(kSub) + sub) << (e - kSubBits);
}

uint64_t LatencyHistogram::BucketWidth(int index) {
  if (index < kSub) return 1;
  const int e = (index - kSub) / kSub + kSubBits;
  return uint64_t{1} << (e - kSubBits);
}

void LatencyHistogram::Record(int64_t latency_ns) {
  const int64_t v = std::max<int64_t>(latency_ns, 0);
  // Single writer: plain load + store is enough and cheaper than a locked read-modify-write.
  auto bump = [](std::atomic<uint64_t>& a, uint64_t d) {
    a.store(a.load(std::memory_order_relaxed) + d, std::memory_order_relaxed);
  };
  const uint64_t n = count_.load(std::memory_order_relaxed);
  if (n == 0 || v < min_.load(std::memory_order_relaxed)) min_.store(v, std::memory_order_relaxed);
  if (n == 0 || v > max_.load(std::memory_order_relaxed)) max_.store(v, std::memory_order_relaxed);
  bump(counts_[BucketOf(static_cast<uint64_t>(v))], 1);
  bump(sum_, static_cast<uint64_t>(v));
  // Count last (release): a reader that sees it sees the bucket it belongs to.
  count_.store(n + 1, std::memory_order_release);
}

void LatencyHistogram::Cumulative(const std::vector<int64_t>& bounds_ns,
                                  std::vector<uint64_t>* cumulative, uint64_t* sum_ns) const {
  cumulative->assign(bounds_ns.size() + 1, 0);
  uint64_t total = 0;
  size_t b = 0;
  for (int i = 0; i < kBuckets; ++i) {
    const uint64_t n = counts_[i].load(std::memory_order_relaxed);
    // Bounds below this bucket's top have seen every bucket that fits under them.
    const uint64_t top = BucketLow(i) + BucketWidth(i) - 1;
    while (b < bounds_ns.size() &&
           (bounds_ns[b] < 0 || static_cast<uint64_t>(bounds_ns[b]) < top)) {
      (*cumulative)[b++] = total;
    }
    total += n;
  }
  while (b < bounds_ns.size()) (*cumulative)[b++] = total;
  cumulative->back() = total;
  *sum_ns = sum_.load(std::memory_order_relaxed);
}

LatencySnapshot LatencyHistogram::Snapshot() const {
  LatencySnapshot s;
  const uint64_t count = count_.load(std::memory_order_acquire);
  if (count == 0) return s;
  std::vector<uint64_t> counts(kBuckets);
  uint64_t total = 0;
  for (int i = 0; i < kBuckets; ++i) {
    counts[i] = counts_[i].load(std::memory_order_relaxed);
    total += counts[i];
  }
  s.count = total;
  s.min_ns = min_.load(std::memory_order_relaxed);
  s.max_ns = max_.load(std::memory_order_relaxed);
  s.mean_ns = total ? static_cast<int64_t>(sum_.load(std::memory_order_relaxed) / total) : 0;
  auto quantile = [&](double q) -> int64_t {
    if (total == 0) return 0;
    const uint64_t rank = std::max<uint64_t>(1, static_cast<uint64_t>(std::ceil(q * total)));
    uint64_t seen = 0;
    for (int i = 0; i < kBuckets; ++i) {
      seen += counts[i];
      if (seen >= rank) {
        const int64_t mid = static_cast<int64_t>(BucketLow(i) + BucketWidth(i) / 2);
        return std::clamp(mid, s.min_ns, s.max_ns);
      }
    }
    return s.max_ns;
  };
  s.p50_ns = quantile(0.50);
  s.p90_ns = quantile(0.90);
  s.p99_ns = quantile(0.99);
  s.p999_ns = quantile(0.999);
  return s;
}

}  // namespace paddock::scheduler
