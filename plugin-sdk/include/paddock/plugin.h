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

// A plugin. The SDK owns the object (RunPlugin takes it) and calls these methods one at a
// time, never two at once, in this order: Init, Configure (the bootstrap's snapshot), then
// Configure for every later snapshot, Drain and Shutdown. gRPC handlers run on gRPC's
// threads, concurrently with all of them (but never before Init returns or after Shutdown
// returns). Methods must not throw; report failure with a non-OK absl::Status.
class Plugin {
 public:
  virtual ~Plugin() = default;

  // Registers services with `ctx` and opens resources. Runs on the main thread before the
  // server starts; `ctx` is owned by the SDK and outlives the plugin's services. A non-OK
  // status aborts the start: the process exits with 1 and the host shows the message in
  // `paddockctl status`.
  virtual absl::Status Init(Context& ctx) = 0;

  // Offered every config snapshot. The first one (the bootstrap's, which ctx.config()
  // already holds during Init) comes on the main thread right after Init succeeds and
  // before the server starts; rejecting it aborts the start. Later ones come from the host,
  // on a gRPC thread: return a non-OK status to reject one, the previous snapshot stays in
  // force and the host reports the message. Versions older than the one in force are
  // refused by the SDK without calling this. `snapshot` is only borrowed for the call (the
  // accepted one is in ctx.config() afterwards). Runs concurrently with handlers; publish
  // derived state with AtomicSnapshot. The default accepts anything.
  virtual absl::Status Configure(const ConfigSnapshot& snapshot) {
    (void)snapshot;
    return absl::OkStatus();
  }

  // The host is moving traffic away (reload or stop): no new calls will arrive, calls in
  // flight continue. Flush buffers that the next generation needs. Called at most once, on
  // a gRPC thread or the main thread; ctx.draining() is already true. Optional.
  virtual void Drain() {}

  // Last call before exit, on the main thread: in-flight calls are done (or the host's
  // deadline passed). Persist anything that must survive. Called at most once. Optional.
  virtual void Shutdown() {}
};

// Runs `plugin` to completion: bootstrap, serve, drain, shutdown. Call it once per process,
// from main() before starting any thread (PADDOCK_PLUGIN does): it blocks SIGTERM and SIGINT
// in every thread and turns them into a graceful shutdown, and ignores SIGPIPE; a plugin
// installs no handlers for those. The gRPC server, its mutual TLS credentials and the
// bootstrap on fd 3 are the SDK's; a plugin never sees them. Returns the process exit code:
// 0 after a clean shutdown (SIGTERM, SIGINT or the host's Shutdown call); 1 if the plugin
// could not start (Init failed, initial config rejected, cannot listen); 2 for usage errors,
// a missing or malformed bootstrap on fd 3, or a binary without an embedded manifest.
// `--manifest` prints the embedded manifest as JSON and returns 0 (no host needed).
int RunPlugin(std::unique_ptr<Plugin> plugin, int argc, char** argv);

}  // namespace paddock

// Defines main() for plugin class `Class` (default-constructible).
#define PADDOCK_PLUGIN(Class)                                           \
  int main(int argc, char** argv) {                                     \
    return ::paddock::RunPlugin(std::make_unique<Class>(), argc, argv); \
  }
