// What the host itself counts as it runs: restarts, reloads, health checks, calls it routes
// to plugins, control-socket requests and scrapes of plugin metrics. Every family is named
// paddock_host_* (plugin-reported metrics are paddock_plugin_*, so the two never collide).
// Thread-safe: recorded from the loop, worker and gRPC threads, read by scrapes.
#pragma once

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "grpcpp/support/status.h"
#include "paddock/metrics.h"
#include "paddock/v1/lifecycle.pb.h"

namespace paddock::host {

class HostMetrics {
 public:
  HostMetrics();

  // A crashed or unhealthy instance of `plugin` is going to be restarted after a backoff.
  void RestartScheduled(const std::string& plugin);
  // `plugin` crashed too often and is parked.
  void CrashLoopParked(const std::string& plugin);
  // A hot reload of `plugin` finished (the new generation took over, or not).
  void ReloadFinished(const std::string& plugin, bool succeeded, absl::Duration took);
  // One grpc.health.v1 probe of `plugin` answered (or failed) after `took`.
  void HealthChecked(const std::string& plugin, bool healthy, absl::Duration took);
  // One call the host routed to `plugin` ended; `method` is "/pkg.Service/Method", known to
  // the plugin's catalog (so the label set stays bounded).
  void PluginCall(const std::string& plugin, const std::string& method, grpc::StatusCode code,
                  absl::Duration took);
  // `caller`'s invoke of another plugin was refused by its invoke ACL (a policy violation;
  // `caller` comes from a verified certificate, so the label set stays bounded).
  void InvokeDenied(const std::string& caller);
  // One request on the control socket ended; `method` is a paddock.v1.Control method.
  void ControlRequest(const std::string& method, grpc::StatusCode code, absl::Duration took);
  // A scrape dropped `n` families or samples `plugin` reported (invalid or over limits).
  void PluginSamplesRejected(const std::string& plugin, size_t n);
  // A scrape could not get the plugin list from the event loop in time.
  void SnapshotTimedOut();

  // Appends every family, sorted by name, to `out`.
  void AppendFamilies(std::vector<paddock::v1::MetricFamily>* out) const;

 private:
  MetricsRegistry registry_;
};

// Converts `registry`'s metrics into families (one per name, samples in label order).
void AppendRegistryFamilies(const MetricsRegistry& registry,
                            std::vector<paddock::v1::MetricFamily>* out);

// Bucket bounds in seconds for host-side latencies, 0.25 ms .. 10 s.
const std::vector<double>& LatencyBuckets();

}  // namespace paddock::host
