// What paddockd tells its service manager, and when: READY=1 once the first supervision
// pass has settled (every plugin serving, failed, backing off, stopped or invalid, or
// health.start_timeout_ms + 1 s after Start(), whichever comes first), RELOADING=1 on
// SIGUSR2 and READY=1 once that reload round is done, STOPPING=1 on shutdown, a STATUS=
// line ("5 plugins serving") kept current, and watchdog pings from the event loop (so a
// stuck loop is noticed).
//
// Loop thread only. Timers it sets are cancelled by Stopping() and by the destructor.
#pragma once

#include <cstddef>
#include <functional>
#include <string>

#include "absl/time/time.h"
#include "host/event_loop.h"
#include "host/service_notifier.h"
#include "paddock/v1/control.pb.h"

namespace paddock::host {

// Plugin counts by state, from a ListResponse.
struct PluginSummary {
  size_t total = 0;  // Every listed plugin, invalid files included.
  size_t serving = 0;
  size_t starting = 0;
  size_t backoff = 0;
  size_t failed = 0;
  size_t stopped = 0;
  size_t invalid = 0;
  size_t draining = 0;
};

// Counts the plugins of `list` by state (STATE_UNSPECIFIED counts as starting).
PluginSummary SummarizePlugins(const paddock::v1::ListResponse& list);
// True when no plugin is still on its way up (starting).
bool Settled(const PluginSummary& s);
// One line for STATUS=, e.g. "5 plugins serving", "4 of 6 plugins serving; 1 failed,
// 1 invalid", "no plugins".
std::string StatusLine(const PluginSummary& s);

class ServiceStatus {
 public:
  using ListFn = std::function<paddock::v1::ListResponse()>;

  // `loop`, `notifier` must outlive this. `list` is called on the loop thread
  // (Supervisor::ListOnLoop). `ready_deadline`: the longest READY=1 waits after Started().
  ServiceStatus(EventLoop* loop, ServiceNotifier* notifier, ListFn list,
                absl::Duration ready_deadline);
  ~ServiceStatus();
  ServiceStatus(const ServiceStatus&) = delete;
  ServiceStatus& operator=(const ServiceStatus&) = delete;

  // The supervisor's Start() has run: poll until settled (or the deadline), then READY=1.
  // Also starts the watchdog pings when the service has a watchdog.
  void Started();
  // SIGUSR2 arrived: RELOADING=1 (only once READY=1 was sent; before that the pending
  // READY=1 covers the reload too). Each call must be paired with one Reloaded().
  void Reloading();
  // A reload asked for by Reloading() ended: READY=1 with a fresh status once none is
  // outstanding (signals that coalesce into one round are answered together).
  void Reloaded();
  // Shutdown began: STOPPING=1; no further READY or STATUS is sent.
  void Stopping();

  bool ready_sent() const { return ready_sent_; }

 private:
  void Poll();
  void RefreshStatus();
  void PingWatchdog();
  void Report(const absl::Status& st);

  EventLoop* const loop_;
  ServiceNotifier* const notifier_;
  const ListFn list_;
  const absl::Duration ready_deadline_;
  absl::Time started_at_ = absl::InfinitePast();
  bool ready_sent_ = false;
  int reloads_outstanding_ = 0;  // Reloading() calls not yet matched by Reloaded().
  bool stopping_ = false;
  bool send_failed_ = false;  // Logged once.
  std::string last_status_;
  EventLoop::TimerId poll_timer_ = 0;
  EventLoop::TimerId watchdog_timer_ = 0;
};

}  // namespace paddock::host
