#include "host/service_status.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "host/host_log.h"

namespace paddock::host {
namespace {

// How often the plugin states are looked at before READY=1 (the first supervision pass)
// and after it (STATUS= is re-sent only when its text changes).
constexpr absl::Duration kStartingPoll = absl::Milliseconds(50);
constexpr absl::Duration kStatusPoll = absl::Seconds(2);

std::string Plural(size_t n, const char* one, const char* many) {
  return absl::StrCat(n, " ", n == 1 ? one : many);
}

}  // namespace

PluginSummary SummarizePlugins(const paddock::v1::ListResponse& list) {
  PluginSummary s;
  for (const auto& p : list.plugins()) {
    ++s.total;
    switch (p.state()) {
      case paddock::v1::STATE_SERVING:
        ++s.serving;
        break;
      case paddock::v1::STATE_BACKOFF:
        ++s.backoff;
        break;
      case paddock::v1::STATE_FAILED:
        ++s.failed;
        break;
      case paddock::v1::STATE_STOPPED:
        ++s.stopped;
        break;
      case paddock::v1::STATE_INVALID:
        ++s.invalid;
        break;
      case paddock::v1::STATE_DRAINING:
        ++s.draining;
        break;
      default:
        ++s.starting;
        break;
    }
  }
  return s;
}

bool Settled(const PluginSummary& s) { return s.starting == 0; }

std::string StatusLine(const PluginSummary& s) {
  if (s.total == 0) return "no plugins";
  std::string line =
      s.serving == s.total
          ? Plural(s.total, "plugin serving", "plugins serving")
          : absl::StrCat(s.serving, " of ", Plural(s.total, "plugin serving", "plugins serving"));
  std::vector<std::string> rest;
  if (s.starting) rest.push_back(absl::StrCat(s.starting, " starting"));
  if (s.draining) rest.push_back(absl::StrCat(s.draining, " draining"));
  if (s.backoff) rest.push_back(absl::StrCat(s.backoff, " restarting"));
  if (s.failed) rest.push_back(absl::StrCat(s.failed, " failed"));
  if (s.stopped) rest.push_back(absl::StrCat(s.stopped, " stopped"));
  if (s.invalid) rest.push_back(absl::StrCat(s.invalid, " invalid"));
  if (!rest.empty()) absl::StrAppend(&line, "; ", absl::StrJoin(rest, ", "));
  return line;
}

ServiceStatus::ServiceStatus(EventLoop* loop, ServiceNotifier* notifier, ListFn list,
                             absl::Duration ready_deadline)
    : loop_(loop), notifier_(notifier), list_(std::move(list)), ready_deadline_(ready_deadline) {}

ServiceStatus::~ServiceStatus() {
  loop_->Cancel(poll_timer_);
  loop_->Cancel(watchdog_timer_);
}

void ServiceStatus::Started() {
  started_at_ = absl::Now();
  if (notifier_->watchdog_interval() > absl::ZeroDuration()) PingWatchdog();
  Poll();
}

void ServiceStatus::Poll() {
  poll_timer_ = 0;
  if (stopping_) return;
  if (!ready_sent_) {
    PluginSummary s = SummarizePlugins(list_());
    bool late = absl::Now() - started_at_ >= ready_deadline_;
    if (Settled(s) || late) {
      last_status_ = StatusLine(s);
      if (!Settled(s)) {
        HostLog(LogLevel::kWarn, absl::StrCat("ready after ", absl::FormatDuration(ready_deadline_),
                                              " with plugins still starting: ", last_status_));
      }
      Report(notifier_->Ready(last_status_));
      ready_sent_ = true;
      HostLog(LogLevel::kInfo, absl::StrCat("ready: ", last_status_));
    }
  } else if (reloads_outstanding_ == 0) {
    RefreshStatus();
  }
  poll_timer_ = loop_->RunAfter(ready_sent_ ? kStatusPoll : kStartingPoll, [this] { Poll(); });
}

void ServiceStatus::RefreshStatus() {
  std::string line = StatusLine(SummarizePlugins(list_()));
  if (line == last_status_) return;
  last_status_ = line;
  Report(notifier_->Status(line));
}

void ServiceStatus::Reloading() {
  if (!ready_sent_ || stopping_) return;
  if (reloads_outstanding_++ > 0) return;
  Report(notifier_->Reloading("reloading plugins"));
}

void ServiceStatus::Reloaded() {
  if (reloads_outstanding_ == 0) return;
  if (--reloads_outstanding_ > 0 || stopping_) return;
  last_status_ = StatusLine(SummarizePlugins(list_()));
  Report(notifier_->Ready(last_status_));
}

void ServiceStatus::Stopping() {
  if (stopping_) return;
  stopping_ = true;
  loop_->Cancel(poll_timer_);
  poll_timer_ = 0;
  // The watchdog keeps running: stopping every plugin may take the whole grace period.
  Report(notifier_->Stopping("stopping every plugin"));
}

void ServiceStatus::PingWatchdog() {
  Report(notifier_->Watchdog());
  watchdog_timer_ = loop_->RunAfter(notifier_->watchdog_interval(), [this] { PingWatchdog(); });
}

void ServiceStatus::Report(const absl::Status& st) {
  if (st.ok() || send_failed_) return;
  send_failed_ = true;
  HostLog(LogLevel::kWarn,
          absl::StrCat("service manager notification failed (logged once): ", st.message()));
}

}  // namespace paddock::host
