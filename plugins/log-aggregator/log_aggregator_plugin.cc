// The log-aggregator plugin: wires Core to the SDK. Sockets "udp" and "tcp" come from the
// host (manifest sandbox.sockets), the data dir is /data, the config is LogAggregatorConfig.
#include <memory>
#include <string>

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
  std::unique_ptr<Core> core_;
  Settings start_settings_;
};

}  // namespace

PADDOCK_PLUGIN(LogAggregator)
