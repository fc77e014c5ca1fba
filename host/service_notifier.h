// paddockd's side of the systemd service protocol (sd_notify(3), sd_watchdog_enabled(3)):
// READY=1, RELOADING=1, STOPPING=1, STATUS=... and WATCHDOG=1 datagrams to $NOTIFY_SOCKET,
// sent with libsystemd. Outside a Type=notify service (no $NOTIFY_SOCKET) every call does
// nothing, so paddockd runs the same in a shell, a container or a test.
//
// Thread-compatible: one owner (the event-loop thread) calls it.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace paddock::host {

class ServiceNotifier {
 public:
  // Reads $NOTIFY_SOCKET and the watchdog settings ($WATCHDOG_USEC, $WATCHDOG_PID) once.
  // The variables stay set (libsystemd reads $NOTIFY_SOCKET on every send); plugins do
  // not inherit them, because the spawner gives them a fixed environment.
  static std::unique_ptr<ServiceNotifier> FromEnvironment();

  // True when a service manager listens ($NOTIFY_SOCKET is set).
  bool enabled() const { return enabled_; }
  // How often Watchdog() must be called: half of $WATCHDOG_USEC, or zero when the service
  // has no watchdog (or the watchdog is meant for another pid).
  absl::Duration watchdog_interval() const { return watchdog_interval_; }

  // Sends `state` (newline-separated VAR=value assignments) as one datagram. Returns OK
  // when sent or when disabled; the errno of sd_notify otherwise.
  absl::Status Send(std::string_view state);

  // The service is up: "READY=1\nSTATUS=<status>".
  absl::Status Ready(std::string_view status);
  // A reload began: "RELOADING=1\nMONOTONIC_USEC=<now>\nSTATUS=<status>" (systemd >= 253
  // needs MONOTONIC_USEC to match a reload to its request; older ones ignore it).
  absl::Status Reloading(std::string_view status);
  // Shutdown began: "STOPPING=1\nSTATUS=<status>".
  absl::Status Stopping(std::string_view status);
  // "STATUS=<status>" (shown by `systemctl status`). Newlines in `status` become spaces.
  absl::Status Status(std::string_view status);
  // "WATCHDOG=1": the event loop is alive.
  absl::Status Watchdog();

  // The datagram Reloading() sends for a CLOCK_MONOTONIC time in microseconds (exposed
  // for tests).
  static std::string ReloadingMessage(uint64_t monotonic_usec, std::string_view status);

 private:
  ServiceNotifier(bool enabled, absl::Duration watchdog_interval)
      : enabled_(enabled), watchdog_interval_(watchdog_interval) {}

  const bool enabled_;
  const absl::Duration watchdog_interval_;
};

}  // namespace paddock::host
