// The SDK's implementation of paddock::Context for one plugin instance.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "paddock/context.h"
#include "paddock/v1/bootstrap.pb.h"
#include "plugin-sdk/host_channel.h"

namespace paddock::sdk {

class ContextImpl final : public Context {
 public:
  // Takes ownership of the descriptors listed in `b.fds()` (already validated to be open).
  // Makes the channel to the host's invoke socket when the bootstrap names one, so construct
  // it before the bootstrap's private key is wiped.
  explicit ContextImpl(const v1::Bootstrap& b);

  void AddService(grpc::Service* service) override;
  const std::string& name() const override { return name_; }
  uint64_t generation() const override { return generation_; }
  const std::string& data_dir() const override { return data_dir_; }
  std::shared_ptr<const ConfigSnapshot> config() const override { return config_.Load(); }
  absl::StatusOr<UniqueFd> TakeSocket(const std::string& name) override;
  MetricsRegistry& metrics() override { return metrics_; }
  bool draining() const override { return draining_.load(std::memory_order_acquire); }
  absl::StatusOr<std::string> Invoke(const std::string& target, const std::string& json,
                                     absl::Duration timeout) override;
  absl::Status CheckInvoke(const std::string& target, absl::Duration timeout) override;

  // SDK side.
  // Services registered during Init, in order. Closes registration.
  std::vector<grpc::Service*> TakeServices();
  // Puts `snapshot` in force.
  void SetConfig(std::shared_ptr<const ConfigSnapshot> snapshot) {
    config_.Store(std::move(snapshot));
  }
  void SetDraining() { draining_.store(true, std::memory_order_release); }

 private:
  const std::string name_;
  const uint64_t generation_;
  const std::string data_dir_;
  AtomicSnapshot<ConfigSnapshot> config_;
  MetricsRegistry metrics_;
  std::atomic<bool> draining_{false};
  std::vector<grpc::Service*> services_;  // Only touched on the SDK's main thread.
  bool services_closed_ = false;

  const std::unique_ptr<HostChannel> host_;  // Null without a host socket.

  absl::Mutex sockets_mu_;
  std::map<std::string, UniqueFd> sockets_ ABSL_GUARDED_BY(sockets_mu_);
};

// The snapshot for a ConfigSnapshot proto: "" json becomes "{}".
std::shared_ptr<const ConfigSnapshot> MakeSnapshot(const v1::ConfigSnapshot& proto);

}  // namespace paddock::sdk
