// The control API (proto paddock.v1.Control) over the supervisor and the router.
// Runs on gRPC's threads; everything it touches is thread-safe.
#pragma once

#include "host/host_metrics.h"
#include "host/router.h"
#include "host/supervisor.h"
#include "paddock/v1/control.grpc.pb.h"

namespace paddock::host {

class ControlService final : public paddock::v1::Control::Service {
 public:
  // `metrics` (optional) counts the calls routed to plugins.
  ControlService(Supervisor* supervisor, Router* router, HostMetrics* metrics = nullptr)
      : supervisor_(supervisor), router_(router), metrics_(metrics) {}

  grpc::Status List(grpc::ServerContext*, const paddock::v1::ListRequest*,
                    paddock::v1::ListResponse*) override;
  grpc::Status Status(grpc::ServerContext*, const paddock::v1::PluginRef*,
                      paddock::v1::PluginInfo*) override;
  grpc::Status Start(grpc::ServerContext*, const paddock::v1::PluginRef*,
                     paddock::v1::ActionResponse*) override;
  grpc::Status Stop(grpc::ServerContext*, const paddock::v1::PluginRef*,
                    paddock::v1::ActionResponse*) override;
  grpc::Status Restart(grpc::ServerContext*, const paddock::v1::PluginRef*,
                       paddock::v1::ActionResponse*) override;
  grpc::Status Logs(grpc::ServerContext*, const paddock::v1::LogsRequest*,
                    grpc::ServerWriter<paddock::v1::LogEntry>*) override;
  grpc::Status Call(grpc::ServerContext*, const paddock::v1::CallRequest*,
                    paddock::v1::CallResponse*) override;
  grpc::Status Reload(grpc::ServerContext*, const paddock::v1::ReloadRequest*,
                      paddock::v1::ReloadResponse*) override;
  grpc::Status CallStream(grpc::ServerContext*, const paddock::v1::CallRequest*,
                          grpc::ServerWriter<paddock::v1::CallResponse>*) override;
  grpc::Status GetConfig(grpc::ServerContext*, const paddock::v1::GetConfigRequest*,
                         paddock::v1::ConfigInfo*) override;

 private:
  Supervisor* supervisor_;
  Router* router_;
  HostMetrics* metrics_;
};

}  // namespace paddock::host
