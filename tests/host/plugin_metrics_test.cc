// Tests of the import of plugin-reported metrics: prefixing, the `plugin` label, and that
// hostile input is repaired or dropped, never passed through.
#include "host/plugin_metrics.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <string>

#include "host/prom_text.h"

namespace paddock::host {
namespace {

using paddock::v1::MetricFamily;
using paddock::v1::MetricSample;
using paddock::v1::MetricsResponse;

MetricFamily* AddFamily(MetricsResponse* r, const std::string& name, MetricFamily::Kind kind,
                        const std::string& help = "Help.") {
  MetricFamily* f = r->add_families();
  f->set_name(name);
  f->set_kind(kind);
  f->set_help(help);
  return f;
}

MetricSample* AddSample(MetricFamily* f, double v, std::map<std::string, std::string> labels = {}) {
  MetricSample* s = f->add_samples();
  s->mutable_labels()->insert(labels.begin(), labels.end());
  s->set_value(v);
  return s;
}

TEST_CASE("plugin metrics get the prefix, the plugin label and counter suffix",
          "[plugin_metrics]") {
  MetricsResponse r;
  AddSample(AddFamily(&r, "records_received_total", MetricFamily::COUNTER), 5, {{"port", "udp"}});
  AddSample(AddFamily(&r, "Greetings", MetricFamily::COUNTER), 2);
  AddSample(AddFamily(&r, "queue_depth", MetricFamily::GAUGE, ""), -1);
  FamilySet set;
  CHECK(ImportPluginMetrics("log-aggregator", r, PluginMetricsLimits(), &set) == 0);
  auto fs = set.Take();
  REQUIRE(fs.size() == 3);
  CHECK(fs[0].name() == "paddock_plugin_greetings_total");
  CHECK(fs[1].name() == "paddock_plugin_queue_depth");
  CHECK_FALSE(fs[1].help().empty());
  CHECK(fs[2].name() == "paddock_plugin_records_received_total");
  CHECK(fs[2].samples(0).labels().at("plugin") == "log-aggregator");
  CHECK(fs[2].samples(0).labels().at("port") == "udp");
  CHECK(fs[2].samples(0).value() == 5);
}

TEST_CASE("reserved and invalid labels are renamed or the sample dropped", "[plugin_metrics]") {
  MetricsResponse r;
  MetricFamily* f = AddFamily(&r, "x_total", MetricFamily::COUNTER);
  AddSample(f, 1, {{"plugin", "forged"}, {"le", "1"}});  // Renamed exported_*.
  AddSample(f, 2, {{"__name__", "y"}});                  // Invalid: dropped.
  AddSample(f, 3, {{"a-b", "1"}, {"a_b", "2"}});         // Same after sanitizing: dropped.
  AddSample(f, 4, {{"Bad Name", "v"}});                  // Sanitized to bad_name.
  FamilySet set;
  CHECK(ImportPluginMetrics("p", r, PluginMetricsLimits(), &set) == 2);
  auto fs = set.Take();
  REQUIRE(fs.size() == 1);
  REQUIRE(fs[0].samples_size() == 2);
  CHECK(fs[0].samples(0).labels().at("plugin") == "p");
  CHECK(fs[0].samples(0).labels().at("exported_plugin") == "forged");
  CHECK(fs[0].samples(0).labels().at("exported_le") == "1");
  CHECK(fs[0].samples(1).labels().at("bad_name") == "v");
}

TEST_CASE("bad values and histograms are dropped", "[plugin_metrics]") {
  MetricsResponse r;
  MetricFamily* c = AddFamily(&r, "c_total", MetricFamily::COUNTER);
  AddSample(c, -1, {{"k", "neg"}});
  AddSample(c, NAN, {{"k", "nan"}});
  AddSample(c, INFINITY, {{"k", "inf"}});
  AddSample(c, 1, {{"k", "ok"}});
  AddSample(AddFamily(&r, "g", MetricFamily::GAUGE), NAN);  // A gauge may be NaN.
  MetricFamily* h = AddFamily(&r, "h_seconds", MetricFamily::HISTOGRAM);
  auto hist = [&](std::vector<double> bounds, std::vector<uint64_t> counts, const char* k) {
    MetricSample* s = h->add_samples();
    (*s->mutable_labels())["k"] = k;
    for (double b : bounds) s->add_bucket_bounds(b);
    for (uint64_t n : counts) s->add_bucket_counts(n);
  };
  hist({1, 2}, {1, 2, 3}, "ok");
  hist({1, 2}, {1, 2}, "short");
  hist({2, 1}, {1, 2, 3}, "unsorted");
  hist({1, 1}, {1, 2, 3}, "repeated");
  hist({1, INFINITY}, {1, 2, 3}, "inf");
  hist({1, 2}, {3, 2, 3}, "decreasing");
  FamilySet set;
  CHECK(ImportPluginMetrics("p", r, PluginMetricsLimits(), &set) == 8);
  auto fs = set.Take();
  REQUIRE(fs.size() == 3);
  CHECK(fs[0].samples_size() == 1);
  CHECK(fs[0].samples(0).labels().at("k") == "ok");
  CHECK(fs[1].name() == "paddock_plugin_g");
  CHECK(fs[2].samples_size() == 1);
  CHECK(fs[2].samples(0).labels().at("k") == "ok");
}

TEST_CASE("reserved suffixes on non-counters, unknown kinds and limits drop families",
          "[plugin_metrics]") {
  MetricsResponse r;
  AddSample(AddFamily(&r, "g_total", MetricFamily::GAUGE), 1);
  AddSample(AddFamily(&r, "h_count", MetricFamily::GAUGE), 1);
  AddSample(AddFamily(&r, "x", static_cast<MetricFamily::Kind>(7)), 1);
  AddSample(AddFamily(&r, std::string(300, 'a'), MetricFamily::GAUGE), 1);
  MetricFamily* many = AddFamily(&r, "many", MetricFamily::GAUGE);
  for (int i = 0; i < 10; ++i) AddSample(many, i, {{"i", std::to_string(i)}});
  PluginMetricsLimits lim;
  lim.max_samples = 4;
  lim.max_family_samples = 5;
  lim.max_label_value_bytes = 3;
  AddSample(AddFamily(&r, "long", MetricFamily::GAUGE), 1, {{"v", "abcdef"}});
  FamilySet set;
  CHECK(ImportPluginMetrics("p", r, lim, &set) == 4 + 6 + 1);
  auto fs = set.Take();
  REQUIRE(fs.size() == 1);
  CHECK(fs[0].name() == "paddock_plugin_many");
  CHECK(fs[0].samples_size() == 4);
}

TEST_CASE("two plugins share a family; a kind clash or a repeated series is dropped",
          "[plugin_metrics]") {
  MetricsResponse a, b;
  AddSample(AddFamily(&a, "requests_total", MetricFamily::COUNTER), 1);
  AddSample(AddFamily(&a, "depth", MetricFamily::GAUGE), 1);
  AddSample(AddFamily(&b, "requests_total", MetricFamily::COUNTER), 2);
  AddSample(AddFamily(&b, "depth", MetricFamily::COUNTER), 2);     // Becomes depth_total: fine.
  AddSample(AddFamily(&b, "requests", MetricFamily::COUNTER), 3);  // Same series again.
  FamilySet set;
  CHECK(ImportPluginMetrics("a", a, PluginMetricsLimits(), &set) == 0);
  CHECK(ImportPluginMetrics("b", b, PluginMetricsLimits(), &set) == 1);
  auto fs = set.Take();
  REQUIRE(fs.size() == 3);
  CHECK(fs[2].name() == "paddock_plugin_requests_total");
  CHECK(fs[2].samples_size() == 2);

  MetricsResponse c;
  AddSample(AddFamily(&c, "depth_total", MetricFamily::GAUGE), 1);  // Suffix: dropped.
  MetricsResponse d;
  MetricFamily* h = AddFamily(&d, "depth", MetricFamily::HISTOGRAM);
  h->add_samples()->add_bucket_counts(1);
  FamilySet set2;
  CHECK(ImportPluginMetrics("a", a, PluginMetricsLimits(), &set2) == 0);
  CHECK(ImportPluginMetrics("d", d, PluginMetricsLimits(), &set2) == 1);  // Kind clash.
  CHECK(ImportPluginMetrics("c", c, PluginMetricsLimits(), &set2) == 1);
}

TEST_CASE("whatever a plugin sends renders as valid names", "[plugin_metrics]") {
  MetricsResponse r;
  std::string junk = "\xff\n\"{}=,\\ \x01";
  AddSample(AddFamily(&r, junk, MetricFamily::GAUGE, junk), 1, {{"a" + junk, junk}});
  FamilySet set;
  ImportPluginMetrics(junk, r, PluginMetricsLimits(), &set);
  auto fs = set.Take();
  REQUIRE(fs.size() == 1);
  CHECK(prom::IsValidMetricName(fs[0].name()));
  for (const auto& [k, v] : fs[0].samples(0).labels()) CHECK(prom::IsValidLabelName(k));
  std::string text;
  prom::Render(fs, &text);
  // One HELP, one TYPE and one sample line: nothing the plugin sent broke a line.
  CHECK(std::count(text.begin(), text.end(), '\n') == 3);
}

TEST_CASE("one family cannot crowd out the others", "[plugin_metrics]") {
  MetricsResponse r;
  for (const char* name : {"a", "b"}) {
    MetricFamily* f = AddFamily(&r, name, MetricFamily::GAUGE);
    for (int i = 0; i < 3; ++i) AddSample(f, i, {{"i", std::to_string(i)}});
  }
  PluginMetricsLimits lim;
  lim.max_family_samples = 2;
  FamilySet set;
  CHECK(ImportPluginMetrics("p", r, lim, &set) == 2);
  auto fs = set.Take();
  REQUIRE(fs.size() == 2);
  CHECK(fs[0].samples_size() == 2);
  CHECK(fs[1].samples_size() == 2);
}

}  // namespace
}  // namespace paddock::host
