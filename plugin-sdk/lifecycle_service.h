// paddock.v1.PluginLifecycle, served by the SDK for the host (see lifecycle.proto).
#pragma once

#include "paddock/v1/lifecycle.grpc.pb.h"
#include "plugin-sdk/instance.h"

namespace paddock::sdk {

// Adapts the Instance to gRPC. Synchronous: Drain blocks one gRPC thread until the
// in-flight calls finish or its deadline passes. `instance` must outlive the service.
class LifecycleService final : public v1::PluginLifecycle::Service {
 public:
  explicit LifecycleService(Instance& instance) : instance_(instance) {}

  grpc::Status Describe(grpc::ServerContext* ctx, const v1::DescribeRequest* req,
                        v1::DescribeResponse* resp) override;
  grpc::Status Configure(grpc::ServerContext* ctx, const v1::ConfigSnapshot* req,
                         v1::ConfigureResponse* resp) override;
  grpc::Status Drain(grpc::ServerContext* ctx, const v1::DrainRequest* req,
                     v1::DrainResponse* resp) override;
  grpc::Status Shutdown(grpc::ServerContext* ctx, const v1::ShutdownRequest* req,
                        v1::ShutdownResponse* resp) override;
  grpc::Status Metrics(grpc::ServerContext* ctx, const v1::MetricsRequest* req,
                       v1::MetricsResponse* resp) override;

 private:
  Instance& instance_;
};

}  // namespace paddock::sdk
