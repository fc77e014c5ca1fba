// Plugin instance lifecycle (see instance.h).
#include "plugin-sdk/instance.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "grpcpp/health_check_service_interface.h"
#include "paddock/log.h"

namespace paddock::sdk {

Instance::Instance(Plugin& plugin, ContextImpl& ctx, const v1::PluginManifest& manifest,
                   InflightTracker& inflight, ShutdownSignal& shutdown)
    : plugin_(plugin), ctx_(ctx), manifest_(manifest), inflight_(inflight), shutdown_(shutdown) {}

absl::Status Instance::Start() {
  absl::MutexLock lock(&plugin_mu_);
  if (absl::Status st = plugin_.Init(ctx_); !st.ok()) {
    return absl::Status(st.code(), absl::StrCat("Init failed: ", st.message()));
  }
  std::shared_ptr<const ConfigSnapshot> initial = ctx_.config();
  if (absl::Status st = plugin_.Configure(*initial); !st.ok()) {
    return absl::Status(st.code(), absl::StrCat("initial config (version ", initial->version(),
                                                ") rejected: ", st.message()));
  }
  return absl::OkStatus();
}

void Instance::Serving(grpc::Server* server) {
  absl::MutexLock lock(&mu_);
  server_ = server;
  serving_since_ = absl::Now();
}

v1::DescribeResponse Instance::Describe() const {
  v1::DescribeResponse r;
  r.set_name(manifest_.name());
  r.set_version(manifest_.version());
  r.set_generation(ctx_.generation());
  r.set_config_version(ctx_.config()->version());
  {
    absl::MutexLock lock(&mu_);
    if (serving_since_ != absl::InfinitePast()) {
      r.set_uptime_seconds(absl::ToDoubleSeconds(absl::Now() - serving_since_));
    }
  }
  r.set_inflight_calls(inflight_.count());
  return r;
}

v1::ConfigureResponse Instance::Configure(const v1::ConfigSnapshot& proto) {
  v1::ConfigureResponse r;
  absl::MutexLock lock(&plugin_mu_);
  const uint64_t current = ctx_.config()->version();
  if (proto.version() < current) {
    r.set_error(absl::StrCat("version ", proto.version(), " is older than version ", current,
                             " in force; ignored"));
  } else if (proto.version() == current) {
    r.set_accepted(true);  // Already in force: a retried push.
  } else {
    std::shared_ptr<const ConfigSnapshot> next = MakeSnapshot(proto);
    if (absl::Status st = plugin_.Configure(*next); st.ok()) {
      ctx_.SetConfig(std::move(next));
      r.set_accepted(true);
      log::Info("config in force", {{"version", absl::StrCat(proto.version())}});
    } else {
      r.set_error(
          std::string(st.message().empty() ? absl::StatusCodeToString(st.code()) : st.message()));
      log::Warn("config rejected",
                {{"version", absl::StrCat(proto.version())}, {"error", r.error()}});
    }
  }
  r.set_version_in_force(ctx_.config()->version());
  return r;
}

uint64_t Instance::Drain(absl::Time deadline) {
  {
    absl::MutexLock lock(&mu_);
    if (server_ != nullptr && server_->GetHealthCheckService() != nullptr) {
      server_->GetHealthCheckService()->SetServingStatus(false);
    }
  }
  ctx_.SetDraining();
  {
    absl::MutexLock lock(&plugin_mu_);
    if (!drained_) {
      drained_ = true;
      log::Info("draining", {{"inflight", absl::StrCat(inflight_.count())}});
      plugin_.Drain();
    }
  }
  return inflight_.WaitIdle(deadline);
}

void Instance::FinalShutdown() {
  absl::MutexLock lock(&plugin_mu_);
  if (shut_down_) return;
  shut_down_ = true;
  plugin_.Shutdown();
}

v1::MetricsResponse Instance::Metrics() const {
  v1::MetricsResponse r;
  v1::MetricFamily* family = nullptr;
  for (MetricsRegistry::Sample& m : ctx_.metrics().Collect()) {  // Sorted by name.
    if (family == nullptr || family->name() != m.name) {
      family = r.add_families();
      family->set_name(m.name);
      family->set_help(m.help);
      family->set_kind(static_cast<v1::MetricFamily::Kind>(m.kind));
    }
    v1::MetricSample* s = family->add_samples();
    s->mutable_labels()->insert(m.labels.begin(), m.labels.end());
    if (m.kind == 2) {
      s->mutable_bucket_bounds()->Add(m.bounds.begin(), m.bounds.end());
      s->mutable_bucket_counts()->Add(m.cumulative.begin(), m.cumulative.end());
      s->set_sum(m.sum);
    } else {
      s->set_value(m.value);
    }
  }
  return r;
}

}  // namespace paddock::sdk
