#include "engine.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/time_util.h"
#include "paddock/log.h"

namespace paddock::scheduler {

using google::protobuf::util::TimeUtil;

namespace {

constexpr auto kLeaderPoll = std::chrono::milliseconds(50);

const v1::TaskRecord* FindRecord(const v1::TaskFile& file, const std::string& name) {
  for (const v1::TaskRecord& r : file.tasks()) {
    if (r.spec().name() == name) return &r;
  }
  return nullptr;
}

void FillApplied(const ThreadApplied& a, v1::Applied* out) {
  out->set_policy(a.policy);
  out->set_priority(static_cast<uint32_t>(a.priority));
  out->set_cpu(a.cpu);
  out->set_note(a.note);
  out->set_tid(a.tid);
  out->set_thread_name(a.name);
}

}  // namespace

Engine::Engine(EngineOptions options, std::unique_ptr<TaskStore> store, v1::TaskFile file)
    : options_(std::move(options)), store_(std::move(store)), file_(std::move(file)) {}

absl::StatusOr<std::unique_ptr<Engine>> Engine::Create(EngineOptions options) {
  if (options.clock == nullptr) options.clock = &SystemClock();
  auto store = TaskStore::Open(options.data_dir);
  if (!store.ok()) return store.status();
  auto file = (*store)->Load();
  if (!file.ok()) return file.status();
  return std::unique_ptr<Engine>(new Engine(std::move(options), std::move(*store), *file));
}

Engine::~Engine() { Deactivate(); }

void Engine::BumpRunners() {
  runners_version_.fetch_add(1);
  signal_.Notify();
}

void Engine::Activate() {
  absl::MutexLock leader(&leader_mu_);
  if (leader_thread_.joinable()) return;
  leader_stop_.store(false);
  if (options_.data_dir.empty()) {
    std::vector<std::shared_ptr<TaskRunner>> to_stop;
    {
      absl::MutexLock lock(&mu_);
      active_ = true;
      ReconcileLocked(&to_stop);
    }
    BumpRunners();
    return;
  }
  leader_thread_ = std::thread([this] { LeaderLoop(); });
}

void Engine::LeaderLoop() {
  bool said_standby = false;
  while (!leader_stop_.load()) {
    absl::StatusOr<UniqueFd> fd = LeaderLock::TryAcquire(options_.data_dir);
    if (!fd.ok()) {
      log::Error("cannot take the leader lock; timers stay off",
                 {{"error", std::string(fd.status().message())}});
      for (int i = 0; i < 20 && !leader_stop_.load(); ++i) std::this_thread::sleep_for(kLeaderPoll);
      continue;
    }
    if (!fd->valid()) {
      if (!said_standby) {
        log::Info("another generation runs the timers; standing by until it drains");
        said_standby = true;
      }
      std::this_thread::sleep_for(kLeaderPoll);
      continue;
    }
    leader_lock_ = std::move(*fd);
    // The other generation may have changed the list until it let go: read it again.
    absl::StatusOr<v1::TaskFile> file = store_->Load();
    std::vector<std::shared_ptr<TaskRunner>> to_stop;
    size_t armed = 0;
    {
      absl::MutexLock lock(&mu_);
      if (file.ok()) file_ = std::move(*file);
      active_ = true;
      ReconcileLocked(&to_stop);
      armed = runners_.size();
    }
    if (!file.ok()) {
      log::Error("cannot re-read the task list; arming what this instance knew",
                 {{"error", std::string(file.status().message())}});
    }
    BumpRunners();
    log::Info("timers active", {{"tasks", absl::StrCat(armed)}});
    return;
  }
}

void Engine::Deactivate() {
  absl::MutexLock leader(&leader_mu_);
  leader_stop_.store(true);
  if (leader_thread_.joinable()) leader_thread_.join();
  std::map<std::string, std::shared_ptr<TaskRunner>> runners;
  bool was_active = false;
  {
    absl::MutexLock lock(&mu_);
    was_active = active_;
    active_ = false;
    runners.swap(runners_);
    failures_.clear();
  }
  // Outside mu_: a runner's on_done takes mu_, and Stop joins its thread.
  for (auto& [name, runner] : runners) runner->Stop();
  leader_lock_.Reset();
  if (was_active) {
    BumpRunners();
    log::Info("timers stopped", {{"tasks", absl::StrCat(runners.size())}});
  }
}

bool Engine::active() const {
  absl::MutexLock lock(&mu_);
  return active_;
}

absl::StatusOr<std::shared_ptr<TaskRunner>> Engine::StartRunner(const v1::TaskSpec& spec) {
  RunnerDeps deps;
  deps.clock = options_.clock;
  deps.signal = &signal_;
  deps.invoke = options_.invoke;
  deps.on_done = [this](const std::string& name) { OnDone(name); };
  absl::StatusOr<std::unique_ptr<TaskRunner>> runner = TaskRunner::Start(spec, std::move(deps));
  if (!runner.ok()) return runner.status();
  return std::shared_ptr<TaskRunner>(std::move(*runner));
}

void Engine::ReconcileLocked(std::vector<std::shared_ptr<TaskRunner>>* to_stop) {
  for (auto it = runners_.begin(); it != runners_.end();) {
    const v1::TaskRecord* rec = FindRecord(file_, it->first);
    if (rec == nullptr) {
      to_stop->push_back(std::move(it->second));
      it = runners_.erase(it);
    } else {
      ++it;
    }
  }
  if (!active_) return;
  for (const v1::TaskRecord& rec : file_.tasks()) {
    const std::string& name = rec.spec().name();
    if (rec.done() || runners_.count(name) || failures_.count(name)) continue;
    absl::StatusOr<std::shared_ptr<TaskRunner>> runner = StartRunner(rec.spec());
    if (!runner.ok()) {
      failures_[name] = std::string(runner.status().message());
      log::Error("cannot arm task", {{"task", name}, {"error", failures_[name]}});
      continue;
    }
    runners_[name] = std::move(*runner);
  }
}

absl::StatusOr<v1::TaskInfo> Engine::Add(v1::TaskSpec spec) {
  NormalizeTaskSpec(&spec, options_.clock->Now(ClockId::kRealtime));
  if (absl::Status st = ValidateTaskSpec(spec, options_.cpus); !st.ok()) return st;
  if (spec.has_invoke()) {
    if (!options_.check_invoke || !options_.invoke) {
      return absl::FailedPreconditionError(
          "invoke: this plugin instance has no channel to the host (no host_socket_path in its "
          "bootstrap), so it cannot invoke other plugins");
    }
    if (absl::Status st = options_.check_invoke(spec.invoke().target()); !st.ok()) {
      return absl::Status(st.code(), absl::StrCat("invoke.target \"", spec.invoke().target(),
                                                  "\": ", st.message()));
    }
  }
  v1::TaskRecord record;
  *record.mutable_spec() = spec;
  *record.mutable_created() =
      TimeUtil::NanosecondsToTimestamp(options_.clock->Now(ClockId::kRealtime));
  const std::string name = spec.name();
  // Stored first: a one-shot that fires at once marks the stored record done.
  absl::StatusOr<v1::TaskFile> file = store_->Mutate([&](v1::TaskFile& f) {
    if (FindRecord(f, name) != nullptr) {
      return absl::AlreadyExistsError(absl::StrCat("a task named \"", name, "\" exists"));
    }
    *f.add_tasks() = record;
    return absl::OkStatus();
  });
  if (!file.ok()) return file.status();

  absl::Status armed = absl::OkStatus();
  {
    absl::MutexLock lock(&mu_);
    file_ = *file;
    if (active_) {
      absl::StatusOr<std::shared_ptr<TaskRunner>> runner = StartRunner(spec);
      if (runner.ok()) {
        runners_[name] = std::move(*runner);
      } else {
        armed = runner.status();
      }
    }
  }
  if (!armed.ok()) {
    // Never keep a task that cannot run.
    absl::StatusOr<v1::TaskFile> undone = store_->Mutate([&](v1::TaskFile& f) {
      auto* tasks = f.mutable_tasks();
      for (int i = 0; i < tasks->size(); ++i) {
        if (tasks->Get(i).spec().name() == name) {
          tasks->DeleteSubrange(i, 1);
          break;
        }
      }
      return absl::OkStatus();
    });
    absl::MutexLock lock(&mu_);
    if (undone.ok()) file_ = *undone;
    return absl::Status(armed.code(), absl::StrCat("cannot arm task: ", armed.message()));
  }
  BumpRunners();
  absl::MutexLock lock(&mu_);
  const v1::TaskRecord* rec = FindRecord(file_, name);
  return InfoLocked(rec ? *rec : record);
}

absl::StatusOr<v1::TaskInfo> Engine::Remove(const std::string& name) {
  v1::TaskRecord removed;
  absl::StatusOr<v1::TaskFile> file = store_->Mutate([&](v1::TaskFile& f) {
    auto* tasks = f.mutable_tasks();
    for (int i = 0; i < tasks->size(); ++i) {
      if (tasks->Get(i).spec().name() == name) {
        removed = tasks->Get(i);
        tasks->DeleteSubrange(i, 1);
        return absl::OkStatus();
      }
    }
    return absl::NotFoundError(absl::StrCat("no task named \"", name, "\""));
  });
  if (!file.ok()) return file.status();
  std::shared_ptr<TaskRunner> runner;
  v1::TaskInfo info;
  {
    absl::MutexLock lock(&mu_);
    info = InfoLocked(removed);
    file_ = *file;
    auto it = runners_.find(name);
    if (it != runners_.end()) {
      runner = std::move(it->second);
      runners_.erase(it);
    }
    failures_.erase(name);
  }
  if (runner) runner->Stop();
  BumpRunners();
  return info;
}

void Engine::OnDone(const std::string& name) {
  absl::StatusOr<v1::TaskFile> file = store_->Mutate([&](v1::TaskFile& f) {
    for (v1::TaskRecord& r : *f.mutable_tasks()) {
      if (r.spec().name() == name) r.set_done(true);
    }
    return absl::OkStatus();
  });
  if (!file.ok()) {
    log::Error("cannot mark a fired one-shot task done; it may fire again after a restart",
               {{"task", name}, {"error", std::string(file.status().message())}});
    return;
  }
  absl::MutexLock lock(&mu_);
  file_ = *file;
}

v1::TaskInfo Engine::InfoLocked(const v1::TaskRecord& rec) {
  v1::TaskInfo info;
  *info.mutable_spec() = rec.spec();
  *info.mutable_created() = rec.created();
  const std::string& name = rec.spec().name();
  auto it = runners_.find(name);
  const TaskRunner* runner = it == runners_.end() ? nullptr : it->second.get();
  auto failure = failures_.find(name);
  if (rec.done()) {
    info.set_state(v1::TASK_DONE);
  } else if (!active_) {
    info.set_state(v1::TASK_STANDBY);
  } else if (failure != failures_.end()) {
    info.set_state(v1::TASK_FAILED);
    info.set_error(failure->second);
  } else {
    info.set_state(v1::TASK_ARMED);
  }
  if (runner != nullptr) {
    FillApplied(runner->applied(), info.mutable_applied());
    RunnerStats s = runner->Stats();
    info.set_ticks(s.ticks);
    if (s.done) info.set_state(v1::TASK_DONE);
    if (s.has_next) {
      int64_t wall = s.next_ns;
      if (runner->clock() == ClockId::kMonotonic) {
        wall = options_.clock->Now(ClockId::kRealtime) +
               (s.next_ns - options_.clock->Now(ClockId::kMonotonic));
      }
      *info.mutable_next() = TimeUtil::NanosecondsToTimestamp(wall);
    }
  }
  return info;
}

std::vector<v1::TaskInfo> Engine::List() {
  absl::StatusOr<v1::TaskFile> file = store_->Load();  // The other generation may have written.
  absl::MutexLock lock(&mu_);
  if (file.ok()) file_ = std::move(*file);
  std::vector<v1::TaskInfo> out;
  for (const v1::TaskRecord& rec : file_.tasks()) out.push_back(InfoLocked(rec));
  std::sort(out.begin(), out.end(), [](const v1::TaskInfo& a, const v1::TaskInfo& b) {
    return a.spec().name() < b.spec().name();
  });
  return out;
}

bool Engine::Has(const std::string& name) {
  absl::StatusOr<v1::TaskFile> file = store_->Load();
  absl::MutexLock lock(&mu_);
  if (file.ok()) file_ = std::move(*file);
  return FindRecord(file_, name) != nullptr;
}

absl::StatusOr<std::vector<v1::TaskStats>> Engine::Stats(const std::string& name) {
  std::vector<v1::TaskInfo> infos = List();
  std::vector<v1::TaskStats> out;
  absl::MutexLock lock(&mu_);
  for (const v1::TaskInfo& info : infos) {
    if (!name.empty() && info.spec().name() != name) continue;
    v1::TaskStats s;
    s.set_name(info.spec().name());
    s.set_state(info.state());
    *s.mutable_applied() = info.applied();
    auto it = runners_.find(info.spec().name());
    if (it != runners_.end()) {
      RunnerStats r = it->second->Stats();
      s.set_ticks(r.ticks);
      s.set_misses(r.misses);
      s.set_overruns(r.overruns);
      s.set_invokes_ok(r.invokes_ok);
      s.set_invokes_failed(r.invokes_failed);
      s.set_last_invoke_error(r.last_invoke_error);
      s.set_thread_cpu_ns(r.thread_cpu_ns);
      s.set_wall_ns(r.wall_ns);
      s.set_spin_margin_ns(r.spin_margin_ns);
      v1::LatencySummary* l = s.mutable_latency();
      l->set_count(r.latency.count);
      l->set_min_ns(r.latency.min_ns);
      l->set_p50_ns(r.latency.p50_ns);
      l->set_p90_ns(r.latency.p90_ns);
      l->set_p99_ns(r.latency.p99_ns);
      l->set_p999_ns(r.latency.p999_ns);
      l->set_max_ns(r.latency.max_ns);
      l->set_mean_ns(r.latency.mean_ns);
    }
    out.push_back(std::move(s));
  }
  if (!name.empty() && out.empty()) {
    return absl::NotFoundError(absl::StrCat("no task named \"", name, "\""));
  }
  return out;
}

std::vector<std::shared_ptr<TaskRunner>> Engine::Runners() {
  absl::MutexLock lock(&mu_);
  std::vector<std::shared_ptr<TaskRunner>> out;
  for (auto& [name, runner] : runners_) out.push_back(runner);
  return out;
}

}  // namespace paddock::scheduler
