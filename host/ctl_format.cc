#include "host/ctl_format.h"

#include <algorithm>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "google/protobuf/util/json_util.h"

namespace paddock::host {

std::string StateName(paddock::v1::PluginState s) {
  std::string n = paddock::v1::PluginState_Name(s);
  return absl::AsciiStrToLower(absl::StripPrefix(n, "STATE_"));
}

std::string ShortDuration(double seconds) {
  if (seconds <= 0) return "-";
  int64_t s = static_cast<int64_t>(seconds);
  if (s < 60) return absl::StrFormat("%.1fs", seconds);
  if (s < 3600) return absl::StrFormat("%dm%02ds", s / 60, s % 60);
  if (s < 86400) return absl::StrFormat("%dh%02dm", s / 3600, (s % 3600) / 60);
  return absl::StrFormat("%dd%02dh", s / 86400, (s % 86400) / 3600);
}

std::string FormatList(const paddock::v1::ListResponse& r) {
  std::vector<std::vector<std::string>> rows = {
      {"NAME", "VERSION", "GEN", "PID", "STATE", "UPTIME", "RESTARTS", "ERROR"}};
  for (const auto& p : r.plugins()) {
    std::string error = p.error();
    if (error.size() > 80) error = error.substr(0, 77) + "...";
    rows.push_back({p.name(), p.version().empty() ? "-" : p.version(),
                    p.generation() ? absl::StrCat(p.generation()) : "-",
                    p.pid() ? absl::StrCat(p.pid()) : "-", StateName(p.state()),
                    ShortDuration(p.uptime_seconds()), absl::StrCat(p.restarts()), error});
  }
  std::vector<size_t> width(rows[0].size(), 0);
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(width[i] - row[i].size() + 2, ' ');
    }
    absl::StrAppend(&out, absl::StripTrailingAsciiWhitespace(line), "\n");
  }
  if (r.plugins().empty()) out += "(no plugins found)\n";
  return out;
}

std::string FormatStatus(const paddock::v1::PluginInfo& p) {
  std::string out = absl::StrCat(p.name(), " ", p.version());
  if (!p.description().empty()) absl::StrAppend(&out, " - ", p.description());
  out += "\n";
  auto field = [&](std::string_view k, std::string_view v) {
    if (!v.empty()) absl::StrAppend(&out, absl::StrFormat("  %-13s %s\n", k, v));
  };
  std::string state = StateName(p.state());
  if (p.generation()) absl::StrAppend(&state, " (generation ", p.generation());
  if (p.pid()) absl::StrAppend(&state, ", pid ", p.pid());
  if (p.uptime_seconds() > 0) absl::StrAppend(&state, ", up ", ShortDuration(p.uptime_seconds()));
  if (p.generation()) state += ")";
  field("state:", state);
  field("binary:", p.binary_path());
  field("sha256:", p.binary_sha256());
  field("services:", absl::StrJoin(p.services(), ", "));
  field("restarts:", absl::StrCat(p.restarts()));
  field("error:", p.error());
  field("last exit:", p.last_exit());
  field("socket:", p.socket_path());
  for (const auto& s : p.sockets()) field("held socket:", s);
  if (p.config_version()) field("config:", absl::StrCat("version ", p.config_version()));
  if (p.live_instances() > 1) field("instances:", absl::StrCat(p.live_instances(), " alive"));
  if (p.has_last_reload()) {
    const auto& r = p.last_reload();
    field("last reload:",
          r.succeeded() ? absl::StrFormat("generation %d took over in %.1f ms", r.generation(),
                                          r.duration_ms())
                        : absl::StrCat("generation ", r.generation(), " FAILED: ", r.error()));
  }
  if (p.has_confinement()) {
    const auto& c = p.confinement();
    if (!c.enabled()) {
      field("confinement:", "none (sandbox.unconfined)");
    } else {
      field("namespaces:", absl::StrJoin(c.namespaces(), ", "));
      field("root:", c.root());
      if (c.uid() || c.gid()) field("uid/gid:", absl::StrCat(c.uid(), "/", c.gid()));
      field("network:", c.network());
      field("capabilities:",
            c.capabilities().empty() ? "none" : absl::StrJoin(c.capabilities(), ", "));
      field("seccomp:", absl::StrCat(c.seccomp_mode(), c.seccomp_groups().empty() ? "" : " (+",
                                     absl::StrJoin(c.seccomp_groups(), ", "),
                                     c.seccomp_groups().empty() ? "" : ")"));
      for (const auto& cg : c.cgroup_paths()) field("cgroup:", cg);
      field("limits:",
            absl::StrFormat("memory %d MiB, cpu %d millis, pids %d", c.memory_limit_bytes() >> 20,
                            c.cpu_limit_millis(), c.pids_limit()));
      if (c.memory_current_bytes() || c.cpu_usage_ns()) {
        field("usage:",
              absl::StrFormat("memory %.1f MiB, cpu %.3f s", c.memory_current_bytes() / 1048576.0,
                              c.cpu_usage_ns() / 1e9));
      }
      if (c.oom_kills()) field("oom kills:", absl::StrCat(c.oom_kills()));
      for (const auto& v : c.violations()) {
        field("violation:", absl::StrCat(v.syscall(), " x", v.count(), " (", v.action(), ")"));
      }
    }
  }
  return out;
}

std::string FormatLogEntry(const paddock::v1::LogEntry& e) {
  std::string out =
      absl::StrCat(absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::FromUnixNanos(e.unix_nanos()),
                                    absl::UTCTimeZone()),
                   " ", e.plugin(), " g", e.generation(), " ", e.level(), " ", e.message());
  std::vector<std::pair<std::string, std::string>> fields(e.fields().begin(), e.fields().end());
  std::sort(fields.begin(), fields.end());
  for (const auto& [k, v] : fields) absl::StrAppend(&out, " ", k, "=", v);
  return out;
}

std::string ToJson(const google::protobuf::Message& m) {
  google::protobuf::util::JsonPrintOptions opts;
  opts.preserve_proto_field_names = true;
  opts.always_print_primitive_fields = true;
  opts.always_print_enums_as_ints = false;
  std::string out;
  (void)google::protobuf::util::MessageToJsonString(m, &out, opts);
  return out;
}

}  // namespace paddock::host
