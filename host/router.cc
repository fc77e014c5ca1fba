#include "host/router.h"

namespace paddock::host {

std::shared_ptr<const Route> Router::Set(std::shared_ptr<const Route> route) {
  absl::MutexLock lock(&mu_);
  auto& slot = routes_[route->plugin];
  std::shared_ptr<const Route> old = std::move(slot);
  slot = std::move(route);
  return old;
}

void Router::Remove(const std::string& plugin, uint64_t generation) {
  absl::MutexLock lock(&mu_);
  auto it = routes_.find(plugin);
  if (it != routes_.end() && it->second->generation == generation) routes_.erase(it);
}

std::unique_ptr<RouteCall> Router::Acquire(const std::string& plugin) const {
  absl::ReaderMutexLock lock(&mu_);
  auto it = routes_.find(plugin);
  if (it == routes_.end()) return nullptr;
  return std::make_unique<RouteCall>(it->second);
}

std::shared_ptr<const Route> Router::Get(const std::string& plugin) const {
  absl::ReaderMutexLock lock(&mu_);
  auto it = routes_.find(plugin);
  return it == routes_.end() ? nullptr : it->second;
}

}  // namespace paddock::host
