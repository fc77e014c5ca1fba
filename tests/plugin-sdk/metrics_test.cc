// Tests of the metrics registry.
#include "paddock/metrics.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <cmath>
#include <memory>
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

TEST_CASE("function-backed metrics are read at collect time until the handle goes", "[metrics]") {
  MetricsRegistry reg;
  std::atomic<uint64_t> seen{0};
  double level = 2.5;
  {
    MetricHandle c =
        reg.AddCounterFunc("seen_total", "Seen", [&] { return static_cast<double>(seen.load()); });
    MetricHandle g = reg.AddGaugeFunc("level", "Level", [&] { return level; }, {{"q", "a"}});
    MetricHandle h = reg.AddHistogramFunc("wait_seconds", "Wait", {0.1, 0.01, NAN},
                                          [](std::vector<uint64_t>* cum, double* sum) {
                                            REQUIRE(cum->size() == 3);
                                            *cum = {1, 3, 4};
                                            *sum = 0.5;
                                          });
    seen = 7;
    level = -1;
    auto samples = reg.Collect();
    REQUIRE(samples.size() == 3);
    CHECK(samples[0].name == "level");
    CHECK(samples[0].kind == 1);
    CHECK(samples[0].value == -1);
    CHECK(samples[0].labels.at("q") == "a");
    CHECK(samples[1].name == "seen_total");
    CHECK(samples[1].value == 7);
    CHECK(samples[2].bounds == std::vector<double>{0.01, 0.1});
    CHECK(samples[2].cumulative == std::vector<uint64_t>{1, 3, 4});
    CHECK(samples[2].sum == 0.5);
    CHECK(reg.Entries().empty());  // Entries() holds object-backed metrics only.
  }
  CHECK(reg.Collect().empty());
}

TEST_CASE("a function metric cannot take a name of another kind or an existing series",
          "[metrics]") {
  MetricsRegistry reg;
  reg.GetCounter("calls_total", "Calls").Increment(3);
  MetricHandle dup = reg.AddCounterFunc("calls_total", "Calls", [] { return 99.0; });
  MetricHandle other = reg.AddGaugeFunc("calls_total", "Calls", [] { return 1.0; }, {{"a", "b"}});
  MetricHandle ok = reg.AddCounterFunc("calls_total", "Calls", [] { return 5.0; }, {{"m", "x"}});
  auto samples = reg.Collect();
  REQUIRE(samples.size() == 2);
  CHECK(samples[0].value == 3);
  CHECK(samples[1].value == 5);
  // An object asked for under a function metric's series is a working orphan.
  Counter& orphan = reg.GetCounter("calls_total", "Calls", {{"m", "x"}});
  orphan.Increment();
  CHECK(reg.Collect()[1].value == 5);
  // Moving a handle keeps the registration; resetting removes it.
  MetricHandle moved = std::move(ok);
  CHECK(reg.Collect().size() == 2);
  moved.Reset();
  CHECK(reg.Collect().size() == 1);
}

TEST_CASE("removing a function metric waits for a concurrent collect", "[metrics]") {
  MetricsRegistry reg;
  std::atomic<bool> stop{false};
  std::thread scraper([&] {
    while (!stop.load()) reg.Collect();
  });
  for (int i = 0; i < 200; ++i) {
    auto value = std::make_unique<std::atomic<int>>(i);
    MetricHandle h = reg.AddGaugeFunc("v", "V", [p = value.get()] { return p->load(); });
    h.Reset();
    value.reset();  // Safe: no collect can be inside the function any more.
  }
  stop = true;
  scraper.join();
  CHECK(reg.Collect().empty());
}

TEST_CASE("collectors add series of a changing set, merged and sorted", "[metrics]") {
  MetricsRegistry reg;
  reg.GetCounter("b_total", "B").Increment(1);
  std::vector<std::string> tasks = {"t1", "t2"};
  MetricHandle h = reg.AddCollector([&](std::vector<MetricsRegistry::Sample>* out) {
    for (const std::string& t : tasks) {
      MetricsRegistry::Sample s;
      s.name = "Task Latency";
      s.help = "Latency";
      s.kind = 2;
      s.labels = {{"task", t}};
      s.bounds = {0.001};
      s.cumulative = {1, 2};
      s.sum = 0.5;
      out->push_back(s);
    }
    MetricsRegistry::Sample clash;  // b_total is a counter: not exported as a gauge.
    clash.name = "b_total";
    clash.kind = 1;
    out->push_back(clash);
    MetricsRegistry::Sample dup;  // Same series as the registered counter.
    dup.name = "b_total";
    dup.kind = 0;
    dup.value = 9;
    out->push_back(dup);
    MetricsRegistry::Sample bad;  // Histogram counts do not match its bounds.
    bad.name = "bad";
    bad.kind = 2;
    bad.bounds = {1};
    out->push_back(bad);
  });
  auto samples = reg.Collect();
  REQUIRE(samples.size() == 3);
  CHECK(samples[0].name == "b_total");
  CHECK(samples[0].value == 1);
  CHECK(samples[1].name == "task_latency");
  CHECK(samples[1].labels.at("task") == "t1");
  CHECK(samples[2].labels.at("task") == "t2");
  tasks.push_back("t3");
  CHECK(reg.Collect().size() == 4);
  h.Reset();
  CHECK(reg.Collect().size() == 1);
}

TEST_CASE("collected help and labels are valid UTF-8", "[metrics]") {
  MetricsRegistry reg;
  reg.GetGauge("g", "bad \xff help", {{"k\xc0", "v\xed\xa0\x80 ok \xc3\xa9"}}).Set(1);
  auto samples = reg.Collect();
  REQUIRE(samples.size() == 1);
  CHECK(samples[0].help == "bad \xEF\xBF\xBD help");
  REQUIRE(samples[0].labels.size() == 1);
  CHECK(samples[0].labels.begin()->first == "k\xEF\xBF\xBD");
  CHECK(samples[0].labels.begin()->second == "v\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD ok \xc3\xa9");
}

}  // namespace
}  // namespace paddock
