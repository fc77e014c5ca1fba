// Tests of the metrics registry.
#include "paddock/metrics.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <thread>
#include <vector>

namespace paddock {
namespace {

TEST_CASE("counters and gauges count, concurrently", "[metrics]") {
  MetricsRegistry reg;
  Counter& c = reg.GetCounter("calls_total", "Calls");
  Gauge& g = reg.GetGauge("level", "Level");
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) {
        c.Increment();
        g.Add(0.5);
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(c.value() == 40000);
  CHECK(g.value() == 20000.0);
  g.Set(-3);
  CHECK(g.value() == -3);
}

TEST_CASE("same name and labels give the same object", "[metrics]") {
  MetricsRegistry reg;
  Counter& a = reg.GetCounter("x", "help", {{"m", "1"}});
  Counter& b = reg.GetCounter("x", "other help", {{"m", "1"}});
  Counter& c = reg.GetCounter("x", "help", {{"m", "2"}});
  CHECK(&a == &b);
  CHECK(&a != &c);
  auto entries = reg.Entries();
  REQUIRE(entries.size() == 2);
  CHECK(entries[0].help == "help");
  CHECK(entries[0].labels.at("m") == "1");
  CHECK(entries[1].labels.at("m") == "2");
}

TEST_CASE("histograms bucket cumulatively with +Inf last", "[metrics]") {
  MetricsRegistry reg;
  Histogram& h = reg.GetHistogram("latency_ms", "Latency", {10, 1, 100, 10, NAN});
  CHECK(h.bounds() == std::vector<double>{1, 10, 100});
  for (double v : {0.5, 1.0, 5.0, 10.0, 50.0, 1000.0}) h.Observe(v);
  h.Observe(NAN);  // Ignored.
  std::vector<uint64_t> counts;
  double sum = 0;
  h.Snapshot(&counts, &sum);
  CHECK(counts == std::vector<uint64_t>{2, 4, 5, 6});
  CHECK(sum == Approx(1066.5));
}

TEST_CASE("bad names are sanitized and kinds do not mix", "[metrics]") {
  MetricsRegistry reg;
  reg.GetCounter("Bad-Name.x", "h").Increment();
  reg.GetCounter("9lives", "h");
  Gauge& clash = reg.GetGauge("bad_name_x", "h");  // Taken by a counter: not exported.
  clash.Set(1);
  auto entries = reg.Entries();
  REQUIRE(entries.size() == 2);
  CHECK(entries[0].name == "_9lives");
  CHECK(entries[1].name == "bad_name_x");
  CHECK(entries[1].kind == 0);
  CHECK(entries[1].counter->value() == 1);
}

}  // namespace
}  // namespace paddock
