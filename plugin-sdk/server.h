// The plugin's gRPC server: mTLS on a unix socket, health, lifecycle and the plugin's services.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "grpcpp/server.h"
#include "paddock/v1/bootstrap.pb.h"
#include "plugin-sdk/inflight.h"

namespace paddock::sdk {

// Starts a server on "unix:<b.listen_path()>" with the instance's certificate, admitting only
// b.host_identity(), serving grpc.health.v1 (SERVING for "" and every name in
// `service_names`), `lifecycle` and `services` (not owned; they must outlive the server).
// User calls are counted by `inflight`. Unavailable with the reason if it cannot listen.
absl::StatusOr<std::unique_ptr<grpc::Server>> StartServer(
    const v1::Bootstrap& b, grpc::Service* lifecycle, const std::vector<grpc::Service*>& services,
    const std::vector<std::string>& service_names, InflightTracker& inflight);

}  // namespace paddock::sdk
