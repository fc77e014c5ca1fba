// Which generation of each plugin receives calls. Flipping a route is one pointer swap under
// a mutex; a call holds its Route for its whole duration, so the old generation's channel
// stays alive for calls already on it, and `inflight` tells the supervisor when the old
// generation has finished every call the host sent it.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "host/method_catalog.h"
#include "host/plugin_client.h"

namespace paddock::host {

struct Route {
  std::string plugin;
  uint64_t generation = 0;
  std::shared_ptr<PluginClient> client;
  std::shared_ptr<const MethodCatalog> catalog;
  // Calls through the host currently using this route.
  mutable std::atomic<int64_t> inflight{0};
};

// Counts one call on a route for as long as it lives.
class RouteCall {
 public:
  explicit RouteCall(std::shared_ptr<const Route> r) : route_(std::move(r)) {
    route_->inflight.fetch_add(1, std::memory_order_acq_rel);
  }
  ~RouteCall() { route_->inflight.fetch_sub(1, std::memory_order_acq_rel); }
  RouteCall(const RouteCall&) = delete;
  RouteCall& operator=(const RouteCall&) = delete;
  const Route& operator*() const { return *route_; }
  const Route* operator->() const { return route_.get(); }
  const std::shared_ptr<const Route>& route() const { return route_; }

 private:
  std::shared_ptr<const Route> route_;
};

// Thread-safe.
class Router {
 public:
  // Makes `route` the one receiving calls for its plugin; returns the one it replaced.
  std::shared_ptr<const Route> Set(std::shared_ptr<const Route> route);
  // Removes the plugin's route if it is still `generation`.
  void Remove(const std::string& plugin, uint64_t generation);
  // The route in force, or null when the plugin is not serving.
  std::shared_ptr<const Route> Get(const std::string& plugin) const;
  // The route in force with this call already counted on it, or null. Counting under the
  // router's lock means that once a flip returns, no new call can start on the old route:
  // the supervisor may retire it as soon as its `inflight` drops to zero.
  std::unique_ptr<RouteCall> Acquire(const std::string& plugin) const;

 private:
  mutable absl::Mutex mu_;
  std::map<std::string, std::shared_ptr<const Route>, std::less<>> routes_ ABSL_GUARDED_BY(mu_);
};

}  // namespace paddock::host
