// The example plugin: serves paddock.hello.v1.Hello. Its config is {"greeting": "..."}.
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "hello.grpc.pb.h"
#include "paddock/plugin.h"

namespace {

using paddock::hello::v1::GreetReply;
using paddock::hello::v1::GreetRequest;
using paddock::hello::v1::HelloConfig;

// The plugin is its own gRPC service: Init registers it, and Greet runs on gRPC's threads.
class Hello final : public paddock::Plugin, public paddock::hello::v1::Hello::Service {
 public:
  absl::Status Init(paddock::Context& ctx) override {  // Before the server starts.
    generation_ = ctx.generation();
    // The host exports it as paddock_plugin_greetings_total{plugin="hello"}.
    greetings_ = &ctx.metrics().GetCounter("greetings_total", "Greetings sent.");
    ctx.AddService(this);
    return absl::OkStatus();
  }

  // Every config snapshot, the first one included; a bad one is rejected and the old
  // greeting stays in force.
  absl::Status Configure(const paddock::ConfigSnapshot& snapshot) override {
    absl::StatusOr<HelloConfig> config = snapshot.As<HelloConfig>();
    if (!config.ok()) return config.status();
    std::string greeting = config->greeting().empty() ? "Hello" : config->greeting();
    greeting_.Store(std::make_shared<const std::string>(greeting));
    paddock::log::Info("greeting set", {{"greeting", greeting}});
    return absl::OkStatus();
  }

  grpc::Status Greet(grpc::ServerContext*, const GreetRequest* req, GreetReply* reply) override {
    std::shared_ptr<const std::string> greeting = greeting_.Load();  // Never blocks.
    const std::string& name = req->name().empty() ? "world" : req->name();
    reply->set_message(absl::StrCat(*greeting, ", ", name, "!"));
    reply->set_generation(generation_);
    greetings_->Increment();
    return grpc::Status::OK;
  }

 private:
  uint64_t generation_ = 0;
  paddock::Counter* greetings_ = nullptr;
  paddock::AtomicSnapshot<std::string> greeting_;
};

}  // namespace

PADDOCK_PLUGIN(Hello)
