#include "host/invoke_acl.h"

#include "host/config.h"

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

}  // namespace

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

std::shared_ptr<const paddock::v1::HostConfig> LiveConfig::Get() {
  {
    absl::MutexLock lock(&mu_);
    if (config_ != nullptr && absl::Now() - fetched_ < max_age_) return config_;
  }
  paddock::v1::ConfigInfo info = fetch_();
  absl::MutexLock lock(&mu_);
  fetched_ = absl::Now();
  if (config_ != nullptr && info.version() == version_) return config_;
  auto parsed = ParseHostConfig(info.json());
  if (parsed.ok()) {
    config_ = std::make_shared<const paddock::v1::HostConfig>(std::move(*parsed));
    version_ = info.version();
  } else if (config_ == nullptr) {
    config_ = std::make_shared<const paddock::v1::HostConfig>();  // Denies everything.
  }
  return config_;
}

}  // namespace paddock::host
