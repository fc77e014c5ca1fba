// Latency histogram: bucket arithmetic and percentile accuracy.
#include "latency_histogram.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <random>

namespace paddock::scheduler {
namespace {

TEST_CASE("buckets tile the value range without gaps, 1/64 relative width") {
  for (int i = 0; i + 1 < LatencyHistogram::kBuckets; ++i) {
    INFO(i);
    REQUIRE(LatencyHistogram::BucketLow(i) + LatencyHistogram::BucketWidth(i) ==
            LatencyHistogram::BucketLow(i + 1));
  }
  for (uint64_t v : {0ull, 1ull, 63ull, 64ull, 65ull, 1000ull, 123456ull, 999999999ull}) {
    const int b = LatencyHistogram::BucketOf(v);
    INFO(v);
    CHECK(LatencyHistogram::BucketLow(b) <= v);
    CHECK(v < LatencyHistogram::BucketLow(b) + LatencyHistogram::BucketWidth(b));
    if (v >= 64) CHECK(LatencyHistogram::BucketWidth(b) * 64 <= v);
  }
  CHECK(LatencyHistogram::BucketOf(~0ull) == LatencyHistogram::kBuckets - 1);
}

TEST_CASE("percentiles are within 1.6% of the exact ones, min and max are exact") {
  LatencyHistogram h;
  CHECK(h.Snapshot().count == 0);
  std::mt19937_64 rng(7);
  std::lognormal_distribution<double> dist(std::log(20000.0), 0.8);  // ~20 us median.
  std::vector<int64_t> values;
  for (int i = 0; i < 100000; ++i) values.push_back(static_cast<int64_t>(dist(rng)));
  for (int64_t v : values) h.Record(v);
  std::sort(values.begin(), values.end());
  LatencySnapshot s = h.Snapshot();
  CHECK(s.count == values.size());
  CHECK(s.min_ns == values.front());
  CHECK(s.max_ns == values.back());
  auto exact = [&](double q) {
    return static_cast<double>(values[static_cast<size_t>(std::ceil(q * values.size())) - 1]);
  };
  CHECK(std::abs(s.p50_ns - exact(0.5)) <= exact(0.5) * 0.016);
  CHECK(std::abs(s.p99_ns - exact(0.99)) <= exact(0.99) * 0.016);
  CHECK(std::abs(s.p999_ns - exact(0.999)) <= exact(0.999) * 0.016);
}

TEST_CASE("negative latencies count as zero") {
  LatencyHistogram h;
  h.Record(-5);
  h.Record(10);
  LatencySnapshot s = h.Snapshot();
  CHECK(s.min_ns == 0);
  CHECK(s.max_ns == 10);
  CHECK(s.p50_ns == 0);
}

TEST_CASE("cumulative buckets count values at or below each bound") {
  LatencyHistogram h;
  for (int64_t v : std::vector<int64_t>{0, 5, 63, 64, 1000, 1000, 1000000, 5000000000}) {
    h.Record(v);
  }
  std::vector<uint64_t> cum;
  uint64_t sum = 0;
  h.Cumulative({0, 63, 64, 999, 1008, 1000000, 2000000000}, &cum, &sum);
  // 1000 lies in bucket [1000, 1008): not under 999, under 1008; 1e6 in [999424, 1007616):
  // not under 1e6 (low by one bucket at most, as documented).
  CHECK(cum == std::vector<uint64_t>{1, 3, 4, 4, 6, 6, 7, 8});
  CHECK(sum == 5001002132);
  h.Cumulative({}, &cum, &sum);
  CHECK(cum == std::vector<uint64_t>{8});
}

}  // namespace
}  // namespace paddock::scheduler
