#include "host/host_metrics.h"

#include "absl/status/status.h"

namespace paddock::host {
namespace {

std::string CodeName(grpc::StatusCode code) {
  // gRPC and absl share the canonical numbering; absl names them ("OK", "UNAVAILABLE").
  return absl::StatusCodeToString(static_cast<absl::StatusCode>(code));
}

}  // namespace

const std::vector<double>& LatencyBuckets() {
  static const std::vector<double> kBuckets = {
      0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
  return kBuckets;
}

HostMetrics::HostMetrics() {
  // Families that exist before anything happens, so dashboards see zeros, not gaps.
  registry_.GetCounter("paddock_host_metrics_snapshot_timeouts_total",
                       "Scrapes that got no plugin list from the host's event loop in time.");
}

void HostMetrics::RestartScheduled(const std::string& plugin) {
  registry_
      .GetCounter("paddock_host_plugin_restarts_total",
                  "Restarts of a plugin after its instance crashed or failed health checks.",
                  {{"plugin", plugin}})
      .Increment();
}

void HostMetrics::CrashLoopParked(const std::string& plugin) {
  registry_
      .GetCounter("paddock_host_plugin_crash_loops_total",
                  "Times a plugin was parked as failed because it crashed too often.",
                  {{"plugin", plugin}})
      .Increment();
}

void HostMetrics::ReloadFinished(const std::string& plugin, bool succeeded, absl::Duration took) {
  const char* outcome = succeeded ? "succeeded" : "failed";
  registry_
      .GetCounter("paddock_host_plugin_reloads_total",
                  "Hot reloads of a plugin by outcome (succeeded: the new generation took over).",
                  {{"plugin", plugin}, {"outcome", outcome}})
      .Increment();
  registry_
      .GetHistogram("paddock_host_plugin_reload_duration_seconds",
                    "Time from a reload request until it settled.",
                    {0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}, {{"plugin", plugin}})
      .Observe(absl::ToDoubleSeconds(took));
}

void HostMetrics::HealthChecked(const std::string& plugin, bool healthy, absl::Duration took) {
  registry_
      .GetHistogram("paddock_host_plugin_health_check_duration_seconds",
                    "Latency of the host's grpc.health.v1 probes of a plugin.", LatencyBuckets(),
                    {{"plugin", plugin}})
      .Observe(absl::ToDoubleSeconds(took));
  if (!healthy) {
    registry_
        .GetCounter("paddock_host_plugin_health_check_failures_total",
                    "Health probes of a plugin that failed or did not answer SERVING.",
                    {{"plugin", plugin}})
        .Increment();
  }
}

void HostMetrics::PluginCall(const std::string& plugin, const std::string& method,
                             grpc::StatusCode code, absl::Duration took) {
  registry_
      .GetCounter(
          "paddock_host_rpc_requests_total",
          "Calls the host routed to a plugin (paddockctl call or another plugin's invoke), by "
          "method and gRPC status code.",
          {{"plugin", plugin}, {"method", method}, {"code", CodeName(code)}})
      .Increment();
  registry_
      .GetHistogram("paddock_host_rpc_duration_seconds",
                    "Latency of calls the host routed to a plugin (streams: until they ended).",
                    LatencyBuckets(), {{"plugin", plugin}, {"method", method}})
      .Observe(absl::ToDoubleSeconds(took));
}

void HostMetrics::InvokeDenied(const std::string& caller) {
  registry_
      .GetCounter("paddock_host_invoke_denied_total",
                  "Invokes of another plugin that the caller's invoke ACL refused.",
                  {{"caller", caller}})
      .Increment();
}

void HostMetrics::ControlRequest(const std::string& method, grpc::StatusCode code,
                                 absl::Duration took) {
  registry_
      .GetCounter("paddock_host_control_requests_total",
                  "Requests on the control socket, by method and gRPC status code.",
                  {{"method", method}, {"code", CodeName(code)}})
      .Increment();
  registry_
      .GetHistogram("paddock_host_control_request_duration_seconds",
                    "Latency of requests on the control socket (streams: until they ended).",
                    LatencyBuckets(), {{"method", method}})
      .Observe(absl::ToDoubleSeconds(took));
}

void HostMetrics::PluginSamplesRejected(const std::string& plugin, size_t n) {
  registry_
      .GetCounter("paddock_host_plugin_metrics_rejected_total",
                  "Metric families or samples a plugin reported that the host dropped "
                  "(invalid names, labels or values, or over the limits).",
                  {{"plugin", plugin}})
      .Increment(n);
}

void HostMetrics::SnapshotTimedOut() {
  registry_
      .GetCounter("paddock_host_metrics_snapshot_timeouts_total",
                  "Scrapes that got no plugin list from the host's event loop in time.")
      .Increment();
}

void HostMetrics::AppendFamilies(std::vector<paddock::v1::MetricFamily>* out) const {
  AppendRegistryFamilies(registry_, out);
}

void AppendRegistryFamilies(const MetricsRegistry& registry,
                            std::vector<paddock::v1::MetricFamily>* out) {
  paddock::v1::MetricFamily* family = nullptr;
  for (MetricsRegistry::Sample& m : registry.Collect()) {  // Sorted by name.
    if (family == nullptr || family->name() != m.name) {
      family = &out->emplace_back();
      family->set_name(m.name);
      family->set_help(m.help);
      family->set_kind(static_cast<paddock::v1::MetricFamily::Kind>(m.kind));
    }
    paddock::v1::MetricSample* s = family->add_samples();
    s->mutable_labels()->insert(m.labels.begin(), m.labels.end());
    if (m.kind == paddock::v1::MetricFamily::HISTOGRAM) {
      s->mutable_bucket_bounds()->Add(m.bounds.begin(), m.bounds.end());
      s->mutable_bucket_counts()->Add(m.cumulative.begin(), m.cumulative.end());
      s->set_sum(m.sum);
    } else {
      s->set_value(m.value);
    }
  }
}

}  // namespace paddock::host
