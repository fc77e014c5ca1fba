// The whole contract between a plugin author and Paddock. A plugin is a class derived from
// paddock::Plugin plus one PADDOCK_PLUGIN(Class) line; its manifest (name, version,
// services, sandbox request) is embedded at build time by paddock_add_plugin() in CMake.
//
// What the SDK does for the author: reads the bootstrap from fd 3, serves gRPC on the unix
// socket the host names with mutual TLS (only the host's certificate is accepted), serves
// grpc.health.v1 and the lifecycle service, swaps configuration snapshots, counts in-flight
// calls and drains them, turns SIGTERM into a graceful shutdown, and logs to stderr in the
// structured form the host parses. The author never touches credentials or signals.
//
//   class Hello final : public paddock::Plugin {
//    public:
//     absl::Status Init(paddock::Context& ctx) override {
//       ctx.AddService(&service_);
//       return absl::OkStatus();
//     }
//    private:
//     HelloService service_;
//   };
//   PADDOCK_PLUGIN(Hello)
#pragma once

#include <memory>

#include "absl/status/status.h"
#include "paddock/config.h"
#include "paddock/context.h"
#include "paddock/log.h"

namespace paddock {

// A plugin. The SDK calls these methods from its main thread, in this order:
// Init, (Configure)*, then Drain and Shutdown. gRPC handlers run on gRPC's threads.
class Plugin {
 public:
  virtual ~Plugin() = default;

  // Registers services with `ctx` and opens resources. `ctx` outlives the plugin's services.
  // A non-OK status aborts the start (reported to the host, which shows it in status).
  virtual absl::Status Init(Context& ctx) = 0;

  // Offered every config snapshot, the first one before Init returns (ctx.config() holds
  // it). Return a non-OK status to reject it: the previous snapshot stays in force and the
  // host reports the error. Runs on the SDK's control thread, concurrently with handlers;
  // publish derived state with AtomicSnapshot. The default accepts anything.
  virtual absl::Status Configure(const ConfigSnapshot& snapshot) {
    (void)snapshot;
    return absl::OkStatus();
  }

  // The host is moving traffic away (reload or stop): no new calls will arrive. Flush
  // buffers that the next generation needs. Optional.
  virtual void Drain() {}

  // Last call before exit: in-flight calls are done (or the deadline passed). Persist
  // anything that must survive. Optional.
  virtual void Shutdown() {}
};

// Runs `plugin` to completion: bootstrap, serve, drain, shutdown. Returns the process exit
// code. Called by PADDOCK_PLUGIN's main().
int RunPlugin(std::unique_ptr<Plugin> plugin, int argc, char** argv);

}  // namespace paddock

// Defines main() for plugin class `Class` (default-constructible).
#define PADDOCK_PLUGIN(Class)                                          \
  int main(int argc, char** argv) {                                    \
    return ::paddock::RunPlugin(std::make_unique<Class>(), argc, argv); \
  }
