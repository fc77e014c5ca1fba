// Slot management and the thread-safe control entry points. Instance lifecycle callbacks
// are in supervisor_instance.cc.
#include "host/supervisor.h"

#include <filesystem>
#include <future>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "host/discovery.h"
#include "host/host_log.h"
#include "host/socket_opener.h"
#include "host/supervisor_slot.h"

namespace paddock::host {
namespace {

constexpr absl::Duration kControlWait = absl::Seconds(120);

}  // namespace

Supervisor::Supervisor(SupervisorDeps deps, LoadedConfig config)
    : deps_(std::move(deps)), config_(std::move(config)) {}

Supervisor::~Supervisor() = default;

template <typename T>
T Supervisor::OnLoop(std::function<T()> fn) {
  std::promise<T> p;
  auto f = p.get_future();
  deps_.loop->Post([&] { p.set_value(fn()); });
  return f.get();
}

absl::StatusOr<paddock::v1::PluginInfo> Supervisor::OnLoopAsync(
    std::function<void(std::function<void(absl::StatusOr<paddock::v1::PluginInfo>)>)> fn) {
  auto p = std::make_shared<std::promise<absl::StatusOr<paddock::v1::PluginInfo>>>();
  auto f = p->get_future();
  deps_.loop->Post([fn = std::move(fn), p] {
    auto once = std::make_shared<bool>(false);
    fn([p, once](absl::StatusOr<paddock::v1::PluginInfo> r) {
      if (*once) return;
      *once = true;
      p->set_value(std::move(r));
    });
  });
  if (f.wait_for(absl::ToChronoSeconds(kControlWait)) != std::future_status::ready) {
    return absl::DeadlineExceededError("the host did not finish the action in time");
  }
  return f.get();
}

Supervisor::Slot* Supervisor::FindSlot(const std::string& name) {
  auto it = slots_.find(name);
  return it == slots_.end() ? nullptr : it->second.get();
}

paddock::v1::ConfigSnapshot Supervisor::SnapshotFor(const std::string& name) const {
  paddock::v1::ConfigSnapshot snap;
  snap.set_version(config_version_);
  snap.set_json("{}");
  auto it = config_.config.plugins().find(name);
  if (it != config_.config.plugins().end() && it->second.has_config()) {
    std::string json;
    if (google::protobuf::util::MessageToJsonString(it->second.config(), &json).ok()) {
      snap.set_json(json);
    }
  }
  return snap;
}

void Supervisor::Start() {
  Reconcile(Scan(), /*reload_replaced=*/false, nullptr);
  WatchDirectories();
}

void Supervisor::WatchDirectories() {
  auto plugin_watch =
      DirWatcher::Create(deps_.loop, [this](const std::string& dir, const std::string& name,
                                            uint32_t) { OnPluginDirChanged(dir, name); });
  if (!plugin_watch.ok()) {
    HostLog(LogLevel::kError,
            absl::StrCat("cannot watch plugin directories: ", plugin_watch.status().message()));
  } else {
    plugin_watch_ = std::move(*plugin_watch);
    for (const auto& dir : config_.config.plugin_dirs()) {
      if (auto st = plugin_watch_->Add(dir); !st.ok()) {
        HostLog(LogLevel::kWarn, absl::StrCat("not watching ", dir, ": ", st.message()));
      }
    }
  }
  if (deps_.config_path.empty() || config_watch_) return;
  // The directory, not the file: editors rename over it and ConfigMaps swap symlinks.
  std::string dir = std::filesystem::path(deps_.config_path).parent_path().string();
  if (dir.empty()) dir = ".";
  auto config_watch =
      DirWatcher::Create(deps_.loop, [this](const std::string&, const std::string& name,
                                            uint32_t mask) { OnConfigDirChanged(name, mask); });
  if (config_watch.ok() && (*config_watch)->Add(dir).ok()) {
    config_watch_ = std::move(*config_watch);
  } else {
    HostLog(LogLevel::kWarn, absl::StrCat("not watching the config directory ", dir));
  }
}

absl::Status Supervisor::PrepareSlot(Slot& slot) {
  auto sandbox = ResolveGrant(slot.image->manifest(), config_.config);
  if (!sandbox.ok()) return sandbox.status();
  auto catalog = MethodCatalog::Create(slot.image->manifest());
  if (!catalog.ok()) return catalog.status();
  if (auto st = OpenSockets(slot, *sandbox); !st.ok()) return st;
  slot.sandbox = std::move(*sandbox);
  slot.catalog = std::move(*catalog);
  return absl::OkStatus();
}

void Supervisor::NotifyWaiters(Slot& slot) {
  if (slot.waiters.empty()) return;
  std::vector<Waiter> pending;
  pending.swap(slot.waiters);
  for (auto& w : pending) {
    if (!w(slot)) slot.waiters.push_back(std::move(w));
  }
}

void Supervisor::Shutdown(std::function<void()> done) {
  shutting_down_ = true;
  shutdown_done_ = std::move(done);
  HostLog(LogLevel::kInfo, "shutting down: stopping every plugin");
  for (auto& [name, slot] : slots_) StopSlot(*slot);
  for (auto& slot : graveyard_) StopSlot(*slot);
  CheckShutdownDone();
}

void Supervisor::CheckShutdownDone() {
  if (!shutting_down_ || !shutdown_done_) return;
  for (auto& [name, slot] : slots_) {
    if (slot->active || slot->next || !slot->retiring.empty()) return;
  }
  for (auto& slot : graveyard_) {
    if (slot->active || slot->next || !slot->retiring.empty()) return;
  }
  auto done = std::move(shutdown_done_);
  shutdown_done_ = nullptr;
  done();
}

paddock::v1::ListResponse Supervisor::List() {
  return OnLoop<paddock::v1::ListResponse>([this] { return ListOnLoop(); });
}

paddock::v1::ListResponse Supervisor::ListOnLoop() const {
  paddock::v1::ListResponse r;
  std::map<std::string, paddock::v1::PluginInfo> sorted;
  for (auto& [name, slot] : slots_) sorted[name] = Info(*slot, false);
  for (auto& [path, info] : invalid_) sorted[info.name() + "\x01" + path] = info;
  for (auto& [k, info] : sorted) *r.add_plugins() = info;
  return r;
}

absl::StatusOr<paddock::v1::PluginInfo> Supervisor::Status(const std::string& name) {
  return OnLoop<absl::StatusOr<paddock::v1::PluginInfo>>(
      [this, &name]() -> absl::StatusOr<paddock::v1::PluginInfo> {
        if (Slot* s = FindSlot(name)) return Info(*s, true);
        for (auto& [path, info] : invalid_) {
          if (info.name() == name) return info;
        }
        return absl::NotFoundError(absl::StrCat("no plugin named \"", name, "\""));
      });
}

absl::StatusOr<std::shared_ptr<LogRing>> Supervisor::Logs(const std::string& name) {
  return OnLoop<absl::StatusOr<std::shared_ptr<LogRing>>>(
      [this, &name]() -> absl::StatusOr<std::shared_ptr<LogRing>> {
        if (Slot* s = FindSlot(name)) return s->logs;
        return absl::NotFoundError(absl::StrCat("no plugin named \"", name, "\""));
      });
}

paddock::v1::ConfigInfo Supervisor::GetConfig() {
  return OnLoop<paddock::v1::ConfigInfo>([this] {
    paddock::v1::ConfigInfo info;
    info.set_json(ConfigToJson(config_.config));
    info.set_version(config_version_);
    info.set_sha256(config_.sha256_hex);
    info.set_source(config_.source);
    info.set_last_error(config_last_error_);
    return info;
  });
}

absl::StatusOr<paddock::v1::PluginInfo> Supervisor::StartPlugin(const std::string& name) {
  return OnLoopAsync([this, name](auto reply) {
    Slot* s = FindSlot(name);
    if (s == nullptr)
      return reply(absl::NotFoundError(absl::StrCat("no plugin named \"", name, "\"")));
    if (shutting_down_) return reply(absl::UnavailableError("the host is shutting down"));
    if (!s->refusal.empty()) return reply(Info(*s, true));
    s->wanted = true;
    if (s->parked) {
      s->parked = false;
      s->restarts->Reset();
    }
    if (s->backoff_timer != 0) {
      deps_.loop->Cancel(s->backoff_timer);
      s->backoff_timer = 0;
    }
    if (!s->active) StartInstance(*s);
    s->waiters.push_back([this, reply](Slot& slot) {
      bool serving = slot.active && slot.active->phase == InstancePhase::kServing;
      bool gave_up = !slot.active || slot.parked;
      if (!serving && !gave_up) return false;
      reply(Info(slot, true));
      return true;
    });
    NotifyWaiters(*s);
  });
}

absl::StatusOr<paddock::v1::PluginInfo> Supervisor::StopPlugin(const std::string& name) {
  return OnLoopAsync([this, name](auto reply) {
    Slot* s = FindSlot(name);
    if (s == nullptr)
      return reply(absl::NotFoundError(absl::StrCat("no plugin named \"", name, "\"")));
    StopSlot(*s);
    s->waiters.push_back([this, reply](Slot& slot) {
      if (slot.active || !slot.retiring.empty()) return false;
      reply(Info(slot, true));
      return true;
    });
    NotifyWaiters(*s);
  });
}

absl::StatusOr<paddock::v1::PluginInfo> Supervisor::RestartPlugin(const std::string& name) {
  return OnLoopAsync([this, name](auto reply) {
    Slot* s = FindSlot(name);
    if (s == nullptr)
      return reply(absl::NotFoundError(absl::StrCat("no plugin named \"", name, "\"")));
    if (shutting_down_) return reply(absl::UnavailableError("the host is shutting down"));
    if (!s->refusal.empty()) return reply(Info(*s, true));
    StopSlot(*s);
    s->parked = false;
    s->restarts->Reset();
    s->error.clear();
    // Once the old instances are gone, start a fresh one and answer when it settles.
    s->waiters.push_back([this, reply](Slot& slot) {
      if (slot.active || !slot.retiring.empty()) return false;
      if (shutting_down_) {
        reply(absl::UnavailableError("the host is shutting down"));
        return true;
      }
      slot.wanted = true;
      StartInstance(slot);
      slot.waiters.push_back([this, reply](Slot& sl) {
        bool serving = sl.active && sl.active->phase == InstancePhase::kServing;
        if (!serving && sl.active) return false;
        reply(Info(sl, true));
        return true;
      });
      return true;
    });
    NotifyWaiters(*s);
  });
}

paddock::v1::PluginInfo Supervisor::Info(const Slot& slot, bool detailed) const {
  paddock::v1::PluginInfo info;
  const auto& m = slot.image->manifest();
  info.set_name(slot.name);
  info.set_version(m.version());
  info.set_description(m.description());
  info.set_binary_path(slot.image->path());
  info.set_binary_sha256(slot.image->sha256_hex());
  info.set_restarts(slot.restarts->restarts());
  info.set_error(slot.error);
  info.set_last_exit(slot.last_exit);
  for (const auto& s : m.services()) info.add_services(s.name());
  for (const auto& [name, desc] : slot.socket_desc)
    info.add_sockets(absl::StrCat(name, ": ", desc));
  info.set_live_instances(
      static_cast<uint32_t>((slot.active ? 1 : 0) + (slot.next ? 1 : 0) + slot.retiring.size()));
  if (slot.pending_image) {
    info.set_error(absl::StrCat(info.error(), info.error().empty() ? "" : "; ",
                                "binary on disk changed to ",
                                slot.pending_image->manifest().version(),
                                ": reload pending (SIGUSR2 or paddockctl reload)"));
  }
  if (slot.last_reload.generation() != 0) *info.mutable_last_reload() = slot.last_reload;
  info.set_config_version(slot.config_version_in_force);
  const Instance* inst = slot.active.get();
  if (inst != nullptr) {
    info.set_generation(inst->generation);
    info.set_pid(inst->pid);
    info.set_socket_path(inst->socket_path);
    if (inst->phase == InstancePhase::kServing) {
      info.set_uptime_seconds(absl::ToDoubleSeconds(absl::Now() - inst->serving_since));
    }
  } else {
    info.set_generation(slot.last_generation);
  }
  using S = paddock::v1::PluginState;
  S state;
  if (!slot.refusal.empty() || slot.parked) {
    state = S::STATE_FAILED;
  } else if (inst != nullptr) {
    state = inst->phase == InstancePhase::kServing ? S::STATE_SERVING : S::STATE_STARTING;
  } else if (slot.wanted && slot.backoff_timer != 0) {
    state = S::STATE_BACKOFF;
  } else if (!slot.retiring.empty()) {
    state = S::STATE_DRAINING;
  } else {
    state = S::STATE_STOPPED;
  }
  info.set_state(state);
  if (detailed) FillConfinement(slot, info.mutable_confinement());
  return info;
}

void Supervisor::AssignIdentity(Slot& slot) {
  // A stable uid per plugin name (FNV-1a of the name into the range), probing past uids
  // other plugins already have, so plugins cannot signal or read each other.
  const auto& sb = config_.config.sandbox();
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : slot.name) h = (h ^ c) * 1099511628211ull;
  for (uint32_t probe = 0; probe < sb.uid_count(); ++probe) {
    uid_t uid = static_cast<uid_t>(sb.uid_base() + (h + probe) % sb.uid_count());
    bool taken = false;
    for (const auto& [name, other] : slots_) taken = taken || other->uid == uid;
    if (!taken) {
      slot.uid = uid;
      slot.gid = uid;
      return;
    }
  }
}

void Supervisor::FillConfinement(const Slot& slot, paddock::v1::Confinement* c) const {
  c->set_enabled(!config_.config.sandbox().unconfined());
  if (slot.sandbox) {
    c->set_memory_limit_bytes(slot.sandbox->memory_bytes);
    c->set_cpu_limit_millis(slot.sandbox->cpu_millis);
    c->set_pids_limit(slot.sandbox->pids);
    c->set_network(slot.sandbox->network_host ? "host" : "none");
  }
  c->set_oom_kills(slot.oom_kills);
  for (const auto& [name, v] : slot.violations) *c->add_violations() = v;
  const Instance* inst = slot.active.get();
  if (inst == nullptr || !inst->confinement.enabled) {
    if (slot.sandbox) {
      for (const auto& cap : slot.sandbox->capabilities) c->add_capabilities(cap);
      for (const auto& g : slot.sandbox->syscall_groups) c->add_seccomp_groups(g);
    }
    return;
  }
  const sandbox::Confinement& k = inst->confinement;
  for (const auto& ns : k.namespaces) c->add_namespaces(ns);
  c->set_root(k.root);
  c->set_uid(k.uid);
  c->set_gid(k.gid);
  for (const auto& cap : k.capabilities) c->add_capabilities(cap);
  c->set_seccomp_mode(k.seccomp_mode);
  for (const auto& g : k.seccomp_groups) c->add_seccomp_groups(g);
  if (inst->cgroup) {
    for (const auto& d : inst->cgroup->Describe()) c->add_cgroup_paths(d);
    auto usage = inst->cgroup->ReadUsage();
    if (usage.ok()) {
      c->set_memory_current_bytes(usage->memory_current);
      c->set_cpu_usage_ns(usage->cpu_usage_ns);
      c->set_oom_kills(slot.oom_kills + usage->oom_kills);
    }
  }
}

}  // namespace paddock::host
