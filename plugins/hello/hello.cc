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

class HelloService final : public paddock::hello::v1::Hello::Service {
 public:
  grpc::Status Greet(grpc::ServerContext*, const GreetRequest* req, GreetReply* reply) override {
    std::shared_ptr<const std::string> greeting = greeting_.Load();  // Never blocks.
    const std::string& name = req->name().empty() ? "world" : req->name();
    reply->set_message(absl::StrCat(*greeting, ", ", name, "!"));
    reply->set_generation(generation_);
    greetings_->Increment();
    return grpc::Status::OK;
  }

  void set_generation(uint64_t generation) { generation_ = generation; }
  // The counter of greetings sent; set in Init, before the server starts.
  void set_counter(paddock::Counter* greetings) { greetings_ = greetings; }
  void set_greeting(std::string greeting) {
    greeting_.Store(std::make_shared<const std::string>(std::move(greeting)));
  }

 private:
  uint64_t generation_ = 0;  // Set in Init, before the server starts.
  paddock::Counter* greetings_ = nullptr;
  paddock::AtomicSnapshot<std::string> greeting_;
};

class Hello final : public paddock::Plugin {
 public:
  absl::Status Init(paddock::Context& ctx) override {
    service_.set_generation(ctx.generation());
    // Exported by the host as paddock_plugin_greetings_total{plugin="hello"}.
    service_.set_counter(&ctx.metrics().GetCounter("greetings_total", "Greetings sent."));
    ctx.AddService(&service_);
    return absl::OkStatus();
  }

  // Every config snapshot, the first one included; a bad one is rejected and the old
  // greeting stays in force.
  absl::Status Configure(const paddock::ConfigSnapshot& snapshot) override {
    absl::StatusOr<HelloConfig> config = snapshot.As<HelloConfig>();
    if (!config.ok()) return config.status();
    service_.set_greeting(config->greeting().empty() ? "Hello" : config->greeting());
    paddock::log::Info("greeting set", {{"greeting", config->greeting()}});
    return absl::OkStatus();
  }

 private:
  HelloService service_;
};

}  // namespace

PADDOCK_PLUGIN(Hello)
