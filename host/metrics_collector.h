// Builds one /metrics answer: the host's own counters, each plugin's state and cgroup usage
// (a snapshot from the event loop), and every serving plugin's own metrics, asked for over
// its mTLS channel concurrently with a deadline. A slow or hostile plugin costs the scrape
// at most that deadline and shows up as paddock_host_plugin_metrics_up 0.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "host/host_metrics.h"
#include "host/plugin_metrics.h"
#include "host/supervisor.h"

namespace paddock::host {

class MetricsCollector {
 public:
  // Returns the plugins and the number of invalid files, waiting at most the duration;
  // Supervisor::Snapshot in paddockd, a fake in tests.
  using SnapshotFn =
      std::function<absl::StatusOr<std::vector<PluginSnapshot>>(absl::Duration, size_t*)>;
  struct Options {
    absl::Duration loop_timeout = absl::Seconds(2);           // For the snapshot.
    absl::Duration plugin_timeout = absl::Milliseconds(500);  // Per plugin Metrics call.
    PluginMetricsLimits limits;
  };

  // `metrics` must outlive the collector.
  MetricsCollector(SnapshotFn snapshot, HostMetrics* metrics, Options options);

  // The whole exposition text (prom::kContentType). Thread-safe; concurrent scrapes each
  // do their own work. Blocks at most loop_timeout + plugin_timeout (+ scheduling).
  std::string Scrape();

 private:
  SnapshotFn snapshot_;
  HostMetrics* metrics_;
  Options options_;
};

// The families derived from plugin snapshots (state, generation, instances, cgroup memory
// and CPU, OOM kills, policy violations), appended to `out`. Exposed for tests.
void AppendSnapshotFamilies(const std::vector<PluginSnapshot>& plugins, size_t invalid_files,
                            std::vector<paddock::v1::MetricFamily>* out);

}  // namespace paddock::host
