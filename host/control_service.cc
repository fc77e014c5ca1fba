#include "host/control_service.h"

#include <atomic>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "host/grpc_status.h"
#include "host/plugin_call.h"

namespace paddock::host {
namespace {

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

grpc::Status ControlService::Reload(grpc::ServerContext*, const paddock::v1::ReloadRequest* req,
                                    paddock::v1::ReloadResponse* out) {
  auto r = supervisor_->Reload(req->name());
  if (!r.ok()) return ToGrpc(r.status());
  *out = std::move(*r);
  return grpc::Status::OK;
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
  auto call = PrepareCall(*router_, *supervisor_, req->plugin(), req->method(), req->json(),
                          MethodCatalog::Shape::kUnary);
  if (!call.ok()) return ToGrpc(call.status());
  return RunUnaryCall(*call, req->timeout_ms(), out, metrics_);
}

grpc::Status ControlService::CallStream(grpc::ServerContext* ctx,
                                        const paddock::v1::CallRequest* req,
                                        grpc::ServerWriter<paddock::v1::CallResponse>* writer) {
  auto call = PrepareCall(*router_, *supervisor_, req->plugin(), req->method(), req->json(),
                          MethodCatalog::Shape::kUnaryOrServerStream);
  if (!call.ok()) return ToGrpc(call.status());
  if (!call->method->server_streaming()) {
    paddock::v1::CallResponse out;
    grpc::Status s = RunUnaryCall(*call, req->timeout_ms(), &out, metrics_);
    if (s.ok()) writer->Write(out);
    return s;
  }
  grpc::ClientContext plugin_ctx;
  if (req->timeout_ms() > 0) {
    plugin_ctx.set_deadline(
        absl::ToChronoTime(absl::Now() + absl::Milliseconds(req->timeout_ms())));
  }
  // A sync server learns of a client that went away only by asking: a watcher cancels the
  // plugin's stream as soon as our caller is gone, even while the stream is idle.
  std::atomic<bool> done{false};
  std::thread watcher([&] {
    while (!done.load()) {
      if (ctx->IsCancelled()) {
        plugin_ctx.TryCancel();
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });
  absl::Time start = absl::Now();
  grpc::Status s = call->route->client->CallServerStream(
      call->path, call->body, &plugin_ctx, [&](const std::string& bytes) {
        auto json = call->route->catalog->ResponseToJson(call->method, bytes);
        if (!json.ok()) return false;
        paddock::v1::CallResponse out;
        out.set_json(std::move(*json));
        out.set_generation(call->route->generation);
        out.set_method(call->path);
        return writer->Write(out);
      });
  done.store(true);
  watcher.join();
  if (metrics_ != nullptr) {
    metrics_->PluginCall(call->route->plugin, call->path, s.error_code(), absl::Now() - start);
  }
  return s;
}

grpc::Status ControlService::GetConfig(grpc::ServerContext*, const paddock::v1::GetConfigRequest*,
                                       paddock::v1::ConfigInfo* out) {
  *out = supervisor_->GetConfig();
  return grpc::Status::OK;
}

}  // namespace paddock::host
