// The invoke ACL: which methods of other plugins a plugin may call through the host
// (HostConfig.plugins[caller].invoke: "plugin/Method" or "plugin/*"). Deny by default: a caller
// without entries may call nothing.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "google/protobuf/descriptor.h"
#include "host/method_catalog.h"
#include "paddock/v1/host_config.pb.h"

namespace paddock::host {

// An invoke target, "plugin/Method", "plugin/pkg.Service/Method" or "plugin//pkg.Service/Method",
// split at its first '/'.
struct InvokeTarget {
  std::string plugin;  // A valid plugin name (host/names.h).
  std::string method;  // A method spec for MethodCatalog::Resolve; never empty.
};

// Longest invoke target accepted, in bytes.
inline constexpr size_t kMaxInvokeTargetBytes = 512;

// Parses `target`. InvalidArgument, naming the target (escaped) and the expected form, when it
// is longer than kMaxInvokeTargetBytes, has no '/', its plugin part is not a valid plugin name,
// or its method part is empty, "*" (an ACL wildcard names no method to call) or holds anything
// but letters, digits, '_', '.' and '/'. A parsed target is safe to log as is.
absl::StatusOr<InvokeTarget> ParseInvokeTarget(std::string_view target);

// One caller's entries. Immutable; thread-safe.
class InvokeAcl {
 public:
  // The entries of `caller` in `config` (none when it has no settings).
  static InvokeAcl For(const paddock::v1::HostConfig& config, std::string_view caller);
  explicit InvokeAcl(std::vector<std::string> entries);

  // Whether any entry names `plugin` at all. A caller may learn nothing about plugins it may
  // not call, so this is checked before the target is even looked up.
  bool NamesPlugin(std::string_view plugin) const;
  // Whether an entry allows `method` of `plugin`: "plugin/*", or "plugin/<spec>" where <spec>
  // resolves in the target's `catalog` to that same method (so "hello/Greet" and
  // "hello/paddock.hello.v1.Hello/Greet" are one entry).
  bool Allows(std::string_view plugin, const MethodCatalog& catalog,
              const google::protobuf::MethodDescriptor* method) const;

  const std::vector<std::string>& entries() const { return entries_; }

 private:
  std::vector<std::string> entries_;
};

// The host config in force for invokes. The supervisor's config engine Set()s every config it
// applies (SupervisorDeps::on_config_applied), so an ACL change takes effect for the next
// invoke, without a restart; a rejected config never gets here. Thread-safe.
class LiveConfig {
 public:
  explicit LiveConfig(paddock::v1::HostConfig initial)
      : config_(std::make_shared<const paddock::v1::HostConfig>(std::move(initial))) {}
  // Replaces the config; invokes already past their ACL check keep the one they read.
  void Set(paddock::v1::HostConfig config);
  // The config in force. Never null.
  std::shared_ptr<const paddock::v1::HostConfig> Get() const;

 private:
  mutable absl::Mutex mu_;
  std::shared_ptr<const paddock::v1::HostConfig> config_ ABSL_GUARDED_BY(mu_);
};

}  // namespace paddock::host
