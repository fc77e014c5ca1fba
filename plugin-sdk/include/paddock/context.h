// What a plugin gets from the SDK during and after Init.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/impl/codegen/service_type.h"
#include "paddock/config.h"
#include "paddock/fd.h"
#include "paddock/metrics.h"

namespace paddock {

// Services, identity, configuration and resources of one plugin instance. Owned by the SDK;
// valid from Init until RunPlugin returns (keep the reference, never delete it).
// Thread-safe unless noted. References it returns live as long as the context.
class Context {
 public:
  virtual ~Context() = default;

  // Registers a gRPC service (synchronous or callback API). `service` is not owned and
  // must outlive RunPlugin; a member of the plugin object does. Only during Init (not
  // thread-safe); a call after Init is logged as an error and the service is not served.
  // nullptr is ignored.
  virtual void AddService(grpc::Service* service) = 0;

  // Plugin name, from the manifest.
  virtual const std::string& name() const = 0;
  // Generation of this instance (increments on every hot reload).
  virtual uint64_t generation() const = 0;
  // Persistent data directory, the same for every generation; "" when the manifest did not
  // ask for one.
  virtual const std::string& data_dir() const = 0;

  // The config snapshot in force (the bootstrap's during Init, then each one the plugin
  // accepted). Never blocks on a writer; keep the shared_ptr as long as needed.
  virtual std::shared_ptr<const ConfigSnapshot> config() const = 0;

  // Takes the descriptor the host pre-opened for socket `name` (declared in the manifest):
  // the caller owns it from then on (close-on-exec, bound, listening for TCP). Each name
  // can be taken once: NotFound if the host passed none by that name, FailedPrecondition
  // if it was taken already.
  virtual absl::StatusOr<UniqueFd> TakeSocket(const std::string& name) = 0;

  // The plugin's metrics, scraped by the host over the lifecycle service.
  virtual MetricsRegistry& metrics() = 0;

  // True once the host asked this instance to drain; long-running streams should end.
  // Cheap (an atomic load); poll it from stream loops.
  virtual bool draining() const = 0;

  // Calls method `target` of another plugin through the host, with request body `json`
  // (proto3 JSON; "" is the empty message), and returns the response as JSON.
  //
  // `target` is "plugin/Method" (the method's name is unique among the target's services),
  // "plugin/pkg.Service/Method" or "plugin//pkg.Service/Method". The host allows the call only
  // if its config lists the target in this plugin's invoke ACL (plugins.<name>.invoke:
  // "plugin/Method" or "plugin/*"); everything else is denied, and the host logs each denial.
  //
  // Errors: PermissionDenied (not in the ACL), NotFound (no such plugin or method),
  // Unavailable (the target is not serving, or this instance has no channel to the host:
  // bootstrap without host_socket_path), InvalidArgument (malformed target or body),
  // DeadlineExceeded (`timeout` passed), or the target's own status, message as it sent it.
  //
  // Thread-safe; blocks for up to `timeout` (plus connection set-up on the first call), so
  // never call it from a thread with deadlines of its own (e.g. a real-time timer thread).
  // Callable from Init on, until RunPlugin returns. The returned string is the caller's.
  virtual absl::StatusOr<std::string> Invoke(const std::string& target, const std::string& json,
                                             absl::Duration timeout) {
    (void)target;
    (void)json;
    (void)timeout;
    return absl::UnavailableError("this context cannot invoke other plugins");
  }

  // Asks the host whether Invoke(target, ...) would be forwarded now: the target resolves to
  // a method the target plugin serves and the ACL allows it. Same errors as Invoke, without
  // calling the target. Thread-safe; blocks for up to `timeout`.
  virtual absl::Status CheckInvoke(const std::string& target, absl::Duration timeout) {
    (void)target;
    (void)timeout;
    return absl::UnavailableError("this context cannot invoke other plugins");
  }
};

}  // namespace paddock
