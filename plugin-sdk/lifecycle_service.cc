// Lifecycle service (see lifecycle_service.h).
#include "plugin-sdk/lifecycle_service.h"

#include <algorithm>

namespace paddock::sdk {
namespace {

// Grace assumed when the host's Shutdown call does not say.
constexpr absl::Duration kDefaultShutdownGrace = absl::Seconds(3);

}  // namespace

grpc::Status LifecycleService::Describe(grpc::ServerContext*, const v1::DescribeRequest*,
                                        v1::DescribeResponse* resp) {
  *resp = instance_.Describe();
  return grpc::Status::OK;
}

grpc::Status LifecycleService::Configure(grpc::ServerContext*, const v1::ConfigSnapshot* req,
                                         v1::ConfigureResponse* resp) {
  *resp = instance_.Configure(*req);
  return grpc::Status::OK;
}

grpc::Status LifecycleService::Drain(grpc::ServerContext* ctx, const v1::DrainRequest* req,
                                     v1::DrainResponse* resp) {
  // Never wait past the call's own deadline: the host would not see the answer.
  absl::Time deadline = absl::Now() + absl::Milliseconds(req->deadline_ms());
  deadline = std::min(deadline, absl::FromChrono(ctx->deadline()));
  resp->set_remaining_calls(instance_.Drain(deadline));
  return grpc::Status::OK;
}

grpc::Status LifecycleService::Shutdown(grpc::ServerContext*, const v1::ShutdownRequest* req,
                                        v1::ShutdownResponse*) {
  // The main thread drains and exits; this call is answered first (the server's own
  // shutdown waits for it to complete).
  instance_.RequestShutdown(req->grace_ms() == 0 ? kDefaultShutdownGrace
                                                 : absl::Milliseconds(req->grace_ms()));
  return grpc::Status::OK;
}

grpc::Status LifecycleService::Metrics(grpc::ServerContext*, const v1::MetricsRequest*,
                                       v1::MetricsResponse* resp) {
  *resp = instance_.Metrics();
  return grpc::Status::OK;
}

}  // namespace paddock::sdk
