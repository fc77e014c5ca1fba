// Turns SIGTERM/SIGINT and the lifecycle Shutdown call into one event the SDK's main thread
// waits for.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "paddock/fd.h"

namespace paddock::sdk {

class ShutdownSignal {
 public:
  // Why the main thread woke up.
  struct Request {
    std::string reason;    // "SIGTERM", "SIGINT" or "shutdown call".
    absl::Duration grace;  // Time left before the host may SIGKILL us.
  };

  // Blocks SIGTERM and SIGINT in the calling thread and opens a signalfd for them plus an
  // eventfd for Trigger(). Must be called before any other thread starts (gRPC's threads
  // inherit the mask, so the signals reach only the signalfd). `default_grace` is the grace
  // assumed for signals.
  static absl::StatusOr<std::unique_ptr<ShutdownSignal>> Create(absl::Duration default_grace);

  // Wakes Wait() with reason "shutdown call". Thread-safe; the first Trigger's grace wins.
  void Trigger(absl::Duration grace);

  // Blocks until a signal arrives or Trigger() is called.
  absl::StatusOr<Request> Wait();

 private:
  ShutdownSignal(UniqueFd signal_fd, UniqueFd event_fd, absl::Duration default_grace)
      : signal_fd_(std::move(signal_fd)),
        event_fd_(std::move(event_fd)),
        default_grace_(default_grace) {}

  UniqueFd signal_fd_;
  UniqueFd event_fd_;
  const absl::Duration default_grace_;
  std::atomic<int64_t> trigger_grace_ms_{-1};
};

}  // namespace paddock::sdk
