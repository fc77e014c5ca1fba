// In-flight call counting (see inflight.h).
#include "plugin-sdk/inflight.h"

#include <atomic>
#include <string_view>

namespace paddock::sdk {
namespace {

// Methods of these services are the host's management traffic, not the plugin's work.
constexpr std::string_view kUncountedPrefixes[] = {"/paddock.v1.PluginLifecycle/",
                                                   "/grpc.health.v1.Health/"};

// Holds one count from the call's creation until its status is about to be sent (the
// client cannot have its answer before then), or until the call object dies if no status is
// ever sent (e.g. the call was cancelled).
class CountingInterceptor final : public grpc::experimental::Interceptor {
 public:
  explicit CountingInterceptor(InflightTracker* tracker) : tracker_(tracker) { tracker_->Begin(); }
  ~CountingInterceptor() override { Release(); }
  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            grpc::experimental::InterceptionHookPoints::PRE_SEND_STATUS)) {
      Release();
    }
    methods->Proceed();
  }

 private:
  void Release() {
    if (counted_.exchange(false)) tracker_->End();
  }

  InflightTracker* const tracker_;
  std::atomic<bool> counted_{true};
};

class CountingFactory final : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit CountingFactory(InflightTracker* tracker) : tracker_(tracker) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    const char* method = info->method();
    if (method == nullptr) return nullptr;
    for (std::string_view prefix : kUncountedPrefixes) {
      if (std::string_view(method).starts_with(prefix))
        return nullptr;  // gRPC skips null interceptors.
    }
    return new CountingInterceptor(tracker_);  // Owned by the call's ServerRpcInfo.
  }

 private:
  InflightTracker* const tracker_;
};

}  // namespace

void InflightTracker::Begin() {
  absl::MutexLock lock(&mu_);
  ++count_;
}

void InflightTracker::End() {
  absl::MutexLock lock(&mu_);
  --count_;
}

uint64_t InflightTracker::count() const {
  absl::MutexLock lock(&mu_);
  return count_;
}

uint64_t InflightTracker::WaitIdle(absl::Time deadline) const {
  absl::MutexLock lock(&mu_);
  auto idle = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return count_ == 0; };
  mu_.AwaitWithDeadline(absl::Condition(&idle), deadline);
  return count_;
}

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
InflightTracker::InterceptorFactory() {
  return std::make_unique<CountingFactory>(this);
}

}  // namespace paddock::sdk
