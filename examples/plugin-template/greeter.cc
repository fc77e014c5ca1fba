// The plugin template: one gRPC service, one config field, one metric. Copy this folder
// to start a plugin (docs/first-plugin.md walks through it).
#include <memory>
#include <string>

#include "greeter.grpc.pb.h"
#include "paddock/plugin.h"

namespace {

using greeter::v1::GreeterConfig;
using greeter::v1::GreetReply;
using greeter::v1::GreetRequest;

// Handlers run on gRPC's threads, concurrently with each other and with Configure.
class GreeterService final : public greeter::v1::Greeter::Service {
 public:
  grpc::Status Greet(grpc::ServerContext*, const GreetRequest* req, GreetReply* reply) override {
    std::shared_ptr<const std::string> greeting = greeting_.Load();  // Never blocks.
    const std::string name = req->name().empty() ? "world" : req->name();
    reply->set_message(*greeting + ", " + name + "!");
    if (greets_ != nullptr) greets_->Increment();
    return grpc::Status::OK;
  }

  void set_greeting(std::string g) { greeting_.Store(std::make_shared<const std::string>(g)); }
  void set_counter(paddock::Counter* c) { greets_ = c; }

 private:
  paddock::AtomicSnapshot<std::string> greeting_{std::make_shared<const std::string>("Hello")};
  paddock::Counter* greets_ = nullptr;  // Owned by the context's registry; set in Init.
};

class Greeter final : public paddock::Plugin {
 public:
  absl::Status Init(paddock::Context& ctx) override {
    service_.set_counter(&ctx.metrics().GetCounter("greets_total", "Greetings served"));
    ctx.AddService(&service_);
    return absl::OkStatus();
  }

  // Every config snapshot, the first included. A bad one is rejected (strict parsing:
  // unknown fields are errors) and the previous greeting stays in force.
  absl::Status Configure(const paddock::ConfigSnapshot& snapshot) override {
    absl::StatusOr<GreeterConfig> config = snapshot.As<GreeterConfig>();
    if (!config.ok()) return config.status();
    service_.set_greeting(config->greeting().empty() ? "Hello" : config->greeting());
    paddock::log::Info("configured", {{"greeting", config->greeting()}});
    return absl::OkStatus();
  }

 private:
  GreeterService service_;
};

}  // namespace

PADDOCK_PLUGIN(Greeter)
