// Hot reload: generation N+1 starts beside N, must stay healthy through a soak period,
// then the route flips atomically; N finishes the calls it has (counted by the router),
// drains, and stops. A failed N+1 never touches N. Also the plugin-directory watch.
#include <signal.h>

#include "absl/strings/str_cat.h"
#include "host/host_log.h"
#include "host/process.h"
#include "host/socket_opener.h"
#include "host/supervisor.h"
#include "host/supervisor_slot.h"

namespace paddock::host {
namespace {

constexpr absl::Duration kDrainPoll = absl::Milliseconds(1);
constexpr absl::Duration kSoakProbeInterval = absl::Milliseconds(50);

paddock::v1::ReloadOutcome Outcome(uint64_t generation, bool ok, const std::string& error,
                                   absl::Time started) {
  paddock::v1::ReloadOutcome o;
  o.set_generation(generation);
  o.set_succeeded(ok);
  o.set_error(error);
  o.set_finished_unix_ms(absl::ToUnixMillis(absl::Now()));
  o.set_duration_ms(absl::ToDoubleMilliseconds(absl::Now() - started));
  return o;
}

}  // namespace

absl::Status Supervisor::OpenSockets(Slot& slot, const EffectiveSandbox& sandbox) {
  for (const ResolvedSocket& s : sandbox.sockets) {
    if (slot.socket_fds.count(s.request.name())) continue;  // Held already: keep it.
    auto fd = OpenHeldSocket(s.request, s.address);
    if (!fd.ok()) {
      return absl::Status(fd.status().code(),
                          absl::StrCat("socket ", s.request.name(), ": ", fd.status().message()));
    }
    std::string kind = s.request.kind() == paddock::v1::SocketRequest::TCP ? "tcp" : "udp";
    slot.socket_desc[s.request.name()] = absl::StrCat(kind, " ", LocalAddress(fd->get()));
    slot.socket_fds[s.request.name()] = std::move(*fd);
    slot.socket_address[s.request.name()] = s.address;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Instance>> Supervisor::Spawn(
    Slot& slot, const std::shared_ptr<const PluginImage>& image, const EffectiveSandbox& sandbox) {
  SpawnRequest req;
  req.image = image;
  req.generation = ++slot.last_generation;
  req.sandbox = &sandbox;
  req.config = SnapshotFor(slot.name);
  for (const ResolvedSocket& s : sandbox.sockets) {
    auto it = slot.socket_fds.find(s.request.name());
    if (it == slot.socket_fds.end()) {
      return absl::InternalError(absl::StrCat("socket ", s.request.name(), " is not open"));
    }
    req.sockets.push_back({s.request.name(), slot.socket_desc[s.request.name()], it->second.get()});
  }
  req.runtime_root = config_.config.runtime_dir();
  req.data_root = config_.config.data_dir();
  req.unconfined = config_.config.sandbox().unconfined();
  req.log_level = config_.config.log_level();
  req.cgroups = deps_.cgroups;
  req.uid = slot.uid;
  req.gid = slot.gid;
  auto inst = SpawnInstance(req, *deps_.ca);
  if (!inst.ok()) return inst.status();
  WatchInstance(slot, **inst);
  (*inst)->config_version = req.config.version();
  return inst;
}

void Supervisor::BeginReload(Slot& slot, std::shared_ptr<const PluginImage> image,
                             ReloadDone done) {
  if (done) slot.reload_done.push_back(std::move(done));
  if (slot.next || slot.reload_old != nullptr) {
    // One reload per plugin at a time: this request joins the one in flight, and if the
    // file changed again meanwhile, one more reload follows it.
    if (slot.next_image && image->sha256_hex() != slot.next_image->sha256_hex()) {
      slot.reload_again = true;
      slot.pending_image = std::move(image);
    }
    return;
  }
  slot.reload_started = absl::Now();
  slot.pending_image = nullptr;
  uint64_t generation = slot.last_generation + 1;
  auto fail = [&](const std::string& why) {
    slot.last_generation = std::max(slot.last_generation, generation);
    slot.next_image = nullptr;
    slot.last_reload = Outcome(generation, false, why, slot.reload_started);
    HostLog(
        LogLevel::kError,
        absl::StrCat(slot.name, ": reload to generation ", generation, " failed: ", why,
                     "; generation ", slot.active ? slot.active->generation : 0, " keeps serving"));
    FinishReload(slot, false, why);
  };
  auto sandbox = ResolveGrant(image->manifest(), config_.config);
  if (!sandbox.ok()) return fail(absl::StrCat("refused: ", sandbox.status().message()));
  auto catalog = MethodCatalog::Create(image->manifest());
  if (!catalog.ok()) return fail(std::string(catalog.status().message()));
  if (auto st = OpenSockets(slot, *sandbox); !st.ok()) return fail(std::string(st.message()));

  if (!slot.active || slot.active->phase != InstancePhase::kServing || !slot.wanted) {
    // Nothing is serving to swap with: take the new binary for the next start.
    slot.image = std::move(image);
    slot.sandbox = std::move(*sandbox);
    slot.catalog = std::move(*catalog);
    slot.refusal.clear();
    if (slot.wanted && !slot.parked) {
      if (slot.active) RetireActive(slot);
      StartInstance(slot);
    }
    slot.last_reload = Outcome(slot.last_generation, true, "", slot.reload_started);
    FinishReload(slot, true, "");
    return;
  }
  slot.next_image = std::move(image);
  slot.next_sandbox = std::move(*sandbox);
  slot.next_catalog = std::move(*catalog);
  auto next = Spawn(slot, slot.next_image, *slot.next_sandbox);
  if (!next.ok()) return fail(absl::StrCat("spawn failed: ", next.status().message()));
  slot.next = std::move(*next);
  Instance& inst = *slot.next;
  absl::Duration deadline = absl::Milliseconds(config_.config.reload().ready_deadline_ms());
  inst.start_timer = deps_.loop->RunAfter(deadline, [this, &slot, &inst, deadline] {
    inst.start_timer = 0;
    FailInstance(slot, inst,
                 absl::StrCat("did not become healthy within ", absl::FormatDuration(deadline)));
  });
  HostLog(LogLevel::kInfo, absl::StrCat(slot.name, ": reloading, generation ", inst.generation,
                                        " starting beside generation ", slot.active->generation));
}

void Supervisor::OnNextHealthy(Slot& slot, Instance& next) {
  // Soak: the new generation must stay up and healthy for soak_ms before any call is
  // routed to it, so a binary that crashes right after its first health check never
  // costs a call.
  absl::Duration soak = absl::Milliseconds(config_.config.reload().soak_ms());
  absl::Time until = absl::Now() + soak;
  Instance* key = &next;
  // The step re-arms itself through closures that hold it strongly while they are queued;
  // the step itself only holds a weak reference, so it is freed when the chain ends (a
  // self-capturing shared_ptr was a cycle, leaked on every reload: LeakSanitizer).
  auto step = std::make_shared<std::function<void()>>();
  std::weak_ptr<std::function<void()>> weak_step = step;
  *step = [this, &slot, key, until, weak_step] {
    std::shared_ptr<std::function<void()>> self = weak_step.lock();
    if (self == nullptr) return;
    Instance* i = FindInstance(slot, key);
    if (i == nullptr || i != slot.next.get() || i->kill_sent) return;
    if (absl::Now() >= until) {
      Flip(slot);
      return;
    }
    std::shared_ptr<PluginClient> client = i->client;
    absl::Duration timeout = absl::Milliseconds(config_.config.health().timeout_ms());
    deps_.workers->Run([this, &slot, key, client, timeout, self] {
      absl::Status st = client->CheckHealth(timeout);
      deps_.loop->Post([this, &slot, key, st, self] {
        Instance* j = FindInstance(slot, key);
        if (j == nullptr || j != slot.next.get()) return;
        if (!st.ok()) {
          FailInstance(slot, *j, absl::StrCat("unhealthy during the soak period: ", st.message()));
          return;
        }
        deps_.loop->RunAfter(kSoakProbeInterval, [self] { (*self)(); });
      });
    });
  };
  if (soak <= absl::ZeroDuration()) {
    Flip(slot);
  } else {
    deps_.loop->RunAfter(std::min(kSoakProbeInterval, soak), [step] { (*step)(); });
  }
}

void Supervisor::Flip(Slot& slot) {
  Instance& next = *slot.next;
  next.phase = InstancePhase::kServing;
  next.serving_since = absl::Now();
  if (next.start_timer != 0) deps_.loop->Cancel(next.start_timer);
  next.start_timer = 0;
  auto route = std::make_shared<Route>();
  route->plugin = slot.name;
  route->generation = next.generation;
  route->client = next.client;
  route->catalog = slot.next_catalog;
  next.route = route;
  // The flip: one pointer swap; calls already counted on the old route finish there.
  std::shared_ptr<const Route> old_route = deps_.router->Set(std::move(route));
  std::unique_ptr<Instance> old = std::move(slot.active);
  slot.active = std::move(slot.next);
  slot.image = std::move(slot.next_image);
  slot.sandbox = std::move(slot.next_sandbox);
  slot.catalog = std::move(slot.next_catalog);
  slot.next_sandbox.reset();
  slot.config_version_in_force = slot.active->config_version;
  ScheduleHealth(slot, *slot.active);
  HostLog(LogLevel::kInfo,
          absl::StrCat(slot.name, ": route flipped to generation ", slot.active->generation,
                       " after ", absl::FormatDuration(absl::Now() - slot.reload_started)));
  if (slot.config_version_in_force < config_version_) PushConfig(slot);
  if (!old) {
    slot.last_reload = Outcome(slot.active->generation, true, "", slot.reload_started);
    FinishReload(slot, true, "");
    return;
  }
  Instance* retiring = old.get();
  retiring->phase = InstancePhase::kDraining;
  if (retiring->health_timer != 0) deps_.loop->Cancel(retiring->health_timer);
  retiring->health_timer = 0;
  slot.retiring.push_back(std::move(old));
  slot.reload_old = retiring;
  absl::Time deadline = absl::Now() + absl::Milliseconds(config_.config.reload().drain_ms());
  DrainThenStop(slot, retiring, old_route, deadline);
}

void Supervisor::DrainThenStop(Slot& slot, Instance* old, std::shared_ptr<const Route> route,
                               absl::Time deadline) {
  if (FindInstance(slot, old) == nullptr || old->phase != InstancePhase::kDraining) return;
  bool calls_left = route != nullptr && route->inflight.load() > 0;
  if (calls_left && absl::Now() < deadline) {
    deps_.loop->RunAfter(kDrainPoll, [this, &slot, old, route, deadline] {
      DrainThenStop(slot, old, route, deadline);
    });
    return;
  }
  // The host sent its last call; let the plugin finish anything else it has (streams,
  // background work) through its own Drain, then stop it.
  std::shared_ptr<PluginClient> client = old->client;
  absl::Duration left = std::max(deadline - absl::Now(), absl::Milliseconds(100));
  deps_.workers->Run([this, &slot, old, client, left] {
    if (client) (void)client->Drain(left);
    deps_.loop->Post([this, &slot, old] {
      if (Instance* i = FindInstance(slot, old)) StopInstance(slot, *i);
    });
  });
}

void Supervisor::FinishReload(Slot& slot, bool succeeded, const std::string& error) {
  (void)error;
  if (deps_.metrics) {
    deps_.metrics->ReloadFinished(slot.name, succeeded,
                                  absl::Milliseconds(slot.last_reload.duration_ms()));
  }
  slot.reload_old = nullptr;
  std::vector<ReloadDone> done;
  done.swap(slot.reload_done);
  paddock::v1::ReloadOutcome outcome = slot.last_reload;
  if (slot.reload_again && slot.pending_image && !shutting_down_) {
    // The binary changed again during the reload: go once more, for the same callers.
    slot.reload_again = false;
    auto image = std::move(slot.pending_image);
    slot.reload_done = std::move(done);
    BeginReload(slot, std::move(image), nullptr);
    return;
  }
  slot.reload_again = false;
  for (auto& d : done) d(outcome);
  NotifyWaiters(slot);
}

}  // namespace paddock::host
