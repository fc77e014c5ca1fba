// The log-aggregator plugin: wires Core to the SDK. Sockets "udp" and "tcp" come from the
// host (manifest sandbox.sockets), the data dir is /data, the config is LogAggregatorConfig.
#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "core.h"
#include "paddock/plugin.h"
#include "settings.h"

namespace {

using paddock::logagg::Core;
using paddock::logagg::Settings;
using paddock::logagg::v1::LogAggregatorConfig;

absl::StatusOr<Settings> Parse(const paddock::ConfigSnapshot& snapshot) {
  absl::StatusOr<LogAggregatorConfig> config = snapshot.As<LogAggregatorConfig>();
  if (!config.ok()) return config.status();
  return paddock::logagg::SettingsFromConfig(*config);
}

// A socket the host should have passed; missing ones are logged, not fatal (a host config
// may drop one transport).
paddock::UniqueFd Take(paddock::Context& ctx, const std::string& name) {
  absl::StatusOr<paddock::UniqueFd> fd = ctx.TakeSocket(name);
  if (!fd.ok()) {
    paddock::log::Warn("socket not passed by the host; transport disabled",
                       {{"socket", name}, {"error", std::string(fd.status().message())}});
    return paddock::UniqueFd();
  }
  return std::move(*fd);
}

class LogAggregator final : public paddock::Plugin {
 public:
  absl::Status Init(paddock::Context& ctx) override {
    if (ctx.data_dir().empty()) {
      return absl::FailedPreconditionError("log-aggregator needs a data dir (grant data_dir)");
    }
    absl::StatusOr<Settings> settings = Parse(*ctx.config());
    if (!settings.ok()) return settings.status();
    Core::Options o;
    o.data_dir = ctx.data_dir();
    o.udp = Take(ctx, "udp");
    o.tcp = Take(ctx, "tcp");
    o.settings = *settings;
    absl::StatusOr<std::unique_ptr<Core>> core = Core::Start(std::move(o));
    if (!core.ok()) return core.status();
    core_ = std::move(*core);
    start_settings_ = *settings;
    ctx.AddService(&core_->service());
    ExportMetrics(ctx.metrics(), core_->stats());
    return absl::OkStatus();
  }

  absl::Status Configure(const paddock::ConfigSnapshot& snapshot) override {
    absl::StatusOr<Settings> s = Parse(snapshot);
    if (!s.ok()) return s.status();
    if (s->ring_slots != start_settings_.ring_slots ||
        s->slot_bytes != start_settings_.slot_bytes ||
        s->large_ring_bytes != start_settings_.large_ring_bytes ||
        s->recv_batch != start_settings_.recv_batch ||
        s->max_message_bytes != start_settings_.max_message_bytes) {
      paddock::log::Info("ring settings changed; they apply to the next instance (reload)");
    }
    core_->SetSettings(*s);
    return absl::OkStatus();
  }

  void Drain() override { core_->Drain(); }
  void Shutdown() override { core_->Shutdown(); }

 private:
  // Exports the counters Core keeps (read at each scrape); the host names them
  // paddock_plugin_<name>{plugin="log-aggregator"}.
  void ExportMetrics(paddock::MetricsRegistry& r, const paddock::logagg::Stats& st) {
    using C = std::atomic<uint64_t>;
    auto counter = [&](const char* name, const char* help, const C& c,
                       paddock::MetricsRegistry::Labels labels = {}) {
      metrics_.push_back(r.AddCounterFunc(
          name, help, [&c] { return static_cast<double>(paddock::logagg::Get(c)); }, labels));
    };
    counter("records_received_total", "Log records received (UDP and TCP).", st.received);
    counter("received_bytes_total", "Bytes of log records received.", st.received_bytes);
    const char* kDropped = "Log records lost before reaching disk, by where.";
    counter("records_dropped_total", kDropped, st.kernel_drops, {{"reason", "kernel"}});
    counter("records_dropped_total", kDropped, st.ring_overflows, {{"reason", "ring_overflow"}});
    counter("records_dropped_total", kDropped, st.write_dropped, {{"reason", "write"}});
    counter("records_written_total", "Log records written to segments.", st.written);
    counter("written_bytes_total", "Bytes written to segments.", st.written_bytes);
    counter("records_truncated_total", "Records cut to max_message_bytes.", st.truncated);
    counter("tcp_connections_accepted_total", "TCP connections accepted.", st.tcp_accepted);
    counter("tcp_connections_shed_total", "TCP connections refused over the limit.", st.tcp_shed);
    counter("fsyncs_total", "fsync calls on segments.", st.fsyncs);
    counter("segments_rotated_total", "Segments closed and a new one started.",
            st.segments_rotated);
    counter("segments_deleted_total", "Segments deleted by retention.", st.segments_deleted);
    metrics_.push_back(r.AddGaugeFunc("tcp_connections", "TCP connections open.", [&st] {
      return static_cast<double>(st.tcp_connections.load(std::memory_order_relaxed));
    }));
    metrics_.push_back(r.AddGaugeFunc("disk_full", "1 while writes fail for lack of space.", [&st] {
      return st.disk_full.load(std::memory_order_relaxed) ? 1.0 : 0.0;
    }));
  }

  std::unique_ptr<Core> core_;
  Settings start_settings_;
  // After core_, so destroyed before it: the functions read core_'s stats.
  std::vector<paddock::MetricHandle> metrics_;
};

}  // namespace

PADDOCK_PLUGIN(LogAggregator)
