// One running plugin instance: the plugin object, its context and the state the lifecycle
// service manages (config in force, draining, shutdown).
#pragma once

#include <cstdint>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/server.h"
#include "paddock/plugin.h"
#include "paddock/v1/lifecycle.pb.h"
#include "paddock/v1/manifest.pb.h"
#include "plugin-sdk/context_impl.h"
#include "plugin-sdk/inflight.h"
#include "plugin-sdk/shutdown_signal.h"

namespace paddock::sdk {

// Thread-safe. Calls into the Plugin are serialized by one mutex: the plugin never sees two
// of Init/Configure/Drain/Shutdown at once. All references must outlive the Instance.
class Instance {
 public:
  Instance(Plugin& plugin, ContextImpl& ctx, const v1::PluginManifest& manifest,
           InflightTracker& inflight, ShutdownSignal& shutdown);

  // Runs Plugin::Init, then offers it the bootstrap's config. A failed Init or a rejected
  // config is returned (the instance must not serve then).
  absl::Status Start();

  // Tells the instance its server runs (for health) and when serving began.
  void Serving(grpc::Server* server);

  v1::DescribeResponse Describe() const;
  // Offers `snapshot` to the plugin; on OK puts it in force. Versions older than the one in
  // force are refused without asking the plugin; the same version is accepted as a no-op.
  v1::ConfigureResponse Configure(const v1::ConfigSnapshot& snapshot);
  // Health NOT_SERVING, Context::draining() true, Plugin::Drain once, then waits for the
  // in-flight user calls until `deadline`. Returns the calls still in flight.
  uint64_t Drain(absl::Time deadline);
  // Asks the main thread to run the graceful exit path.
  void RequestShutdown(absl::Duration grace) { shutdown_.Trigger(grace); }
  // Runs Plugin::Shutdown (once).
  void FinalShutdown();
  v1::MetricsResponse Metrics() const;

 private:
  Plugin& plugin_;
  ContextImpl& ctx_;
  const v1::PluginManifest& manifest_;
  InflightTracker& inflight_;
  ShutdownSignal& shutdown_;

  // Serializes calls into the plugin and guards the lifecycle state.
  mutable absl::Mutex plugin_mu_;
  bool drained_ ABSL_GUARDED_BY(plugin_mu_) = false;
  bool shut_down_ ABSL_GUARDED_BY(plugin_mu_) = false;

  mutable absl::Mutex mu_;
  grpc::Server* server_ ABSL_GUARDED_BY(mu_) = nullptr;
  absl::Time serving_since_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
};

}  // namespace paddock::sdk
