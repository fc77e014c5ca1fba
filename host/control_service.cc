#include "host/control_service.h"

#include "absl/strings/str_cat.h"
#include "host/grpc_status.h"

namespace paddock::host {
namespace {

constexpr uint32_t kDefaultCallTimeoutMs = 10000;
constexpr size_t kMaxCallJsonBytes = 4 << 20;

grpc::Status Action(absl::StatusOr<paddock::v1::PluginInfo> r, paddock::v1::ActionResponse* out) {
  if (!r.ok()) return ToGrpc(r.status());
  *out->mutable_plugin() = std::move(*r);
  return grpc::Status::OK;
}

}  // namespace

grpc::Status ControlService::List(grpc::ServerContext*, const paddock::v1::ListRequest*,
                                  paddock::v1::ListResponse* out) {
  *out = supervisor_->List();
  return grpc::Status::OK;
}

grpc::Status ControlService::Status(grpc::ServerContext*, const paddock::v1::PluginRef* req,
                                    paddock::v1::PluginInfo* out) {
  auto r = supervisor_->Status(req->name());
  if (!r.ok()) return ToGrpc(r.status());
  *out = std::move(*r);
  return grpc::Status::OK;
}

grpc::Status ControlService::Start(grpc::ServerContext*, const paddock::v1::PluginRef* req,
                                   paddock::v1::ActionResponse* out) {
  return Action(supervisor_->StartPlugin(req->name()), out);
}

grpc::Status ControlService::Stop(grpc::ServerContext*, const paddock::v1::PluginRef* req,
                                  paddock::v1::ActionResponse* out) {
  return Action(supervisor_->StopPlugin(req->name()), out);
}

grpc::Status ControlService::Restart(grpc::ServerContext*, const paddock::v1::PluginRef* req,
                                     paddock::v1::ActionResponse* out) {
  return Action(supervisor_->RestartPlugin(req->name()), out);
}

grpc::Status ControlService::Logs(grpc::ServerContext* ctx, const paddock::v1::LogsRequest* req,
                                  grpc::ServerWriter<paddock::v1::LogEntry>* writer) {
  auto ring = supervisor_->Logs(req->name());
  if (!ring.ok()) return ToGrpc(ring.status());
  uint64_t last = 0;
  for (auto& [seq, entry] : (*ring)->Tail(req->tail())) {
    if (!writer->Write(entry)) return grpc::Status::OK;
    last = seq;
  }
  if (!req->follow()) return grpc::Status::OK;
  if (last == 0) {
    // Nothing stored yet: follow from whatever arrives next.
    auto tail = (*ring)->Tail(1);
    if (!tail.empty()) last = tail.back().first;
  }
  while (!ctx->IsCancelled()) {
    for (auto& [seq, entry] : (*ring)->After(last, absl::Milliseconds(500))) {
      if (!writer->Write(entry)) return grpc::Status::OK;
      last = seq;
    }
  }
  return grpc::Status::OK;
}

grpc::Status ControlService::Call(grpc::ServerContext*, const paddock::v1::CallRequest* req,
                                  paddock::v1::CallResponse* out) {
  if (req->json().size() > kMaxCallJsonBytes) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "request JSON larger than 4 MiB");
  }
  std::shared_ptr<const Route> route = router_->Get(req->plugin());
  if (route == nullptr) {
    auto info = supervisor_->Status(req->plugin());
    if (!info.ok()) return ToGrpc(info.status());
    std::string why = paddock::v1::PluginState_Name(info->state());
    if (!info->error().empty()) absl::StrAppend(&why, ": ", info->error());
    return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                        absl::StrCat("plugin \"", req->plugin(), "\" is not serving (", why, ")"));
  }
  auto method = route->catalog->Resolve(req->method());
  if (!method.ok()) {
    return ToGrpc(
        absl::Status(method.status().code(),
                     absl::StrCat("plugin \"", req->plugin(), "\": ", method.status().message())));
  }
  auto body = route->catalog->JsonToRequest(*method, req->json());
  if (!body.ok()) return ToGrpc(body.status());
  uint32_t timeout_ms = req->timeout_ms() ? req->timeout_ms() : kDefaultCallTimeoutMs;
  std::string path = MethodCatalog::FullPath(*method);
  std::string response;
  {
    RouteCall call(route);
    grpc::Status s =
        call->client->CallUnary(path, *body, &response, absl::Milliseconds(timeout_ms));
    if (!s.ok()) return s;
  }
  auto json = route->catalog->ResponseToJson(*method, response);
  if (!json.ok()) return ToGrpc(json.status());
  out->set_json(std::move(*json));
  out->set_generation(route->generation);
  out->set_method(path);
  return grpc::Status::OK;
}

grpc::Status ControlService::GetConfig(grpc::ServerContext*, const paddock::v1::GetConfigRequest*,
                                       paddock::v1::ConfigInfo* out) {
  *out = supervisor_->GetConfig();
  return grpc::Status::OK;
}

}  // namespace paddock::host
