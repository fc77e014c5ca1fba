// Turns what a plugin reports through its lifecycle Metrics call (untrusted input) into
// families the host can expose: every family becomes paddock_plugin_<name> with a `plugin`
// label, and anything Prometheus or `promtool check metrics` would refuse is repaired or
// dropped, never passed through.
#pragma once

#include <cstddef>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "paddock/v1/lifecycle.pb.h"

namespace paddock::host {

// Bounds on what one plugin may add to a scrape.
struct PluginMetricsLimits {
  size_t max_families = 256;
  size_t max_samples = 4096;         // Across all of the plugin's families.
  size_t max_family_samples = 1024;  // Per family, so one cannot crowd out the others.
  size_t max_labels = 16;            // Per sample, besides `plugin`.
  size_t max_buckets = 64;           // Per histogram, besides +Inf.
  size_t max_name_bytes = 128;
  size_t max_label_value_bytes = 256;
  size_t max_help_bytes = 512;
};

// Families from several sources merged by name: one HELP/TYPE block per name, each label
// set once. Not thread-safe.
class FamilySet {
 public:
  // Adds `family`'s samples under its name. Returns false and adds nothing when the name is
  // already there with another kind. Samples whose label set the name already has are
  // dropped and counted in *dropped.
  bool Add(paddock::v1::MetricFamily family, size_t* dropped);
  // Every family, sorted by name; the set is empty afterwards.
  std::vector<paddock::v1::MetricFamily> Take();

 private:
  struct Entry {
    paddock::v1::MetricFamily family;
    std::set<std::string> label_sets;  // Canonical "k=v\0..." of each sample.
  };
  std::map<std::string, Entry> families_;
};

// Adds plugin `plugin`'s reported metrics to `out`. Per family: the name is sanitized
// (prom::SanitizeName) and prefixed "paddock_plugin_"; a counter gets the "_total" suffix
// when it lacks it; a gauge or histogram whose name ends in _total/_count/_sum/_bucket is
// dropped (those suffixes mean something else); empty help gets a placeholder. Per sample:
// label names are sanitized; `plugin`, `le` and `quantile` become exported_<name>; a
// sample with a label name that is still invalid or repeated, a counter that is negative
// or not finite, or a histogram whose bounds are not finite and strictly increasing or
// whose counts are not bounds+1 non-decreasing values is dropped. Label values and help
// are cut to their limits (UTF-8 repaired later by the renderer). Returns how many
// families and samples were dropped.
size_t ImportPluginMetrics(const std::string& plugin, const paddock::v1::MetricsResponse& in,
                           const PluginMetricsLimits& limits, FamilySet* out);

}  // namespace paddock::host
