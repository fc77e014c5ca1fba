#include "host/manifest_validate.h"

#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "host/descriptor_pool.h"
#include "host/json.h"
#include "host/names.h"
#include "host/socket_address.h"
#include "host/utf8.h"

namespace paddock::host {
namespace {

using paddock::v1::PluginManifest;

std::string Quoted(const std::string& s) {
  std::string out;
  json::AppendQuoted(s.size() > 80 ? s.substr(0, 80) + "..." : s, &out);
  return out;
}

absl::Status Bad(absl::string_view field, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", why));
}

// Every string from a manifest: valid UTF-8, no control characters, bounded.
absl::Status CheckString(absl::string_view field, const std::string& s, bool required) {
  if (s.empty() && required) return Bad(field, "missing");
  if (s.size() > kMaxManifestStringBytes) {
    return Bad(field, absl::StrCat("is ", s.size(), " bytes, more than the limit of ",
                                   kMaxManifestStringBytes));
  }
  if (!IsValidUtf8(s)) return Bad(field, "is not valid UTF-8");
  if (SanitizeText(s) != s) return Bad(field, "contains control characters");
  return absl::OkStatus();
}

// A fully-qualified protobuf service name: identifiers joined by dots.
bool IsQualifiedName(const std::string& s) {
  bool start = true;
  for (char c : s) {
    if (c == '.') {
      if (start) return false;
      start = true;
      continue;
    }
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    if (!alpha && !(c >= '0' && c <= '9' && !start)) return false;
    start = false;
  }
  return !start;
}

absl::Status ValidateVersions(const PluginManifest& m) {
  if (absl::Status s = CheckString("version", m.version(), true); !s.ok()) return s;
  if (absl::StatusOr<sdk::SemVer> v = sdk::ParseSemVer(m.version()); !v.ok()) {
    return Bad("version", v.status().message());
  }
  if (absl::Status s = CheckString("sdk_protocol", m.sdk_protocol(), true); !s.ok()) return s;
  absl::StatusOr<sdk::SemVer> p = sdk::ParseSemVer(m.sdk_protocol());
  if (!p.ok()) return Bad("sdk_protocol", p.status().message());
  if (!IsSupportedSdkProtocol(*p)) {
    return Bad(
        "sdk_protocol",
        absl::StrCat("plugin speaks SDK protocol ", m.sdk_protocol(), ", this host supports ",
                     absl::string_view(kSupportedSdkProtocol.data(), kSupportedSdkProtocol.size()),
                     " (rebuild the plugin with a matching SDK)"));
  }
  return absl::OkStatus();
}

template <typename List>
absl::Status CheckNameList(absl::string_view field, const List& names, int max,
                           bool (*valid)(std::string_view), absl::string_view invalid_text) {
  if (names.size() > max) {
    return Bad(field, absl::StrCat(names.size(), " entries, more than the limit of ", max));
  }
  absl::flat_hash_set<std::string> seen;
  for (int i = 0; i < names.size(); ++i) {
    const std::string item = absl::StrCat(field, "[", i, "]");
    if (absl::Status s = CheckString(item, names[i], true); !s.ok()) return s;
    if (!valid(names[i])) return Bad(item, absl::StrCat(invalid_text, " ", Quoted(names[i])));
    if (!seen.insert(names[i]).second) {
      return Bad(item, absl::StrCat(Quoted(names[i]), " is listed twice"));
    }
  }
  return absl::OkStatus();
}

bool IsKnownCapability(std::string_view name) { return CapabilityNumber(name).has_value(); }

absl::Status ValidateSockets(const paddock::v1::SandboxRequest& sb) {
  if (sb.sockets_size() > kMaxManifestSockets) {
    return Bad(
        "sandbox.sockets",
        absl::StrCat(sb.sockets_size(), " sockets, more than the limit of ", kMaxManifestSockets));
  }
  absl::flat_hash_set<std::string> seen;
  for (int i = 0; i < sb.sockets_size(); ++i) {
    const auto& sock = sb.sockets(i);
    const std::string field = absl::StrCat("sandbox.sockets[", i, "]");
    if (absl::Status s = CheckString(field + ".name", sock.name(), true); !s.ok()) return s;
    if (!IsValidSocketName(sock.name())) {
      return Bad(field + ".name",
                 absl::StrCat(Quoted(sock.name()), " must match [a-z][a-z0-9_-]{0,31}"));
    }
    if (!seen.insert(sock.name()).second) {
      return Bad(field + ".name", absl::StrCat(Quoted(sock.name()), " is used twice"));
    }
    if (!paddock::v1::SocketRequest::Kind_IsValid(sock.kind())) {
      return Bad(field + ".kind", absl::StrCat("unknown socket kind ", sock.kind()));
    }
    if (absl::Status s = CheckString(field + ".default_address", sock.default_address(), false);
        !s.ok()) {
      return s;
    }
    if (!sock.default_address().empty()) {
      if (absl::StatusOr<SocketAddress> a = ParseSocketAddress(sock.default_address()); !a.ok()) {
        return Bad(field + ".default_address", a.status().message());
      }
    }
    if (sock.receive_buffer_bytes() > (256u << 20)) {
      return Bad(field + ".receive_buffer_bytes",
                 absl::StrCat("must be at most 268435456, got ", sock.receive_buffer_bytes()));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateSandbox(const paddock::v1::SandboxRequest& sb) {
  if (sb.memory_bytes() != 0 &&
      (sb.memory_bytes() < (4ull << 20) || sb.memory_bytes() > (1ull << 50))) {
    return Bad("sandbox.memory_bytes",
               absl::StrCat("must be 0 (host default) or in [4194304, 1125899906842624], got ",
                            sb.memory_bytes()));
  }
  if (sb.cpu_millis() != 0 && (sb.cpu_millis() < 10 || sb.cpu_millis() > 1'024'000)) {
    return Bad("sandbox.cpu_millis",
               absl::StrCat("must be 0 (host default) or in [10, 1024000], got ", sb.cpu_millis()));
  }
  if (sb.pids() > 4'194'304) {
    return Bad("sandbox.pids", absl::StrCat("must be at most 4194304, got ", sb.pids()));
  }
  if (!paddock::v1::NetworkMode_IsValid(sb.network())) {
    return Bad("sandbox.network", absl::StrCat("unknown network mode ", sb.network()));
  }
  if (absl::Status s = CheckNameList("sandbox.capabilities", sb.capabilities(), 64,
                                     &IsKnownCapability, "unknown capability");
      !s.ok()) {
    return s;
  }
  if (absl::Status s = CheckNameList("sandbox.syscall_groups", sb.syscall_groups(),
                                     kMaxManifestSyscallGroups, &IsValidSyscallGroupName,
                                     "syscall group names must match [a-z0-9_-]{1,64}, got");
      !s.ok()) {
    return s;
  }
  return ValidateSockets(sb);
}

}  // namespace

bool IsSupportedSdkProtocol(const sdk::SemVer& v) {
  // >=1.0.0 <2.0.0 with the usual range semantics (as npm and cargo read it): pre-releases
  // are not in the range, so "1.1.0-rc1" and "2.0.0-rc1" are both refused.
  const sdk::SemVer min{1, 0, 0, {}, ""};
  const sdk::SemVer max{2, 0, 0, {}, ""};
  return v.prerelease.empty() && sdk::CompareSemVer(v, min) >= 0 && sdk::CompareSemVer(v, max) < 0;
}

absl::StatusOr<ManifestServices> BuildManifestServices(const PluginManifest& m) {
  if (m.services_size() > kMaxManifestServices) {
    return Bad("services", absl::StrCat(m.services_size(), " services, more than the limit of ",
                                        kMaxManifestServices));
  }
  ManifestServices out;
  if (m.descriptors().file_size() == 0) {
    if (m.services_size() > 0) {
      return Bad("descriptors", "missing (the SDK build tool embeds them; rebuild the plugin)");
    }
    out.pool = std::make_unique<google::protobuf::DescriptorPool>();
    return out;
  }
  // Descriptors are built even when no service is listed: a manifest carrying descriptors
  // that do not build is broken, whatever uses them later.
  absl::StatusOr<std::unique_ptr<google::protobuf::DescriptorPool>> pool =
      BuildDescriptorPool(m.descriptors());
  if (!pool.ok()) return pool.status();
  out.pool = std::move(*pool);
  absl::flat_hash_set<std::string> seen;
  for (int i = 0; i < m.services_size(); ++i) {
    const std::string field = absl::StrCat("services[", i, "].name");
    const std::string& name = m.services(i).name();
    if (absl::Status s = CheckString(field, name, true); !s.ok()) return s;
    if (!IsQualifiedName(name)) {
      return Bad(field, absl::StrCat(Quoted(name), " is not a fully-qualified service name"));
    }
    if (!seen.insert(name).second)
      return Bad(field, absl::StrCat(Quoted(name), " is listed twice"));
    const google::protobuf::ServiceDescriptor* service = out.pool->FindServiceByName(name);
    if (service == nullptr) {
      return Bad(field, absl::StrCat("service ", Quoted(name),
                                     " is not defined in the manifest's descriptors"));
    }
    out.services.push_back(service);
  }
  return out;
}

absl::Status ValidateManifest(const PluginManifest& m) {
  if (absl::Status s = CheckString("name", m.name(), true); !s.ok()) return s;
  if (!IsValidPluginName(m.name())) {
    return Bad("name", absl::StrCat(Quoted(m.name()), " must match [a-z][a-z0-9-]{0,62}"));
  }
  if (absl::Status s = ValidateVersions(m); !s.ok()) return s;
  if (absl::Status s = CheckString("description", m.description(), false); !s.ok()) return s;
  if (absl::Status s = ValidateSandbox(m.sandbox()); !s.ok()) return s;
  return BuildManifestServices(m).status();
}

}  // namespace paddock::host
