// The "sdk-test" plugin: a Sleep call to hold calls in flight, a counter metric, a config
// that can be made to reject, and log lines the tests look for on stderr.
#include <chrono>
#include <thread>

#include "paddock/plugin.h"
#include "sdk_test.grpc.pb.h"

namespace {

using paddock::sdktest::v1::SdkTestConfig;
using paddock::sdktest::v1::SleepReply;
using paddock::sdktest::v1::SleepRequest;

class SdkTestService final : public paddock::sdktest::v1::SdkTest::Service {
 public:
  grpc::Status Sleep(grpc::ServerContext*, const SleepRequest* req, SleepReply* reply) override {
    sleeps_->Increment();
    std::this_thread::sleep_for(std::chrono::milliseconds(req->ms()));
    reply->set_draining(ctx_->draining());
    return grpc::Status::OK;
  }
  void Start(paddock::Context& ctx) {
    ctx_ = &ctx;
    sleeps_ = &ctx.metrics().GetCounter("sleeps_total", "Sleep calls received");
    ctx.metrics().GetHistogram("sleep_ms", "Requested sleep", {1, 10, 100}).Observe(5);
  }

 private:
  paddock::Context* ctx_ = nullptr;
  paddock::Counter* sleeps_ = nullptr;
};

class SdkTest final : public paddock::Plugin {
 public:
  absl::Status Init(paddock::Context& ctx) override {
    service_.Start(ctx);
    ctx.AddService(&service_);
    return absl::OkStatus();
  }
  absl::Status Configure(const paddock::ConfigSnapshot& snapshot) override {
    absl::StatusOr<SdkTestConfig> config = snapshot.As<SdkTestConfig>();
    if (!config.ok()) return config.status();
    if (config->reject()) return absl::InvalidArgumentError("told to reject");
    return absl::OkStatus();
  }
  void Drain() override { paddock::log::Info("test plugin: Drain called"); }
  void Shutdown() override { paddock::log::Info("test plugin: Shutdown called"); }

 private:
  SdkTestService service_;
};

}  // namespace

PADDOCK_PLUGIN(SdkTest)
