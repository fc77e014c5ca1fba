// A JSON call to one method of a serving plugin through the router: the path that both
// `paddockctl call` (ControlService) and plugins' invokes of other plugins (InvokeService)
// take, so the two cannot drift apart.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "google/protobuf/descriptor.h"
#include "grpcpp/support/status.h"
#include "host/host_metrics.h"
#include "host/method_catalog.h"
#include "host/router.h"
#include "host/supervisor.h"
#include "paddock/v1/control.pb.h"

namespace paddock::host {

// Largest request JSON a call accepts.
inline constexpr size_t kMaxCallJsonBytes = 4 << 20;
// Deadline of a call that names none.
inline constexpr uint32_t kDefaultCallTimeoutMs = 10000;

// A call resolved against the route in force: the method and the serialized request.
struct PreparedCall {
  std::unique_ptr<RouteCall> counted;  // Counts the call on its route until reset.
  std::shared_ptr<const Route> route;
  const google::protobuf::MethodDescriptor* method = nullptr;  // Owned by route->catalog.
  std::string path;                                            // "/pkg.Service/Method"
  std::string body;
};

// Run on the resolved method before the body is parsed; a non-OK status ends the call with it
// (InvokeService checks its ACL here).
using CallCheck =
    std::function<absl::Status(const Route& route, const google::protobuf::MethodDescriptor*)>;

// Takes the route of `plugin` (counted as in flight from here), resolves `method_spec`
// ("Method", "pkg.Service/Method" or "/pkg.Service/Method") in its catalog for `shape`, runs
// `check` (if any), and serializes `json` ("" = the empty message) as the request.
// Unavailable "plugin "x" is not serving (<state>...)" without a route; NotFound for an
// unknown plugin or method (listing what exists); FailedPrecondition for a method of the wrong
// shape; InvalidArgument for a body over kMaxCallJsonBytes or one that does not parse.
// Thread-safe.
absl::StatusOr<PreparedCall> PrepareCall(const Router& router, Supervisor& supervisor,
                                         const std::string& plugin, const std::string& method_spec,
                                         const std::string& json, MethodCatalog::Shape shape,
                                         const CallCheck& check = nullptr);

// Runs a prepared unary call with `timeout_ms` (0 = kDefaultCallTimeoutMs), stops counting it
// once the plugin answered, and fills `out` (JSON answer, generation, method path). Returns
// the plugin's status as is. `metrics` (optional) records the call's code and latency.
grpc::Status RunUnaryCall(PreparedCall& call, uint32_t timeout_ms, paddock::v1::CallResponse* out,
                          HostMetrics* metrics = nullptr);

}  // namespace paddock::host
