// Counts every request on the control socket (paddock_host_control_requests_total and its
// latency histogram) with a gRPC server interceptor, so the control service's handlers
// stay as they are. Register with grpc::ServerBuilder::experimental().SetInterceptorCreators.
#pragma once

#include <memory>

#include "grpcpp/support/server_interceptor.h"
#include "host/host_metrics.h"

namespace paddock::host {

// Makes one interceptor per control RPC; `metrics` must outlive the gRPC server.
std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
MakeControlMetricsInterceptor(HostMetrics* metrics);

}  // namespace paddock::host
