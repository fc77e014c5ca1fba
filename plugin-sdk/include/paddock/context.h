// What a plugin gets from the SDK during and after Init.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "grpcpp/impl/codegen/service_type.h"
#include "paddock/config.h"
#include "paddock/fd.h"
#include "paddock/metrics.h"

namespace paddock {

// Services, identity, configuration and resources of one plugin instance. Owned by the SDK;
// valid from Init until RunPlugin returns. Thread-safe unless noted.
class Context {
 public:
  virtual ~Context() = default;

  // Registers a gRPC service. `service` is not owned and must outlive the server. Only
  // during Init (not thread-safe).
  virtual void AddService(grpc::Service* service) = 0;

  // Plugin name, from the manifest.
  virtual const std::string& name() const = 0;
  // Generation of this instance (increments on every hot reload).
  virtual uint64_t generation() const = 0;
  // Persistent data directory, the same for every generation; "" when the manifest did not
  // ask for one.
  virtual const std::string& data_dir() const = 0;

  // The config snapshot in force. Never blocks on a writer.
  virtual std::shared_ptr<const ConfigSnapshot> config() const = 0;

  // Takes the descriptor the host pre-opened for socket `name` (declared in the manifest).
  // Each name can be taken once. NotFound if the host did not pass one by that name.
  virtual absl::StatusOr<UniqueFd> TakeSocket(const std::string& name) = 0;

  // The plugin's metrics, scraped by the host.
  virtual MetricsRegistry& metrics() = 0;

  // True once the host asked this instance to drain; long-running streams should end.
  virtual bool draining() const = 0;
};

}  // namespace paddock
