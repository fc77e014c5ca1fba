// The life of one instance on the loop thread: spawn, bootstrap reply, first health check,
// periodic probes, output capture, exit, restart with backoff, stop.
#include <signal.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "host/host_log.h"
#include "host/log_capture.h"
#include "host/process.h"
#include "host/supervisor.h"
#include "host/supervisor_slot.h"
#include "plugin-sdk/frame.h"

namespace paddock::host {
namespace {

constexpr absl::Duration kFirstProbeRetry = absl::Milliseconds(5);
constexpr size_t kMaxReadPerEvent = 256 << 10;

std::string Label(const Instance& inst) { return absl::StrCat(inst.plugin, " g", inst.generation); }

}  // namespace

Instance* Supervisor::FindInstance(Slot& slot, const Instance* inst) {
  if (slot.active.get() == inst) return slot.active.get();
  if (slot.next.get() == inst) return slot.next.get();
  for (auto& r : slot.retiring) {
    if (r.get() == inst) return r.get();
  }
  return nullptr;
}

void Supervisor::StartInstance(Slot& slot) {
  if (shutting_down_ || slot.active || !slot.sandbox) return;
  slot.backoff_timer = 0;
  auto spawned = Spawn(slot, slot.image, *slot.sandbox);
  if (!spawned.ok()) {
    slot.error = absl::StrCat("spawn failed: ", spawned.status().message());
    slot.last_exit = slot.error;
    HostLog(LogLevel::kError, absl::StrCat(slot.name, ": ", slot.error));
    ScheduleRestart(slot);
    NotifyWaiters(slot);
    return;
  }
  slot.active = std::move(*spawned);
  Instance& inst = *slot.active;
  slot.config_version_in_force = inst.config_version;
  absl::Duration deadline = absl::Milliseconds(config_.config.health().start_timeout_ms());
  inst.start_timer = deps_.loop->RunAfter(deadline, [this, &slot, &inst, deadline] {
    inst.start_timer = 0;
    FailInstance(slot, inst,
                 absl::StrCat("did not become healthy within ", absl::FormatDuration(deadline)));
  });
  HostLogInstance(LogLevel::kDebug, inst.plugin, inst.generation,
                  absl::StrCat("spawned, pid ", inst.pid));
}

void Supervisor::WatchInstance(Slot& slot, Instance& inst) {
  auto& loop = *deps_.loop;
  auto check = [&](absl::Status st) {
    if (!st.ok()) HostLog(LogLevel::kError, absl::StrCat("epoll: ", st.message()));
  };
  check(loop.Watch(inst.pidfd.get(), EPOLLIN,
                   [this, &slot, &inst](uint32_t) { OnExit(slot, inst); }));
  check(loop.Watch(inst.out.get(), EPOLLIN,
                   [this, &slot, &inst](uint32_t ev) { OnOutput(slot, inst, false, ev); }));
  check(loop.Watch(inst.err.get(), EPOLLIN,
                   [this, &slot, &inst](uint32_t ev) { OnOutput(slot, inst, true, ev); }));
  check(loop.Watch(inst.bootstrap.get(), EPOLLIN,
                   [this, &slot, &inst](uint32_t) { OnBootstrapReadable(slot, inst); }));
  if (inst.violations) {
    check(loop.Watch(inst.violations->fd(), EPOLLIN,
                     [this, &slot, &inst](uint32_t ev) { OnViolation(slot, inst, ev); }));
  }
}

void Supervisor::OnBootstrapReadable(Slot& slot, Instance& inst) {
  deps_.loop->Unwatch(inst.bootstrap.get());
  paddock::v1::BootstrapReply reply;
  absl::Status st = sdk::ReadFrame(inst.bootstrap.get(), &reply, absl::Milliseconds(200));
  if (!st.ok()) {
    FailInstance(slot, inst, absl::StrCat("no bootstrap reply: ", st.message()));
    return;
  }
  if (!reply.ready()) {
    FailInstance(slot, inst, absl::StrCat("plugin failed to start: ", reply.error()));
    return;
  }
  inst.client = std::shared_ptr<PluginClient>(
      PluginClient::Create(inst.socket_path, inst.identity, deps_.host_creds));
  ProbeUntilHealthy(slot, inst);
}

void Supervisor::ProbeUntilHealthy(Slot& slot, Instance& inst) {
  if (inst.health_probe_inflight) return;
  inst.health_probe_inflight = true;
  std::shared_ptr<PluginClient> client = inst.client;
  absl::Duration timeout = absl::Milliseconds(config_.config.health().timeout_ms());
  Instance* key = &inst;
  deps_.workers->Run([this, &slot, key, client, timeout] {
    absl::Time start = absl::Now();
    absl::Status st = client->CheckHealth(timeout);
    if (deps_.metrics) deps_.metrics->HealthChecked(slot.name, st.ok(), absl::Now() - start);
    deps_.loop->Post([this, &slot, key, st] {
      Instance* i = FindInstance(slot, key);
      if (i == nullptr) return;
      i->health_probe_inflight = false;
      if (i->phase != InstancePhase::kStarting) return;
      if (st.ok()) {
        OnServing(slot, *i);
        return;
      }
      i->failure = absl::StrCat("not healthy: ", st.message());
      deps_.loop->RunAfter(kFirstProbeRetry, [this, &slot, key] {
        Instance* j = FindInstance(slot, key);
        if (j != nullptr && j->phase == InstancePhase::kStarting) ProbeUntilHealthy(slot, *j);
      });
    });
  });
}

void Supervisor::OnServing(Slot& slot, Instance& inst) {
  if (&inst == slot.next.get()) {
    // A reload's new generation: it proves itself before the route flips.
    OnNextHealthy(slot, inst);
    return;
  }
  inst.phase = InstancePhase::kServing;
  inst.failure.clear();
  inst.serving_since = absl::Now();
  if (inst.start_timer != 0) deps_.loop->Cancel(inst.start_timer);
  inst.start_timer = 0;
  slot.error.clear();
  auto route = std::make_shared<Route>();
  route->plugin = slot.name;
  route->generation = inst.generation;
  route->client = inst.client;
  route->catalog = slot.catalog;
  inst.route = route;
  deps_.router->Set(std::move(route));
  ScheduleHealth(slot, inst);
  // An instance that stays up long enough resets the consecutive-failure count.
  absl::Duration stable = absl::Seconds(10);
  if (slot.stable_timer != 0) deps_.loop->Cancel(slot.stable_timer);
  Instance* key = &inst;
  slot.stable_timer = deps_.loop->RunAfter(stable, [&slot, key] {
    slot.stable_timer = 0;
    if (slot.active.get() == key) slot.restarts->OnStable();
  });
  HostLogInstance(
      LogLevel::kInfo, inst.plugin, inst.generation,
      absl::StrCat("serving (pid ", inst.pid, ", ",
                   absl::FormatDuration(inst.serving_since - inst.spawned_at), " after spawn)"));
  NotifyWaiters(slot);
}

void Supervisor::ScheduleHealth(Slot& slot, Instance& inst) {
  absl::Duration interval = absl::Milliseconds(config_.config.health().interval_ms());
  Instance* key = &inst;
  inst.health_timer = deps_.loop->RunAfter(interval, [this, &slot, key] {
    Instance* i = FindInstance(slot, key);
    if (i == nullptr || i->phase != InstancePhase::kServing) return;
    i->health_timer = 0;
    std::shared_ptr<PluginClient> client = i->client;
    absl::Duration timeout = absl::Milliseconds(config_.config.health().timeout_ms());
    deps_.workers->Run([this, &slot, key, client, timeout] {
      absl::Time start = absl::Now();
      absl::Status st = client->CheckHealth(timeout);
      if (deps_.metrics) deps_.metrics->HealthChecked(slot.name, st.ok(), absl::Now() - start);
      deps_.loop->Post([this, &slot, key, st] {
        Instance* j = FindInstance(slot, key);
        if (j == nullptr || j->phase != InstancePhase::kServing) return;
        if (st.ok()) {
          j->health_failures = 0;
        } else if (++j->health_failures >=
                   static_cast<int>(config_.config.health().failure_threshold())) {
          FailInstance(slot, *j,
                       absl::StrCat("failed ", j->health_failures,
                                    " consecutive health checks: ", st.message()));
          return;
        }
        ScheduleHealth(slot, *j);
      });
    });
  });
}

void Supervisor::OnOutput(Slot& slot, Instance& inst, bool is_err, uint32_t) {
  UniqueFd& fd = is_err ? inst.err : inst.out;
  std::unique_ptr<LogSink>& sink = is_err ? inst.err_log : inst.out_log;
  if (sink == nullptr) {
    sink = std::make_unique<LogSink>(slot.name, inst.generation, is_err ? "stderr" : "stdout",
                                     slot.logs, kDefaultMaxLogLine, &absl::Now,
                                     [](const paddock::v1::LogEntry& e) { HostLogPlugin(e); });
  }
  char buf[16384];
  size_t total = 0;
  while (total < kMaxReadPerEvent) {
    ssize_t n = read(fd.get(), buf, sizeof(buf));
    if (n > 0) {
      total += static_cast<size_t>(n);
      sink->Feed(std::string_view(buf, static_cast<size_t>(n)));
      continue;
    }
    if (n < 0 && (errno == EINTR)) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    // EOF or error: the writer is gone.
    sink->Finish();
    deps_.loop->Unwatch(fd.get());
    fd.Reset();
    return;
  }
}

void Supervisor::FailInstance(Slot& slot, Instance& inst, const std::string& why) {
  if (inst.phase == InstancePhase::kStopping || inst.phase == InstancePhase::kExited) return;
  if (inst.kill_sent) return;  // The first reason stands; later ones are its echoes.
  inst.kill_sent = true;
  inst.failure = why;
  HostLog(LogLevel::kWarn, absl::StrCat(Label(inst), ": ", why, "; killing it"));
  deps_.router->Remove(slot.name, inst.generation);
  (void)SignalPidfd(inst.pidfd.get(), SIGKILL);
}

void Supervisor::StopInstance(Slot& slot, Instance& inst) {
  if (inst.phase == InstancePhase::kStopping || inst.phase == InstancePhase::kExited) return;
  inst.phase = InstancePhase::kStopping;
  deps_.router->Remove(slot.name, inst.generation);
  if (inst.start_timer != 0) deps_.loop->Cancel(inst.start_timer);
  if (inst.health_timer != 0) deps_.loop->Cancel(inst.health_timer);
  inst.start_timer = inst.health_timer = 0;
  absl::Duration grace = absl::Milliseconds(config_.config.shutdown_grace_ms());
  int pidfd = inst.pidfd.get();
  if (inst.client) {
    // Ask nicely over the channel; SIGTERM if that fails (the SDK treats both the same).
    std::shared_ptr<PluginClient> client = inst.client;
    Instance* key = &inst;
    deps_.workers->Run([this, &slot, key, client, grace] {
      absl::Status st = client->Shutdown(grace);
      if (st.ok()) return;
      deps_.loop->Post([this, &slot, key] {
        if (Instance* i = FindInstance(slot, key)) (void)SignalPidfd(i->pidfd.get(), SIGTERM);
      });
    });
  } else {
    (void)SignalPidfd(pidfd, SIGTERM);
  }
  Instance* key = &inst;
  inst.kill_timer = deps_.loop->RunAfter(grace, [this, &slot, key] {
    Instance* i = FindInstance(slot, key);
    if (i == nullptr) return;
    i->kill_timer = 0;
    HostLogInstance(LogLevel::kWarn, i->plugin, i->generation,
                    "did not exit within the grace period; SIGKILL");
    (void)SignalPidfd(i->pidfd.get(), SIGKILL);
  });
}

void Supervisor::RetireActive(Slot& slot) {
  if (!slot.active) return;
  Instance& inst = *slot.active;
  slot.retiring.push_back(std::move(slot.active));
  StopInstance(slot, inst);
}

void Supervisor::StopSlot(Slot& slot) {
  slot.wanted = false;
  if (slot.next) {
    Instance& next = *slot.next;
    slot.retiring.push_back(std::move(slot.next));
    StopInstance(slot, next);
    slot.last_reload.set_generation(next.generation);
    slot.last_reload.set_succeeded(false);
    slot.last_reload.set_error("the plugin was stopped during the reload");
    FinishReload(slot, false, slot.last_reload.error());
  }
  if (slot.backoff_timer != 0) deps_.loop->Cancel(slot.backoff_timer);
  if (slot.stable_timer != 0) deps_.loop->Cancel(slot.stable_timer);
  slot.backoff_timer = slot.stable_timer = 0;
  RetireActive(slot);
  for (auto& r : slot.retiring) StopInstance(slot, *r);
}

void Supervisor::ScheduleRestart(Slot& slot) {
  if (!slot.wanted || shutting_down_) return;
  std::optional<absl::Duration> delay = slot.restarts->OnFailure(absl::Now(), rng_);
  if (!delay) {
    slot.parked = true;
    slot.error = absl::StrCat(
        "crash loop: ", config_.config.restart().crash_loop_count(), " failures within ",
        absl::FormatDuration(absl::Milliseconds(config_.config.restart().crash_loop_window_ms())),
        "; last: ", slot.last_exit, ". Parked until `paddockctl restart ", slot.name, "`");
    HostLog(LogLevel::kError, absl::StrCat(slot.name, ": ", slot.error));
    if (deps_.metrics) deps_.metrics->CrashLoopParked(slot.name);
    return;
  }
  if (deps_.metrics) deps_.metrics->RestartScheduled(slot.name);
  slot.backoff_until = absl::Now() + *delay;
  HostLog(LogLevel::kInfo,
          absl::StrCat(slot.name, ": restarting in ", absl::FormatDuration(*delay)));
  slot.backoff_timer = deps_.loop->RunAfter(*delay, [this, &slot] {
    slot.backoff_timer = 0;
    if (slot.wanted && !slot.parked && !slot.active) StartInstance(slot);
    NotifyWaiters(slot);
  });
}

void Supervisor::OnViolation(Slot& slot, Instance& inst, uint32_t events) {
  if (events & EPOLLIN) {
    // The monitor answers EPERM; the host records what was tried, by syscall name. The
    // name comes from the kernel's notification, not from anything the plugin says.
    auto v = inst.violations->HandleOne();
    if (v.ok()) {
      auto& rec = slot.violations[v->syscall];
      rec.set_syscall(v->syscall);
      rec.set_count(rec.count() + 1);
      rec.set_last_unix_ms(absl::ToUnixMillis(absl::Now()));
      rec.set_action("denied");
      if (rec.count() == 1 || rec.count() % 1000 == 0) {
        HostLog(LogLevel::kWarn, absl::StrCat(Label(inst), ": policy violation: ", v->syscall,
                                              " denied (", rec.count(), " so far)"));
      }
    }
  }
  if (events & (EPOLLHUP | EPOLLERR)) deps_.loop->Unwatch(inst.violations->fd());
}

void Supervisor::OnExit(Slot& slot, Instance& inst) {
  absl::StatusOr<std::string> reaped = TryReap(inst.pidfd.get());
  if (!reaped.ok()) {
    if (absl::IsNotFound(reaped.status())) return;  // Spurious wakeup.
    reaped = absl::StrCat("lost (", reaped.status().message(), ")");
  }
  auto& loop = *deps_.loop;
  // Collect whatever the instance still had in its pipes.
  if (inst.out) OnOutput(slot, inst, false, EPOLLIN);
  if (inst.err) OnOutput(slot, inst, true, EPOLLIN);
  for (UniqueFd* fd : {&inst.pidfd, &inst.out, &inst.err, &inst.bootstrap}) {
    if (fd->valid()) loop.Unwatch(fd->get());
  }
  if (inst.violations) {
    // Answer whatever is still pending so no thread stays blocked, then stop watching.
    loop.Unwatch(inst.violations->fd());
  }
  if (inst.cgroup) {
    auto usage = inst.cgroup->ReadUsage();
    if (usage.ok() && usage->oom_kills > 0) {
      slot.oom_kills += usage->oom_kills;
      *reaped = absl::StrCat(*reaped, " (oom-killed: memory limit ",
                             inst.cgroup->limits().memory_bytes >> 20, " MiB)");
    }
  }
  for (EventLoop::TimerId* t : {&inst.start_timer, &inst.health_timer, &inst.kill_timer}) {
    if (*t != 0) loop.Cancel(*t);
    *t = 0;
  }
  deps_.router->Remove(slot.name, inst.generation);
  bool expected = inst.phase == InstancePhase::kStopping;
  inst.phase = InstancePhase::kExited;
  inst.exit_reason = *reaped;
  RemoveRuntimeDir(inst.runtime_dir);
  std::string desc = inst.failure.empty() ? inst.exit_reason
                                          : absl::StrCat(inst.failure, " (", inst.exit_reason, ")");
  HostLogInstance(expected ? LogLevel::kInfo : LogLevel::kWarn, inst.plugin, inst.generation, desc);

  std::unique_ptr<Instance> owned;
  if (slot.next.get() == &inst) {
    // The new generation of a reload died before the route flipped: the old one keeps
    // serving and nothing else changes.
    owned = std::move(slot.next);
    slot.next_image = nullptr;
    slot.next_sandbox.reset();
    slot.next_catalog = nullptr;
    paddock::v1::ReloadOutcome o;
    o.set_generation(inst.generation);
    o.set_succeeded(false);
    o.set_error(desc);
    o.set_finished_unix_ms(absl::ToUnixMillis(absl::Now()));
    o.set_duration_ms(absl::ToDoubleMilliseconds(absl::Now() - slot.reload_started));
    slot.last_reload = o;
    HostLog(LogLevel::kError,
            absl::StrCat(slot.name, ": reload to generation ", inst.generation, " failed: ", desc,
                         slot.active ? absl::StrCat("; generation ", slot.active->generation,
                                                    " keeps serving")
                                     : std::string()));
    FinishReload(slot, false, desc);
    if (!slot.active && slot.wanted && !shutting_down_) ScheduleRestart(slot);
  } else if (slot.active.get() == &inst) {
    owned = std::move(slot.active);
    slot.last_exit = desc;
    // During a reload the new generation may still take over; it restarts otherwise.
    if (!expected && slot.wanted && !shutting_down_ && !slot.next) {
      slot.error = desc;
      ScheduleRestart(slot);
    }
  } else {
    for (auto it = slot.retiring.begin(); it != slot.retiring.end(); ++it) {
      if (it->get() == &inst) {
        owned = std::move(*it);
        slot.retiring.erase(it);
        break;
      }
    }
    if (slot.reload_old == &inst) {
      // The retired generation is gone: the reload is complete.
      paddock::v1::ReloadOutcome o;
      o.set_generation(slot.active ? slot.active->generation : slot.last_generation);
      o.set_succeeded(true);
      o.set_finished_unix_ms(absl::ToUnixMillis(absl::Now()));
      o.set_duration_ms(absl::ToDoubleMilliseconds(absl::Now() - slot.reload_started));
      slot.last_reload = o;
      HostLog(LogLevel::kInfo, absl::StrFormat("%s: reload to generation %d done in %.1f ms",
                                               slot.name, o.generation(), o.duration_ms()));
      FinishReload(slot, true, "");
    }
  }
  NotifyWaiters(slot);
  CheckShutdownDone();
  // `owned` (the instance) is destroyed here, after nothing refers to it any more.
}

}  // namespace paddock::host
