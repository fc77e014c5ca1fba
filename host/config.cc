#include "host/config.h"

#include <filesystem>

#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "host/config_validate.h"
#include "host/file_util.h"
#include "host/json.h"
#include "host/json_proto.h"
#include "host/sha256.h"
#include "host/string_view_compat.h"

namespace paddock::host {
namespace {

using paddock::v1::Grant;
using paddock::v1::HostConfig;

// Sets a scalar proto field to `value` when it holds 0 / "" (proto3: "use the default").
#define PADDOCK_DEFAULT(msg, field, value) \
  if ((msg)->field() == decltype((msg)->field()){}) (msg)->set_##field(value)

void FillGrantDefaults(Grant* g) {
  PADDOCK_DEFAULT(g, max_memory_bytes, 256ull << 20);
  PADDOCK_DEFAULT(g, max_cpu_millis, 1000u);
  PADDOCK_DEFAULT(g, max_pids, 64u);
}

void FillDefaults(HostConfig* c, bool jitter_given) {
  if (c->plugin_dirs().empty()) c->add_plugin_dirs("$ORIGIN/../lib/paddock/plugins");
  PADDOCK_DEFAULT(c, control_socket, "/run/paddock/paddockd.sock");
  PADDOCK_DEFAULT(c, runtime_dir, "/run/paddock/instances");
  PADDOCK_DEFAULT(c, data_dir, "/var/lib/paddock");
  FillGrantDefaults(c->mutable_default_grant());

  auto* r = c->mutable_restart();
  PADDOCK_DEFAULT(r, initial_backoff_ms, 100u);
  PADDOCK_DEFAULT(r, max_backoff_ms, 30000u);
  PADDOCK_DEFAULT(r, multiplier, 2.0);
  if (!jitter_given) r->set_jitter(0.5);
  PADDOCK_DEFAULT(r, crash_loop_count, 5u);
  PADDOCK_DEFAULT(r, crash_loop_window_ms, 60000u);

  auto* h = c->mutable_health();
  PADDOCK_DEFAULT(h, interval_ms, 2000u);
  PADDOCK_DEFAULT(h, timeout_ms, 1000u);
  PADDOCK_DEFAULT(h, failure_threshold, 3u);
  PADDOCK_DEFAULT(h, start_timeout_ms, 10000u);

  auto* rl = c->mutable_reload();
  PADDOCK_DEFAULT(rl, ready_deadline_ms, 10000u);
  PADDOCK_DEFAULT(rl, drain_ms, 5000u);
  PADDOCK_DEFAULT(rl, settle_ms, 300u);
  PADDOCK_DEFAULT(rl, soak_ms, 500u);

  PADDOCK_DEFAULT(c, shutdown_grace_ms, 3000u);
  PADDOCK_DEFAULT(c, log_ring_bytes, 1u << 20);

  for (auto& [name, settings] : *c->mutable_plugins()) {
    if (settings.has_grant()) FillGrantDefaults(settings.mutable_grant());
  }

  auto* s = c->mutable_sandbox();
  PADDOCK_DEFAULT(s, uid_base, 600000u);
  PADDOCK_DEFAULT(s, uid_count, 65536u);
  PADDOCK_DEFAULT(s, cgroup_name, "paddock");
  PADDOCK_DEFAULT(c, log_level, "info");
  auto* m = c->mutable_metrics();
  PADDOCK_DEFAULT(m, listen, "127.0.0.1:9464");
  PADDOCK_DEFAULT(m, plugin_timeout_ms, 500u);
}

#undef PADDOCK_DEFAULT

// True when the document sets restart.jitter explicitly (see config.h).
bool JitterGiven(const json::Value& root) {
  const json::Value* restart = root.Find("restart");
  if (restart == nullptr) return false;
  const json::Value* jitter = restart->Find("jitter");
  return jitter != nullptr && jitter->kind != json::Value::Kind::kNull;
}

void ExpandOne(std::string* path, std::string_view exe_dir) {
  for (absl::string_view token : {"$ORIGIN", "${ORIGIN}"}) {
    if (!absl::StartsWith(*path, token)) continue;
    const absl::string_view rest = absl::string_view(*path).substr(token.size());
    if (!rest.empty() && rest[0] != '/') continue;
    // "/usr/bin/../lib/x" reads better as "/usr/lib/x" in list and status.
    *path = std::filesystem::path(absl::StrCat(ToAbsl(exe_dir), rest)).lexically_normal();
    return;
  }
}

}  // namespace

absl::StatusOr<HostConfig> ParseHostConfig(std::string_view json) {
  absl::StatusOr<json::Value> root = json::Parse(json);
  if (!root.ok()) return root.status();
  if (root->kind != json::Value::Kind::kObject) {
    return absl::InvalidArgumentError(absl::StrCat("the host config must be a JSON object, got ",
                                                   ToAbsl(root->KindName()), " (", root->Where(),
                                                   ")"));
  }
  HostConfig config;
  if (absl::Status s = JsonToMessage(*root, &config); !s.ok()) return s;
  FillDefaults(&config, JitterGiven(*root));
  if (absl::Status s = ValidateHostConfig(config); !s.ok()) return s;
  return config;
}

absl::StatusOr<LoadedConfig> LoadHostConfigFile(const std::string& path) {
  absl::StatusOr<std::string> bytes = ReadRegularFile(path, kMaxConfigFileBytes);
  if (!bytes.ok()) return bytes.status();
  absl::StatusOr<HostConfig> config = ParseHostConfig(*bytes);
  if (!config.ok()) {
    return absl::Status(config.status().code(),
                        absl::StrCat(path, ": ", config.status().message()));
  }
  return LoadedConfig{std::move(*config), path, Sha256Hex(*bytes)};
}

absl::StatusOr<LoadedConfig> LoadEmbeddedDefaultConfig() {
  const std::string_view bytes = EmbeddedDefaultConfigJson();
  absl::StatusOr<HostConfig> config = ParseHostConfig(bytes);
  if (!config.ok()) {
    return absl::InternalError(
        absl::StrCat("embedded default config: ", config.status().message()));
  }
  return LoadedConfig{std::move(*config), "embedded default", Sha256Hex(bytes)};
}

void ExpandOrigin(HostConfig* config, std::string_view exe_dir) {
  for (std::string& dir : *config->mutable_plugin_dirs()) ExpandOne(&dir, exe_dir);
  ExpandOne(config->mutable_control_socket(), exe_dir);
  ExpandOne(config->mutable_runtime_dir(), exe_dir);
  ExpandOne(config->mutable_data_dir(), exe_dir);
  // Signature settings: keys of `dirs` are spelled like plugin_dirs, so they expand alike.
  auto* sig = config->mutable_signatures();
  for (std::string& key : *sig->mutable_trusted_keys()) ExpandOne(&key, exe_dir);
  const std::vector<std::pair<std::string, paddock::v1::SignatureSettings::Policy>> dirs(
      sig->dirs().begin(), sig->dirs().end());
  sig->clear_dirs();
  for (const auto& [dir, policy] : dirs) {
    std::string expanded = dir;
    ExpandOne(&expanded, exe_dir);
    (*sig->mutable_dirs())[expanded] = policy;
  }
}

std::string ConfigToJson(const HostConfig& config) {
  return json::Serialize(MessageToJson(config), 2) + "\n";
}

std::string PluginConfigJson(const HostConfig& config, std::string_view name) {
  const auto it = config.plugins().find(std::string(name));
  if (it == config.plugins().end() || !it->second.has_config()) return "{}";
  return json::Serialize(MessageToJson(it->second.config()));
}

}  // namespace paddock::host
