// HostInvoke (proto/paddock/v1/invoke.proto): plugins calling other plugins through the host.
// The caller is whoever the verified client certificate names (PluginIdentity SAN); the call
// is forwarded only where the caller's invoke ACL lists the target, through the same router
// path as `paddockctl call` (plugin_call.h), and counted in the same RPC metrics. Every denial
// is counted and logged (at most once per 10 s per caller and target, with the count of
// repeats). Runs on gRPC's threads; thread-safe.
#pragma once

#include <map>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/security/auth_context.h"
#include "host/host_metrics.h"
#include "host/invoke_acl.h"
#include "host/router.h"
#include "host/supervisor.h"
#include "paddock/v1/invoke.grpc.pb.h"

namespace paddock::host {

// The plugin name in a plugin instance's identity ("<name>.g<generation>.plugin.paddock"),
// read from the peer's verified certificate. Unauthenticated when the peer is not a plugin
// (no certificate, several SANs, the host's own identity, anything else).
absl::StatusOr<std::string> CallerPlugin(const grpc::AuthContext& ctx);

class InvokeService final : public paddock::v1::HostInvoke::Service {
 public:
  // None owned; all outlive the service. `metrics` (optional) counts forwarded calls like
  // `paddockctl call`s and denials by caller.
  InvokeService(const Router* router, Supervisor* supervisor, LiveConfig* config,
                HostMetrics* metrics = nullptr)
      : router_(router), supervisor_(supervisor), config_(config), metrics_(metrics) {}

  grpc::Status Invoke(grpc::ServerContext* ctx, const paddock::v1::InvokeRequest* req,
                      paddock::v1::InvokeResponse* resp) override;

  // Invoke for a caller already identified (the RPC layer's part is CallerPlugin).
  absl::StatusOr<paddock::v1::InvokeResponse> InvokeAs(const std::string& caller,
                                                       const paddock::v1::InvokeRequest& req);

 private:
  // Logs a denial unless the same one was logged in the last 10 s; returns PermissionDenied.
  absl::Status Deny(const std::string& caller, const std::string& target);

  const Router* router_;
  Supervisor* supervisor_;
  LiveConfig* config_;
  HostMetrics* metrics_;
  absl::Mutex log_mu_;
  struct Logged {
    absl::Time at;
    uint64_t suppressed = 0;
  };
  std::map<std::pair<std::string, std::string>, Logged> denials_ ABSL_GUARDED_BY(log_mu_);
};

}  // namespace paddock::host
