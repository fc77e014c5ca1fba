#include "host/grant.h"

#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "host/json.h"
#include "host/socket_address.h"

namespace paddock::host {
namespace {

std::string Quoted(const std::string& s) {
  std::string out;
  json::AppendQuoted(s, &out);
  return out;
}

// Picks the limit for one resource: the default (capped) for 0, else the request when the
// grant allows it.
template <typename T>
T Limit(T requested, T granted_max, T default_value, const char* field, const std::string& where,
        std::vector<std::string>* denied) {
  if (requested == 0) return std::min(default_value, granted_max);
  if (requested > granted_max) {
    denied->push_back(absl::StrCat("requests ", field, " ", requested,
                                   ", more than the host config grants (", granted_max,
                                   "; raise it in ", where, ".max_", field, ")"));
  }
  return requested;
}

}  // namespace

absl::StatusOr<EffectiveSandbox> ResolveGrant(const paddock::v1::PluginManifest& m,
                                              const paddock::v1::HostConfig& config) {
  const auto it = config.plugins().find(m.name());
  const paddock::v1::PluginSettings* settings =
      it == config.plugins().end() ? nullptr : &it->second;
  const paddock::v1::Grant& grant =
      settings != nullptr && settings->has_grant() ? settings->grant() : config.default_grant();
  const std::string plugin_path = absl::StrCat("plugins.", Quoted(m.name()));
  const std::string where = plugin_path + ".grant";
  if (grant.max_memory_bytes() == 0 || grant.max_cpu_millis() == 0 || grant.max_pids() == 0) {
    // 0 would mean "no limit" to the cgroup code: refuse rather than run unbounded.
    return absl::FailedPreconditionError(
        "the host config grant has a maximum of 0 (config defaults were not filled)");
  }

  const paddock::v1::SandboxRequest& req = m.sandbox();
  std::vector<std::string> denied;
  EffectiveSandbox out;
  out.memory_bytes = Limit<uint64_t>(req.memory_bytes(), grant.max_memory_bytes(),
                                     kDefaultMemoryBytes, "memory_bytes", where, &denied);
  out.cpu_millis = Limit<uint32_t>(req.cpu_millis(), grant.max_cpu_millis(), kDefaultCpuMillis,
                                   "cpu_millis", where, &denied);
  out.pids = Limit<uint32_t>(req.pids(), grant.max_pids(), kDefaultPids, "pids", where, &denied);

  out.network_host = req.network() == paddock::v1::NETWORK_HOST;
  if (out.network_host && !grant.network_host()) {
    denied.push_back(absl::StrCat(
        "requests the host network, which the host config does not grant (grant it in ", where,
        ".network_host)"));
  }
  const absl::flat_hash_set<std::string> caps(grant.capabilities().begin(),
                                              grant.capabilities().end());
  for (const std::string& cap : req.capabilities()) {
    if (!caps.contains(cap)) {
      denied.push_back(absl::StrCat("requests capability ", cap,
                                    ", which the host config does not grant (grant it in ", where,
                                    ".capabilities)"));
    }
    out.capabilities.push_back(cap);
  }
  const absl::flat_hash_set<std::string> groups(grant.syscall_groups().begin(),
                                                grant.syscall_groups().end());
  for (const std::string& group : req.syscall_groups()) {
    if (!groups.contains(group)) {
      denied.push_back(absl::StrCat("requests syscall group ", Quoted(group),
                                    ", which the host config does not grant (grant it in ", where,
                                    ".syscall_groups)"));
    }
    out.syscall_groups.push_back(group);
  }
  out.data_dir = req.data_dir();
  if (out.data_dir && !grant.data_dir()) {
    denied.push_back(absl::StrCat(
        "requests a persistent data directory, which the host config does not grant (grant it "
        "in ",
        where, ".data_dir)"));
  }
  if (req.sockets_size() > 0 && !grant.sockets()) {
    denied.push_back(
        absl::StrCat("requests pre-opened sockets, which the host config does not "
                     "grant (grant it in ",
                     where, ".sockets)"));
  }
  if (!denied.empty()) return absl::PermissionDeniedError(absl::StrJoin(denied, "; "));

  absl::flat_hash_set<std::string> requested_names;
  for (const paddock::v1::SocketRequest& sock : req.sockets()) {
    requested_names.insert(sock.name());
    std::string address = sock.default_address();
    if (settings != nullptr) {
      if (const auto a = settings->sockets().find(sock.name()); a != settings->sockets().end()) {
        address = a->second;
      }
    }
    const std::string config_path = absl::StrCat(plugin_path, ".sockets.", Quoted(sock.name()));
    if (address.empty()) {
      return absl::FailedPreconditionError(
          absl::StrCat("socket ", Quoted(sock.name()),
                       " has no address: the manifest gives no default, so set ", config_path));
    }
    if (absl::StatusOr<SocketAddress> parsed = ParseSocketAddress(address); !parsed.ok()) {
      return absl::FailedPreconditionError(
          absl::StrCat("socket ", Quoted(sock.name()), ": ", parsed.status().message()));
    }
    out.sockets.push_back(ResolvedSocket{sock, std::move(address)});
  }
  if (settings != nullptr) {
    std::vector<std::string> unknown;
    for (const auto& [name, address] : settings->sockets()) {
      if (!requested_names.contains(name)) unknown.push_back(Quoted(name));
    }
    if (!unknown.empty()) {
      std::sort(unknown.begin(), unknown.end());
      std::vector<std::string> asked;
      for (const auto& s : req.sockets()) asked.push_back(Quoted(s.name()));
      return absl::FailedPreconditionError(
          absl::StrCat(plugin_path, ".sockets names ", absl::StrJoin(unknown, ", "),
                       ", which the plugin does not ask for (it asks for: ",
                       asked.empty() ? "no sockets" : absl::StrJoin(asked, ", "), ")"));
    }
  }
  return out;
}

}  // namespace paddock::host
