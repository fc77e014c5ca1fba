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
#include "absl/time/time.h"
#include "google/protobuf/descriptor.h"
#include "host/method_catalog.h"
#include "paddock/v1/control.pb.h"
#include "paddock/v1/host_config.pb.h"

namespace paddock::host {

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

// The host config in force, re-read from the supervisor at most every `max_age` (the ACL of a
// changed config applies within that). Thread-safe.
class LiveConfig {
 public:
  // `fetch` returns the config in force (Supervisor::GetConfig); called with no lock held.
  LiveConfig(std::function<paddock::v1::ConfigInfo()> fetch, absl::Duration max_age)
      : fetch_(std::move(fetch)), max_age_(max_age) {}
  // The config; the last good one when a fetched one does not parse.
  std::shared_ptr<const paddock::v1::HostConfig> Get();

 private:
  const std::function<paddock::v1::ConfigInfo()> fetch_;
  const absl::Duration max_age_;
  absl::Mutex mu_;
  std::shared_ptr<const paddock::v1::HostConfig> config_ ABSL_GUARDED_BY(mu_);
  uint64_t version_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Time fetched_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
};

}  // namespace paddock::host
