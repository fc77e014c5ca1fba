#include "host/control_metrics.h"

#include <string>

#include "absl/time/clock.h"
#include "google/protobuf/descriptor.h"
#include "paddock/v1/control.pb.h"

namespace paddock::host {
namespace {

using grpc::experimental::InterceptionHookPoints;

constexpr char kControlPrefix[] = "/paddock.v1.Control/";

// Lives as long as one RPC; records it when the RPC is over (gRPC destroys interceptors
// then). A call that ends without a status sent (the client went away) counts as CANCELLED.
class ControlMetricsInterceptor : public grpc::experimental::Interceptor {
 public:
  ControlMetricsInterceptor(HostMetrics* metrics, std::string method)
      : metrics_(metrics), method_(std::move(method)), start_(absl::Now()) {}
  ~ControlMetricsInterceptor() override {
    metrics_->ControlRequest(method_, code_, absl::Now() - start_);
  }

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      code_ = methods->GetSendStatus().error_code();
    }
    methods->Proceed();
  }

 private:
  HostMetrics* metrics_;
  std::string method_;
  absl::Time start_;
  grpc::StatusCode code_ = grpc::StatusCode::CANCELLED;
};

class Factory : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit Factory(HostMetrics* metrics) : metrics_(metrics) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    // Only the Control service's own method names become label values: a client naming
    // arbitrary methods must not grow the label set.
    std::string method = info->method() == nullptr ? "" : info->method();
    const auto* service =
        google::protobuf::DescriptorPool::generated_pool()->FindServiceByName("paddock.v1.Control");
    if (method.rfind(kControlPrefix, 0) == 0 && service != nullptr &&
        service->FindMethodByName(method.substr(sizeof(kControlPrefix) - 1)) != nullptr) {
      method = method.substr(sizeof(kControlPrefix) - 1);
    } else {
      method = "unknown";
    }
    return new ControlMetricsInterceptor(metrics_, std::move(method));
  }

 private:
  HostMetrics* metrics_;
};

}  // namespace

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
MakeControlMetricsInterceptor(HostMetrics* metrics) {
  return std::make_unique<Factory>(metrics);
}

}  // namespace paddock::host
