#include "host/plugin_call.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "host/grpc_status.h"

namespace paddock::host {

absl::StatusOr<PreparedCall> PrepareCall(const Router& router, Supervisor& supervisor,
                                         const std::string& plugin, const std::string& method_spec,
                                         const std::string& json, MethodCatalog::Shape shape,
                                         const CallCheck& check) {
  if (json.size() > kMaxCallJsonBytes) {
    return absl::InvalidArgumentError("request JSON larger than 4 MiB");
  }
  PreparedCall call;
  call.counted = router.Acquire(plugin);
  if (call.counted == nullptr) {
    auto info = supervisor.Status(plugin);
    if (!info.ok()) return info.status();
    std::string why = paddock::v1::PluginState_Name(info->state());
    if (!info->error().empty()) absl::StrAppend(&why, ": ", info->error());
    return absl::UnavailableError(
        absl::StrCat("plugin \"", plugin, "\" is not serving (", why, ")"));
  }
  call.route = call.counted->route();
  auto method = call.route->catalog->Resolve(method_spec, shape);
  if (!method.ok()) {
    return absl::Status(method.status().code(),
                        absl::StrCat("plugin \"", plugin, "\": ", method.status().message()));
  }
  call.method = *method;
  if (check) {
    if (absl::Status st = check(*call.route, call.method); !st.ok()) return st;
  }
  auto body = call.route->catalog->JsonToRequest(call.method, json);
  if (!body.ok()) return body.status();
  call.body = std::move(*body);
  call.path = MethodCatalog::FullPath(call.method);
  return call;
}

grpc::Status RunUnaryCall(PreparedCall& call, uint32_t timeout_ms, paddock::v1::CallResponse* out,
                          HostMetrics* metrics) {
  std::string response;
  absl::Time start = absl::Now();
  grpc::Status s = call.route->client->CallUnary(
      call.path, call.body, &response,
      absl::Milliseconds(timeout_ms ? timeout_ms : kDefaultCallTimeoutMs));
  call.counted.reset();
  if (metrics != nullptr) {
    metrics->PluginCall(call.route->plugin, call.path, s.error_code(), absl::Now() - start);
  }
  if (!s.ok()) return s;
  auto json = call.route->catalog->ResponseToJson(call.method, response);
  if (!json.ok()) return ToGrpc(json.status());
  out->set_json(std::move(*json));
  out->set_generation(call.route->generation);
  out->set_method(call.path);
  return grpc::Status::OK;
}

}  // namespace paddock::host
