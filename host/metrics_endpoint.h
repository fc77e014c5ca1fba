// paddockd's metrics endpoint as one object: the collector and the HTTP server that
// answers with it, configured by HostConfig.metrics.
#pragma once

#include <memory>

#include "host/host_metrics.h"
#include "host/metrics_collector.h"
#include "host/metrics_server.h"
#include "host/supervisor.h"
#include "paddock/v1/host_config.pb.h"

namespace paddock::host {

struct MetricsEndpoint {
  std::unique_ptr<MetricsCollector> collector;
  std::unique_ptr<MetricsServer> server;  // Declared last: stops before the collector goes.
};

// Starts serving per `settings` and logs where ("metrics: http://127.0.0.1:9464/metrics").
// Returns null when metrics are disabled or the address cannot be bound: the host runs on
// without metrics, and the error is logged (plugins matter more than their figures).
// `supervisor` and `metrics` must outlive the endpoint.
std::unique_ptr<MetricsEndpoint> StartMetricsEndpoint(const paddock::v1::MetricsSettings& settings,
                                                      Supervisor* supervisor, HostMetrics* metrics);

}  // namespace paddock::host
