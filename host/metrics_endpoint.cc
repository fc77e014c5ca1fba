#include "host/metrics_endpoint.h"

#include "absl/strings/str_cat.h"
#include "host/host_log.h"

namespace paddock::host {

std::unique_ptr<MetricsEndpoint> StartMetricsEndpoint(const paddock::v1::MetricsSettings& settings,
                                                      Supervisor* supervisor,
                                                      HostMetrics* metrics) {
  if (settings.disabled()) {
    HostLog(LogLevel::kInfo, "metrics: disabled (metrics.disabled)");
    return nullptr;
  }
  auto endpoint = std::make_unique<MetricsEndpoint>();
  MetricsCollector::Options options;
  options.plugin_timeout = absl::Milliseconds(settings.plugin_timeout_ms());
  endpoint->collector = std::make_unique<MetricsCollector>(
      [supervisor](absl::Duration timeout, size_t* invalid) {
        return supervisor->Snapshot(timeout, invalid);
      },
      metrics, options);
  MetricsCollector* collector = endpoint->collector.get();
  auto server =
      MetricsServer::Start(settings.listen(), [collector] { return collector->Scrape(); });
  if (!server.ok()) {
    HostLog(LogLevel::kError, absl::StrCat("metrics: cannot serve on ", settings.listen(), ": ",
                                           server.status().message(), "; running without metrics"));
    return nullptr;
  }
  endpoint->server = std::move(*server);
  HostLog(LogLevel::kInfo,
          absl::StrCat("metrics: http://", endpoint->server->address(), "/metrics"));
  return endpoint;
}

}  // namespace paddock::host
