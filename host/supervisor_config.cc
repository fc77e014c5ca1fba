// The config engine: the host config file is re-read when its directory changes; a valid
// change takes effect (host settings, grants for the next start, disabled flags) and each
// plugin whose section changed gets the new snapshot; an invalid one is rejected with the
// reason and the config in force stays.
#include <sys/inotify.h>

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "host/host_log.h"
#include "host/supervisor.h"
#include "host/supervisor_slot.h"

namespace paddock::host {
namespace {

constexpr absl::Duration kConfigureTimeout = absl::Seconds(5);
constexpr absl::Duration kConfigSettle = absl::Milliseconds(5);

}  // namespace

absl::Status Supervisor::ValidateChange(const paddock::v1::HostConfig& next) const {
  const auto& cur = config_.config;
  auto fixed = [](const char* field, const std::string& a, const std::string& b) {
    return a == b ? absl::OkStatus()
                  : absl::FailedPreconditionError(absl::StrCat(
                        field, " cannot change while paddockd runs (restart it to apply)"));
  };
  for (auto st :
       {fixed("control_socket", cur.control_socket(), next.control_socket()),
        fixed("runtime_dir", cur.runtime_dir(), next.runtime_dir()),
        fixed("data_dir", cur.data_dir(), next.data_dir()),
        fixed("sandbox", cur.sandbox().SerializeAsString(), next.sandbox().SerializeAsString()),
        fixed("metrics", cur.metrics().SerializeAsString(), next.metrics().SerializeAsString())}) {
    if (!st.ok()) return st;
  }
  for (const auto& [name, slot] : slots_) {
    if (!slot->refusal.empty()) continue;
    bool running = slot->active || slot->next || !slot->retiring.empty();
    auto sandbox = ResolveGrant(slot->image->manifest(), next);
    if (!sandbox.ok()) {
      if (!running) continue;  // It just will not start again; that is allowed.
      return absl::FailedPreconditionError(absl::StrCat(
          "plugins.\"", name, "\": ", sandbox.status().message(), " (the plugin is running)"));
    }
    for (const ResolvedSocket& s : sandbox->sockets) {
      auto held = slot->socket_address.find(s.request.name());
      if (held == slot->socket_address.end() || held->second == s.address) continue;
      return absl::FailedPreconditionError(
          absl::StrCat("plugins.\"", name, "\".sockets.", s.request.name(), ": the host holds ",
                       slot->socket_desc.at(s.request.name()), " (", held->second, "), not ",
                       s.address, "; a held socket cannot move while the plugin runs"));
    }
  }
  return absl::OkStatus();
}

void Supervisor::OnConfigDirChanged(const std::string& name, uint32_t mask) {
  // Only the config file itself, a ConfigMap's "..data" swap, or lost events matter; the
  // directory may hold busy files (logs, sockets) whose events must not cost a re-read.
  std::string base = std::filesystem::path(deps_.config_path).filename().string();
  if (!name.empty() && name != base && name.rfind("..", 0) != 0) return;
  if (config_timer_ != 0) deps_.loop->Cancel(config_timer_);
  config_timer_ = 0;
  // A rename onto the name (an editor's or the kubelet's final step) or a writer closing the
  // file means its content is complete: judge it now. Other events (a write still going on,
  // a new link, a deletion) come in bursts: judge once the burst settles. Bytes already
  // judged are not judged twice, so acting on both is harmless.
  if (!name.empty() && (mask & (IN_MOVED_TO | IN_CLOSE_WRITE)) != 0) {
    OnConfigChanged();
    return;
  }
  config_timer_ = deps_.loop->RunAfter(kConfigSettle, [this] {
    config_timer_ = 0;
    OnConfigChanged();
  });
}

void Supervisor::OnConfigChanged() {
  if (deps_.config_path.empty() || shutting_down_) return;
  auto loaded = LoadHostConfigFile(deps_.config_path);
  if (loaded.ok()) {
    // Bytes already judged (in force, or rejected before) need no second look.
    if (loaded->sha256_hex == config_.sha256_hex || loaded->sha256_hex == config_rejected_sha_) {
      return;
    }
    config_rejected_sha_.clear();
  }
  absl::Status st = loaded.status();
  if (st.ok()) {
    if (deps_.finish_config) deps_.finish_config(&loaded->config);
    st = ValidateChange(loaded->config);
  }
  if (!st.ok()) {
    if (loaded.ok()) config_rejected_sha_ = loaded->sha256_hex;
    if (config_last_error_ == st.message()) return;  // Same verdict: said once already.
    config_last_error_ = std::string(st.message());
    HostLog(LogLevel::kError, absl::StrCat("config change rejected, version ", config_version_,
                                           " stays in force: ", st.message()));
    return;
  }
  ApplyConfig(std::move(*loaded));
}

void Supervisor::ApplyConfig(LoadedConfig next) {
  LoadedConfig old = std::move(config_);
  config_ = std::move(next);
  ++config_version_;
  config_last_error_.clear();
  SetHostLogLevel(ParseLogLevel(config_.config.log_level()));
  if (deps_.on_config_applied) deps_.on_config_applied(config_.config);
  HostLog(LogLevel::kInfo, absl::StrCat("config version ", config_version_, " in force (sha256 ",
                                        config_.sha256_hex.substr(0, 12), ")"));
  bool restart_policy_changed =
      old.config.restart().SerializeAsString() != config_.config.restart().SerializeAsString();
  for (auto& [name, slot] : slots_) {
    if (restart_policy_changed) {
      slot->restarts = std::make_unique<RestartTracker>(config_.config.restart());
    }
    // Grants apply from the next start of each instance.
    auto sandbox = ResolveGrant(slot->image->manifest(), config_.config);
    if (sandbox.ok()) {
      slot->sandbox = std::move(*sandbox);
      if (!slot->refusal.empty() && OpenSockets(*slot, *slot->sandbox).ok()) {
        slot->refusal.clear();
        slot->error.clear();
      }
    } else if (!slot->active) {
      slot->refusal = std::string(sandbox.status().message());
      slot->error = slot->refusal;
    }
    auto settings = config_.config.plugins().find(name);
    bool disabled = settings != config_.config.plugins().end() && settings->second.disabled();
    if (disabled && slot->wanted) {
      StopSlot(*slot);
      continue;
    }
    if (!disabled && !slot->wanted && !slot->active && slot->refusal.empty() && !slot->parked) {
      slot->wanted = true;
      StartInstance(*slot);
      continue;
    }
    if (PluginConfigJson(old.config, name) != PluginConfigJson(config_.config, name)) {
      PushConfig(*slot);
    }
  }
  if (std::vector<std::string>(old.config.plugin_dirs().begin(), old.config.plugin_dirs().end()) !=
      std::vector<std::string>(config_.config.plugin_dirs().begin(),
                               config_.config.plugin_dirs().end())) {
    if (plugin_watch_) {
      plugin_watch_->Clear();
      for (const auto& dir : config_.config.plugin_dirs()) (void)plugin_watch_->Add(dir);
    }
    Reconcile(Scan(), config_.config.reload().mode() == paddock::v1::ReloadPolicy::AUTO, nullptr);
  }
}

void Supervisor::PushConfig(Slot& slot) {
  Instance* inst = slot.active.get();
  if (inst == nullptr || !inst->client || inst->phase != InstancePhase::kServing) return;
  paddock::v1::ConfigSnapshot snap = SnapshotFor(slot.name);
  std::shared_ptr<PluginClient> client = inst->client;
  Instance* key = inst;
  deps_.workers->Run([this, &slot, key, client, snap] {
    auto r = client->Configure(snap, kConfigureTimeout);
    deps_.loop->Post([this, &slot, key, snap, r] {
      Instance* i = FindInstance(slot, key);
      if (i == nullptr) return;
      if (!r.ok()) {
        HostLog(LogLevel::kWarn, absl::StrCat(slot.name, ": pushing config version ",
                                              snap.version(), " failed: ", r.status().message()));
        return;
      }
      if (!r->accepted()) {
        slot.error = absl::StrCat("config version ", snap.version(),
                                  " rejected by the plugin: ", r->error());
        HostLog(LogLevel::kWarn, absl::StrCat(slot.name, ": ", slot.error));
        return;
      }
      i->config_version = r->version_in_force();
      if (i == slot.active.get()) slot.config_version_in_force = r->version_in_force();
      if (slot.error.rfind("config version ", 0) == 0) slot.error.clear();
    });
  });
}

}  // namespace paddock::host
