// Counts the plugin's own calls in flight, so Drain can wait for them.
#pragma once

#include <cstdint>
#include <memory>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/support/server_interceptor.h"

namespace paddock::sdk {

// The number of user calls in flight. Lifecycle and health calls are not counted. Thread-safe.
class InflightTracker {
 public:
  void Begin();
  void End();
  uint64_t count() const;

  // Waits until no call is in flight or `deadline` passes; returns the count then.
  uint64_t WaitIdle(absl::Time deadline) const;

  // An interceptor factory for grpc::ServerBuilder that holds one count per user call, from
  // the call's arrival until just before its status is sent (or until the call object is
  // destroyed, for a call that never sends one). `this` must outlive the server.
  std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> InterceptorFactory();

 private:
  mutable absl::Mutex mu_;
  uint64_t count_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace paddock::sdk
