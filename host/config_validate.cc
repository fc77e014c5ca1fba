#include "host/config_validate.h"

#include <algorithm>

#include <cstdint>
#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "host/json.h"
#include "host/names.h"
#include "host/socket_address.h"
#include "host/string_view_compat.h"

namespace paddock::host {
namespace {

using paddock::v1::HostConfig;

constexpr uint32_t kMaxMillis = 3'600'000;  // One hour: longer timeouts are mistakes.
constexpr size_t kMaxPathBytes = 4095;
constexpr size_t kMaxUnixPathBytes = 107;  // sizeof(sockaddr_un::sun_path) - 1.

std::string Quoted(absl::string_view s) {
  std::string out;
  json::AppendQuoted(ToStd(s), &out);
  return out;
}

absl::Status Bad(absl::string_view path, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(path, ": ", why));
}

template <typename T>
absl::Status InRange(absl::string_view path, T value, T lo, T hi) {
  if (value >= lo && value <= hi) return absl::OkStatus();
  return Bad(path, absl::StrCat("must be in [", lo, ", ", hi, "], got ", value));
}

absl::Status Millis(absl::string_view path, uint32_t value) {
  return InRange<uint32_t>(path, value, 1, kMaxMillis);
}

// A path the host creates or scans: absolute, or relative to the executable ($ORIGIN).
absl::Status HostPath(absl::string_view path, absl::string_view value) {
  if (value.empty()) return Bad(path, "must not be empty");
  if (value.find('\0') != absl::string_view::npos) return Bad(path, "must not contain NUL");
  if (value.size() > kMaxPathBytes) {
    return Bad(path, absl::StrCat("is ", value.size(), " bytes, the limit is ", kMaxPathBytes));
  }
  const bool origin = absl::StartsWith(value, "$ORIGIN") || absl::StartsWith(value, "${ORIGIN}");
  if (value[0] != '/' && !origin) {
    return Bad(path,
               absl::StrCat("must be an absolute path or start with $ORIGIN, got ", Quoted(value)));
  }
  return absl::OkStatus();
}

template <typename List>
absl::Status UniqueNames(absl::string_view path, const List& names, bool (*valid)(std::string_view),
                         absl::string_view rule) {
  absl::flat_hash_set<std::string> seen;
  for (int i = 0; i < names.size(); ++i) {
    const std::string item = absl::StrCat(path, "[", i, "]");
    if (!valid(names[i])) return Bad(item, absl::StrCat(Quoted(names[i]), " ", rule));
    if (!seen.insert(names[i]).second)
      return Bad(item, absl::StrCat(Quoted(names[i]), " is listed twice"));
  }
  return absl::OkStatus();
}

bool IsKnownCapability(std::string_view name) { return CapabilityNumber(name).has_value(); }

// "plugin/Method", "plugin/pkg.Service/Method" or "plugin/*".
absl::Status ValidateInvoke(absl::string_view path, absl::string_view entry) {
  const size_t slash = entry.find('/');
  const absl::string_view plugin = entry.substr(0, slash);
  if (slash == absl::string_view::npos || !IsValidPluginName(ToStd(plugin))) {
    return Bad(path, absl::StrCat(Quoted(entry),
                                  " must be \"<plugin>/<Method>\" or \"<plugin>/*\" with a valid "
                                  "plugin name"));
  }
  const absl::string_view method = entry.substr(slash + 1);
  if (method == "*") return absl::OkStatus();
  bool ok = !method.empty() && method.size() <= kMaxNameBytes && method.front() != '/' &&
            method.back() != '/';
  for (char c : method) {
    ok = ok &&
         (absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '/');
  }
  if (!ok) return Bad(path, absl::StrCat(Quoted(entry), ": method must be \"*\" or a method name"));
  return absl::OkStatus();
}

absl::Status ValidatePlugin(absl::string_view path, const paddock::v1::PluginSettings& s) {
  if (s.has_grant()) {
    if (absl::Status st = ValidateGrant(s.grant(), absl::StrCat(path, ".grant")); !st.ok()) {
      return st;
    }
  }
  for (const auto& [name, address] : s.sockets()) {
    const std::string item = absl::StrCat(path, ".sockets.", Quoted(name));
    if (!IsValidSocketName(name)) return Bad(item, "socket name must match [a-z][a-z0-9_-]{0,31}");
    if (absl::StatusOr<SocketAddress> a = ParseSocketAddress(address); !a.ok()) {
      return Bad(item, a.status().message());
    }
  }
  for (int i = 0; i < s.invoke_size(); ++i) {
    if (absl::Status st = ValidateInvoke(absl::StrCat(path, ".invoke[", i, "]"), s.invoke(i));
        !st.ok()) {
      return st;
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateRestart(const paddock::v1::RestartPolicy& r) {
  if (absl::Status s = Millis("restart.initial_backoff_ms", r.initial_backoff_ms()); !s.ok())
    return s;
  if (absl::Status s = Millis("restart.max_backoff_ms", r.max_backoff_ms()); !s.ok()) return s;
  if (r.max_backoff_ms() < r.initial_backoff_ms()) {
    return Bad("restart.max_backoff_ms",
               absl::StrCat("must be at least restart.initial_backoff_ms (", r.initial_backoff_ms(),
                            "), got ", r.max_backoff_ms()));
  }
  // NaN fails both comparisons, so it is refused too.
  if (absl::Status s = InRange("restart.multiplier", r.multiplier(), 1.0, 100.0); !s.ok()) return s;
  if (absl::Status s = InRange("restart.jitter", r.jitter(), 0.0, 1.0); !s.ok()) return s;
  if (absl::Status s = InRange<uint32_t>("restart.crash_loop_count", r.crash_loop_count(), 1, 1000);
      !s.ok()) {
    return s;
  }
  return InRange<uint32_t>("restart.crash_loop_window_ms", r.crash_loop_window_ms(), 1,
                           24 * kMaxMillis);
}

}  // namespace

absl::Status ValidateGrant(const paddock::v1::Grant& g, std::string_view path) {
  const std::string p(path.data(), path.size());
  if (absl::Status s =
          InRange<uint64_t>(p + ".max_memory_bytes", g.max_memory_bytes(), 4ull << 20, 1ull << 50);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = InRange<uint32_t>(p + ".max_cpu_millis", g.max_cpu_millis(), 10, 1'024'000);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = InRange<uint32_t>(p + ".max_pids", g.max_pids(), 1, 4'194'304); !s.ok()) {
    return s;
  }
  if (absl::Status s =
          UniqueNames(p + ".capabilities", g.capabilities(), &IsKnownCapability,
                      "is not a known capability (CAP_CHOWN ... CAP_CHECKPOINT_RESTORE)");
      !s.ok()) {
    return s;
  }
  return UniqueNames(p + ".syscall_groups", g.syscall_groups(), &IsValidSyscallGroupName,
                     "is not a valid syscall group name ([a-z0-9_-]{1,64})");
}

// signatures: per-directory keys name a plugin_dirs entry; key paths like plugin_dirs.
absl::Status ValidateSignatures(const HostConfig& c) {
  const auto& sig = c.signatures();
  for (const auto& [dir, policy] : sig.dirs()) {
    const std::string path = absl::StrCat("signatures.dirs.", Quoted(dir));
    if (std::find(c.plugin_dirs().begin(), c.plugin_dirs().end(), dir) == c.plugin_dirs().end()) {
      return Bad(path, "is not one of plugin_dirs (write the directory exactly as there)");
    }
  }
  for (int i = 0; i < sig.trusted_keys_size(); ++i) {
    if (absl::Status s =
            HostPath(absl::StrCat("signatures.trusted_keys[", i, "]"), sig.trusted_keys(i));
        !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateHostConfig(const HostConfig& c) {
  if (c.plugin_dirs().empty()) return Bad("plugin_dirs", "must name at least one directory");
  for (int i = 0; i < c.plugin_dirs_size(); ++i) {
    if (absl::Status s = HostPath(absl::StrCat("plugin_dirs[", i, "]"), c.plugin_dirs(i));
        !s.ok()) {
      return s;
    }
  }
  if (absl::Status s = HostPath("control_socket", c.control_socket()); !s.ok()) return s;
  if (c.control_socket()[0] == '/' && c.control_socket().size() > kMaxUnixPathBytes) {
    return Bad("control_socket",
               absl::StrCat("is ", c.control_socket().size(),
                            " bytes, a unix socket path may have at most ", kMaxUnixPathBytes));
  }
  if (absl::Status s = HostPath("runtime_dir", c.runtime_dir()); !s.ok()) return s;
  if (absl::Status s = HostPath("data_dir", c.data_dir()); !s.ok()) return s;
  if (absl::Status s = ValidateSignatures(c); !s.ok()) return s;
  if (absl::Status s = ValidateGrant(c.default_grant(), "default_grant"); !s.ok()) return s;
  if (absl::Status s = ValidateRestart(c.restart()); !s.ok()) return s;

  const auto& h = c.health();
  if (absl::Status s = Millis("health.interval_ms", h.interval_ms()); !s.ok()) return s;
  if (absl::Status s = Millis("health.timeout_ms", h.timeout_ms()); !s.ok()) return s;
  if (absl::Status s =
          InRange<uint32_t>("health.failure_threshold", h.failure_threshold(), 1, 1000);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = Millis("health.start_timeout_ms", h.start_timeout_ms()); !s.ok()) return s;

  const auto& rl = c.reload();
  if (absl::Status s = Millis("reload.ready_deadline_ms", rl.ready_deadline_ms()); !s.ok())
    return s;
  if (absl::Status s = Millis("reload.drain_ms", rl.drain_ms()); !s.ok()) return s;
  if (absl::Status s = Millis("reload.settle_ms", rl.settle_ms()); !s.ok()) return s;
  if (absl::Status s = Millis("reload.soak_ms", rl.soak_ms()); !s.ok()) return s;
  if (absl::Status s = Millis("shutdown_grace_ms", c.shutdown_grace_ms()); !s.ok()) return s;
  if (absl::Status s =
          InRange<uint32_t>("log_ring_bytes", c.log_ring_bytes(), 64u << 10, 256u << 20);
      !s.ok()) {
    return s;
  }

  for (const auto& [name, settings] : c.plugins()) {
    const std::string path = absl::StrCat("plugins.", Quoted(name));
    if (!IsValidPluginName(name)) return Bad(path, "plugin name must match [a-z][a-z0-9-]{0,62}");
    if (absl::Status s = ValidatePlugin(path, settings); !s.ok()) return s;
  }

  const auto& sb = c.sandbox();
  if (sb.uid_count() == 0 ||
      static_cast<uint64_t>(sb.uid_base()) + sb.uid_count() - 1 >= 0xFFFFFFFFull) {
    return Bad("sandbox.uid_count",
               absl::StrCat("uid_base + uid_count must stay below 4294967295, got ", sb.uid_base(),
                            " + ", sb.uid_count()));
  }
  const std::string& cg = sb.cgroup_name();
  bool cg_ok = !cg.empty() && cg.size() <= 64 && cg[0] != '.';
  for (char ch : cg) {
    cg_ok = cg_ok && (absl::ascii_isalnum(static_cast<unsigned char>(ch)) || ch == '_' ||
                      ch == '-' || ch == '.');
  }
  if (!cg_ok) {
    return Bad("sandbox.cgroup_name",
               absl::StrCat("must match [A-Za-z0-9_-][A-Za-z0-9_.-]{0,63}, got ", Quoted(cg)));
  }
  const std::string& lv = c.log_level();
  if (lv != "debug" && lv != "info" && lv != "warn" && lv != "error") {
    return Bad("log_level", absl::StrCat("must be \"debug\", \"info\", \"warn\" or \"error\", got ",
                                         Quoted(lv)));
  }
  if (auto a = ParseSocketAddress(c.metrics().listen()); !a.ok()) {
    return Bad("metrics.listen", std::string(a.status().message()));
  }
  if (absl::Status s =
          InRange<uint32_t>("metrics.plugin_timeout_ms", c.metrics().plugin_timeout_ms(), 1, 60000);
      !s.ok()) {
    return s;
  }
  return absl::OkStatus();
}

}  // namespace paddock::host
