#include "host/metrics_collector.h"

#include <future>
#include <map>
#include <memory>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/time/clock.h"
#include "host/prom_text.h"
#include "paddock/v1/control.pb.h"

namespace paddock::host {
namespace {

using paddock::v1::MetricFamily;
using paddock::v1::PluginState;

// Builds families by name with a fixed kind and help; samples keep their insertion order.
class Families {
 public:
  explicit Families(std::vector<MetricFamily>* out) : out_(out) {}
  MetricFamily& Get(const std::string& name, MetricFamily::Kind kind, const std::string& help) {
    for (MetricFamily& f : *out_) {
      if (f.name() == name) return f;
    }
    MetricFamily& f = out_->emplace_back();
    f.set_name(name);
    f.set_kind(kind);
    f.set_help(help);
    return f;
  }
  void Add(const std::string& name, MetricFamily::Kind kind, const std::string& help,
           std::map<std::string, std::string> labels, double value) {
    auto* s = Get(name, kind, help).add_samples();
    s->mutable_labels()->insert(labels.begin(), labels.end());
    s->set_value(value);
  }

 private:
  std::vector<MetricFamily>* out_;
};

std::string StateLabel(PluginState s) {
  std::string name = paddock::v1::PluginState_Name(s);
  if (name.rfind("STATE_", 0) == 0) name = name.substr(6);
  return absl::AsciiStrToLower(name);
}

struct PluginScrape {
  std::string plugin;
  absl::StatusOr<paddock::v1::MetricsResponse> response;
  absl::Duration took;
};

}  // namespace

void AppendSnapshotFamilies(const std::vector<PluginSnapshot>& plugins, size_t invalid_files,
                            std::vector<MetricFamily>* out) {
  const auto kGauge = MetricFamily::GAUGE;
  const auto kCounter = MetricFamily::COUNTER;
  // Created even with no plugin, so the families are always there.
  std::vector<MetricFamily> local;
  Families f(&local);
  f.Add("paddock_host_invalid_plugin_files", kGauge,
        "Files in the plugin directories that are not valid plugins (see paddockctl list).", {},
        static_cast<double>(invalid_files));
  for (const PluginSnapshot& p : plugins) {
    const auto& i = p.info;
    const auto& c = i.confinement();
    const std::string& n = i.name();
    for (int s = paddock::v1::PluginState_MIN + 1; s <= paddock::v1::PluginState_MAX; ++s) {
      if (!paddock::v1::PluginState_IsValid(s)) continue;
      auto state = static_cast<PluginState>(s);
      f.Add("paddock_host_plugin_state", kGauge,
            "1 for the state the plugin is in, 0 for the others.",
            {{"plugin", n}, {"state", StateLabel(state)}}, i.state() == state ? 1 : 0);
    }
    f.Add("paddock_host_plugin_info", kGauge, "Version and binary of the plugin (always 1).",
          {{"plugin", n}, {"version", i.version()}, {"sha256", i.binary_sha256()}}, 1);
    f.Add("paddock_host_plugin_generation", kGauge,
          "Generation of the plugin's routed (or last) instance.", {{"plugin", n}},
          static_cast<double>(i.generation()));
    f.Add("paddock_host_plugin_live_instances", kGauge,
          "Instances of the plugin alive now (2 during a reload).", {{"plugin", n}},
          i.live_instances());
    f.Add("paddock_host_plugin_uptime_seconds", kGauge,
          "Seconds the plugin's current instance has been serving (0 when not serving).",
          {{"plugin", n}}, i.uptime_seconds());
    f.Add("paddock_host_plugin_oom_kills_total", kCounter,
          "Out-of-memory kills in the plugin's cgroups since the host started.", {{"plugin", n}},
          static_cast<double>(c.oom_kills()));
    for (const auto& v : c.violations()) {
      f.Add("paddock_host_plugin_policy_violations_total", kCounter,
            "System calls the plugin's seccomp policy refused, by syscall and action.",
            {{"plugin", n}, {"syscall", v.syscall()}, {"action", v.action()}},
            static_cast<double>(v.count()));
    }
    if (c.memory_limit_bytes() > 0) {
      f.Add("paddock_host_plugin_memory_limit_bytes", kGauge,
            "Memory limit of the plugin's cgroup.", {{"plugin", n}},
            static_cast<double>(c.memory_limit_bytes()));
    }
    if (c.cpu_limit_millis() > 0) {
      f.Add("paddock_host_plugin_cpu_limit_cpus", kGauge,
            "CPU quota of the plugin's cgroup, in CPUs.", {{"plugin", n}},
            c.cpu_limit_millis() / 1000.0);
    }
    if (c.cgroup_paths_size() > 0) {
      // Usage of the current instance's cgroup (a new instance starts from zero).
      f.Add("paddock_host_plugin_memory_bytes", kGauge,
            "Memory the plugin's current instance uses (its cgroup's usage).", {{"plugin", n}},
            static_cast<double>(c.memory_current_bytes()));
      f.Add("paddock_host_plugin_cpu_seconds_total", kCounter,
            "CPU time of the plugin's current instance (its cgroup's; restarts from 0 with "
            "each new instance).",
            {{"plugin", n}}, static_cast<double>(c.cpu_usage_ns()) / 1e9);
    }
  }
  for (MetricFamily& m : local) out->push_back(std::move(m));
}

MetricsCollector::MetricsCollector(SnapshotFn snapshot, HostMetrics* metrics, Options options)
    : snapshot_(std::move(snapshot)), metrics_(metrics), options_(std::move(options)) {}

std::string MetricsCollector::Scrape() {
  std::vector<MetricFamily> host;
  size_t invalid = 0;
  auto plugins = snapshot_(options_.loop_timeout, &invalid);
  if (!plugins.ok()) metrics_->SnapshotTimedOut();
  std::vector<PluginSnapshot> none;
  const std::vector<PluginSnapshot>& list = plugins.ok() ? *plugins : none;

  // Ask every serving plugin at once; each call carries its own deadline, so waiting for
  // all of them takes at most plugin_timeout.
  std::vector<std::future<PluginScrape>> calls;
  for (const PluginSnapshot& p : list) {
    if (p.client == nullptr) continue;
    calls.push_back(std::async(std::launch::async, [client = p.client, name = p.info.name(),
                                                    timeout = options_.plugin_timeout] {
      absl::Time start = absl::Now();
      PluginScrape r{name, client->Metrics(timeout), absl::ZeroDuration()};
      r.took = absl::Now() - start;
      return r;
    }));
  }

  AppendSnapshotFamilies(list, invalid, &host);
  FamilySet from_plugins;
  Families f(&host);
  for (auto& call : calls) {
    PluginScrape r = call.get();
    bool up = r.response.ok();
    if (up) {
      size_t dropped = ImportPluginMetrics(r.plugin, *r.response, options_.limits, &from_plugins);
      if (dropped > 0) metrics_->PluginSamplesRejected(r.plugin, dropped);
    }
    f.Add("paddock_host_plugin_metrics_up", MetricFamily::GAUGE,
          "1 when the plugin answered this scrape's Metrics call in time, 0 otherwise.",
          {{"plugin", r.plugin}}, up ? 1 : 0);
    f.Add("paddock_host_plugin_metrics_scrape_duration_seconds", MetricFamily::GAUGE,
          "How long the plugin took to answer this scrape's Metrics call.", {{"plugin", r.plugin}},
          absl::ToDoubleSeconds(r.took));
  }
  // After the scrapes, so this answer already counts what they rejected.
  metrics_->AppendFamilies(&host);

  std::string text;
  text.reserve(64 << 10);
  prom::Render(host, &text);
  prom::Render(from_plugins.Take(), &text);
  return text;
}

}  // namespace paddock::host
