#include "host/invoke_acl.h"

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "host/names.h"
#include "host/string_view_compat.h"

namespace paddock::host {

InvokeAcl::InvokeAcl(std::vector<std::string> entries) : entries_(std::move(entries)) {}

InvokeAcl InvokeAcl::For(const paddock::v1::HostConfig& config, std::string_view caller) {
  auto it = config.plugins().find(std::string(caller));
  if (it == config.plugins().end()) return InvokeAcl({});
  return InvokeAcl({it->second.invoke().begin(), it->second.invoke().end()});
}

namespace {

// Splits "plugin/spec"; false when there is no '/'.
bool Split(std::string_view entry, std::string_view* plugin, std::string_view* spec) {
  const size_t slash = entry.find('/');
  if (slash == std::string_view::npos) return false;
  *plugin = entry.substr(0, slash);
  *spec = entry.substr(slash + 1);
  return true;
}

// A method spec: letters, digits, '_', '.' and '/' (proto identifiers and the separators of
// "pkg.Service/Method"), so a target is safe to log as is.
bool IsMethodSpec(std::string_view spec) {
  for (char c : spec) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.' && c != '/') {
      return false;
    }
  }
  return !spec.empty() && spec != "/";
}

}  // namespace

absl::StatusOr<InvokeTarget> ParseInvokeTarget(std::string_view target) {
  if (target.size() > kMaxInvokeTargetBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("target is ", target.size(), " bytes; at most ", kMaxInvokeTargetBytes));
  }
  std::string_view plugin, method;
  if (!Split(target, &plugin, &method) || !IsValidPluginName(plugin) || !IsMethodSpec(method)) {
    // Quoted with absl::CHexEscape: the target came from a plugin and may hold anything.
    return absl::InvalidArgumentError(absl::StrCat(
        "target \"", absl::CHexEscape(ToAbsl(target)),
        "\" is not \"plugin/Method\" (or \"plugin/pkg.Service/Method\") with a valid plugin name"));
  }
  return InvokeTarget{std::string(plugin), std::string(method)};
}

bool InvokeAcl::NamesPlugin(std::string_view plugin) const {
  for (const std::string& e : entries_) {
    std::string_view p, spec;
    if (Split(e, &p, &spec) && p == plugin) return true;
  }
  return false;
}

bool InvokeAcl::Allows(std::string_view plugin, const MethodCatalog& catalog,
                       const google::protobuf::MethodDescriptor* method) const {
  for (const std::string& e : entries_) {
    std::string_view p, spec;
    if (!Split(e, &p, &spec) || p != plugin) continue;
    if (spec == "*") return true;
    auto resolved = catalog.Resolve(spec);
    if (resolved.ok() && *resolved == method) return true;
  }
  return false;
}

void LiveConfig::Set(paddock::v1::HostConfig config) {
  auto next = std::make_shared<const paddock::v1::HostConfig>(std::move(config));
  absl::MutexLock lock(&mu_);
  config_.swap(next);  // The old one is released by `next`, after the lock.
}

std::shared_ptr<const paddock::v1::HostConfig> LiveConfig::Get() const {
  absl::MutexLock lock(&mu_);
  return config_;
}

}  // namespace paddock::host
