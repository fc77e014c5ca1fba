#include "host/service_notifier.h"

#include <systemd/sd-daemon.h>
#include <time.h>

#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "paddock/errno_status.h"

namespace paddock::host {
namespace {

// STATUS= is one line: a newline would start a new (bogus) assignment.
std::string OneLine(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return out;
}

uint64_t MonotonicUsec() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000 + static_cast<uint64_t>(ts.tv_nsec) / 1000;
}

}  // namespace

std::unique_ptr<ServiceNotifier> ServiceNotifier::FromEnvironment() {
  const char* socket = getenv("NOTIFY_SOCKET");
  bool enabled = socket != nullptr && *socket != '\0';
  uint64_t usec = 0;
  // > 0 only when $WATCHDOG_USEC is set and $WATCHDOG_PID is unset or names this process.
  absl::Duration interval = absl::ZeroDuration();
  if (enabled && sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
    interval = absl::Microseconds(static_cast<int64_t>(usec / 2));
  }
  return std::unique_ptr<ServiceNotifier>(new ServiceNotifier(enabled, interval));
}

absl::Status ServiceNotifier::Send(std::string_view state) {
  if (!enabled_) return absl::OkStatus();
  std::string msg(state);
  int r = sd_notify(0, msg.c_str());
  if (r < 0) return ErrnoStatus(-r, "sd_notify");
  return absl::OkStatus();
}

absl::Status ServiceNotifier::Ready(std::string_view status) {
  return Send(absl::StrCat("READY=1\nSTATUS=", OneLine(status)));
}

std::string ServiceNotifier::ReloadingMessage(uint64_t monotonic_usec, std::string_view status) {
  return absl::StrCat("RELOADING=1\nMONOTONIC_USEC=", monotonic_usec, "\nSTATUS=", OneLine(status));
}

absl::Status ServiceNotifier::Reloading(std::string_view status) {
  return Send(ReloadingMessage(MonotonicUsec(), status));
}

absl::Status ServiceNotifier::Stopping(std::string_view status) {
  return Send(absl::StrCat("STOPPING=1\nSTATUS=", OneLine(status)));
}

absl::Status ServiceNotifier::Status(std::string_view status) {
  return Send(absl::StrCat("STATUS=", OneLine(status)));
}

absl::Status ServiceNotifier::Watchdog() { return Send("WATCHDOG=1"); }

}  // namespace paddock::host
