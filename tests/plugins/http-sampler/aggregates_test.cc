#include "aggregates.h"

#include <catch2/catch.hpp>
#include <cmath>

#include "plugins/http-sampler/samples.h"

namespace {

using paddock::http_sampler::Aggregates;
using paddock::http_sampler::LatencyHistogram;
namespace v1 = paddock::http_sampler::v1;

using paddock::http_sampler::Completed;

Completed S(uint8_t method, const std::string& path, const std::string& host, uint16_t status,
            uint64_t latency_us) {
  return paddock::http_sampler::testing::MakeCompleted(method, path, host, status, latency_us);
}

constexpr uint64_t kSec = 1000000000ull;

}  // namespace

TEST_CASE("latency buckets are within 1.6% of the value", "[aggregates]") {
  for (uint64_t us : {0ull, 1ull, 63ull, 64ull, 100ull, 999ull, 12345ull, 987654321ull}) {
    uint64_t v = LatencyHistogram::ValueOf(LatencyHistogram::BucketOf(us));
    CHECK(std::fabs(static_cast<double>(v) - static_cast<double>(us)) <=
          0.016 * static_cast<double>(us) + 0.5);
  }
  CHECK(LatencyHistogram::BucketOf(~0ull) < LatencyHistogram::kBuckets);
}

TEST_CASE("percentiles of a known distribution", "[aggregates]") {
  LatencyHistogram h;
  for (uint64_t i = 1; i <= 1000; ++i) h.Add(i * 10);  // 10 .. 10000 us
  CHECK(h.count() == 1000);
  CHECK(h.max() == 10000);
  CHECK(std::fabs(static_cast<double>(h.Quantile(0.5)) - 5000) <= 5000 * 0.02);
  CHECK(std::fabs(static_cast<double>(h.Quantile(0.99)) - 9900) <= 9900 * 0.02);
  CHECK(h.Quantile(1.0) == 10000);
  LatencyHistogram empty;
  CHECK(empty.Quantile(0.5) == 0);
}

TEST_CASE("top lists, methods and statuses over the window", "[aggregates]") {
  Aggregates agg(60);
  uint64_t t0 = 1000 * kSec;
  for (int i = 0; i < 5; ++i) agg.Add({S(HS_METHOD_GET, "/a", "h1", 200, 100)}, t0);
  for (int i = 0; i < 3; ++i) agg.Add({S(HS_METHOD_POST, "/b", "h2", 404, 200)}, t0 + kSec);
  agg.Add({S(HS_METHOD_GET, "/c", "", 0, 0)}, t0 + 2 * kSec);  // No response: no latency.
  v1::StatsReply r;
  agg.Fill(2, t0 + 3 * kSec, &r);
  CHECK(r.window_seconds() == 60);
  CHECK(r.window_samples() == 9);
  REQUIRE(r.top_paths_size() == 2);
  CHECK(r.top_paths(0).key() == "/a");
  CHECK(r.top_paths(0).count() == 5);
  CHECK(r.top_paths(1).key() == "/b");
  REQUIRE(r.methods_size() == 2);
  CHECK(r.methods(0).key() == "GET");
  CHECK(r.methods(0).count() == 6);
  CHECK(r.status_codes(0).key() == "200");
  CHECK(r.top_hosts(0).key() == "h1");
  CHECK(r.latency().count() == 8);
  CHECK(r.latency().max_us() == 200);
}

TEST_CASE("samples older than the window drop out", "[aggregates]") {
  Aggregates agg(12);  // 1 s slices
  uint64_t t0 = 5000 * kSec;
  agg.Add({S(HS_METHOD_GET, "/old", "h", 200, 1)}, t0);
  agg.Add({S(HS_METHOD_GET, "/new", "h", 200, 1)}, t0 + 11 * kSec);
  v1::StatsReply r;
  agg.Fill(10, t0 + 11 * kSec, &r);
  CHECK(r.window_samples() == 2);
  v1::StatsReply later;
  agg.Fill(10, t0 + 12 * kSec, &later);
  CHECK(later.window_samples() == 1);
  REQUIRE(later.top_paths_size() == 1);
  CHECK(later.top_paths(0).key() == "/new");
}

TEST_CASE("distinct keys per slice are bounded", "[aggregates]") {
  Aggregates agg(60);
  uint64_t t0 = 100 * kSec;
  for (size_t i = 0; i < Aggregates::kMaxKeys + 10; ++i) {
    agg.Add({S(HS_METHOD_GET, "/p" + std::to_string(i), "h", 200, 1)}, t0);
  }
  v1::StatsReply r;
  agg.Fill(1000, t0, &r);
  CHECK(r.top_paths_size() == 1000);  // kMaxKeys + "(other)", cut at top.
  CHECK(r.top_paths(0).key() == "(other)");
  CHECK(r.top_paths(0).count() == 10);
}

TEST_CASE("raw bytes are counted as sent and printed as valid UTF-8", "[aggregates]") {
  Aggregates agg(60);
  uint64_t t0 = 100 * kSec;
  // A control byte, and the text of its %XX spelling: two keys, one printed form.
  agg.Add({S(HS_METHOD_GET, std::string("/a\x01", 3), "h\xff", 200, 1),
           S(HS_METHOD_GET, "/a%01", "h", 200, 1), S(HS_METHOD_GET, "/b", "h", 0, 0)},
          t0);
  v1::StatsReply r;
  agg.Fill(10, t0, &r);
  REQUIRE(r.top_paths_size() == 2);
  CHECK(r.top_paths(0).key() == "/a%01");
  CHECK(r.top_paths(0).count() == 2);
  REQUIRE(r.top_hosts_size() == 2);
  CHECK(r.top_hosts(0).key() == "h");
  CHECK(r.top_hosts(1).key() == "h%FF");
  REQUIRE(r.status_codes_size() == 2);
  CHECK(r.status_codes(0).key() == "200");
  CHECK(r.status_codes(1).key() == "0");
  CHECK(r.latency().count() == 2);
}
