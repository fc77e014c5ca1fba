// The host configuration (proto paddock.v1.HostConfig, written as JSON): strict parsing,
// defaults, range checks, loading from a file or from the embedded default.
//
// Defaults: every numeric field that is 0 (absent) takes the default named in
// host_config.proto. One exception, because 0 is a meaningful value there:
// restart.jitter takes its default (0.5) only when the key is absent; an explicit
// "jitter": 0 means no jitter. A plugin's grant gets the Grant defaults filled in when
// the plugin has a "grant" section at all.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "paddock/v1/host_config.pb.h"

namespace paddock::host {

// Largest config file the host reads.
inline constexpr size_t kMaxConfigFileBytes = 1 << 20;

// The contents of host/default_config.json, compiled into the binary by the build.
std::string_view EmbeddedDefaultConfigJson();

// Parses `json` strictly (unknown fields, duplicate keys and type mismatches are errors),
// fills defaults, and validates ranges and names. Returns InvalidArgument naming the field
// path and the reason, e.g. "restart.jitter: must be in [0, 1], got 1.5"; JSON syntax
// errors name the line and column.
absl::StatusOr<paddock::v1::HostConfig> ParseHostConfig(std::string_view json);

// A parsed config and where it came from.
struct LoadedConfig {
  paddock::v1::HostConfig config;  // Defaults filled, validated, $ORIGIN not yet expanded.
  std::string source;              // The file path, or "embedded default".
  std::string sha256_hex;          // SHA-256 of the source bytes.
};

// Reads the regular file at `path` (at most kMaxConfigFileBytes) and parses it. Errors
// start with the path: "/etc/paddock.json: line 3, column 7: ...".
absl::StatusOr<LoadedConfig> LoadHostConfigFile(const std::string& path);

// Parses EmbeddedDefaultConfigJson(); source is "embedded default".
absl::StatusOr<LoadedConfig> LoadEmbeddedDefaultConfig();

// Replaces a leading "$ORIGIN" or "${ORIGIN}" (followed by "/" or the end) with `exe_dir`
// in plugin_dirs, control_socket, runtime_dir and data_dir. Other occurrences stay as they
// are. Call it once, after parsing, with the directory of the paddockd executable.
void ExpandOrigin(paddock::v1::HostConfig* config, std::string_view exe_dir);

// The config as pretty JSON (2-space indent), every field shown with its effective value,
// map keys sorted. ParseHostConfig(ConfigToJson(c)) gives back c.
std::string ConfigToJson(const paddock::v1::HostConfig& config);

// The "config" section of plugin `name` as a compact JSON object ("{}" when the plugin
// has no settings or no config): what goes into the plugin's ConfigSnapshot.json.
std::string PluginConfigJson(const paddock::v1::HostConfig& config, std::string_view name);

}  // namespace paddock::host
