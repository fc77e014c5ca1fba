// The scheduler plugin: serves paddock.scheduler.v1.Scheduler. Tasks live in the data dir
// (tasks.json); the generation holding the data dir's leader lock runs their timers.
// A tick may invoke another plugin's method through the host (Context::Invoke).
// Config: {"lock_memory": true} (the default) locks the process's memory where the host
// granted CAP_IPC_LOCK.
#include <memory>
#include <string>

#include "engine.h"
#include "metrics_export.h"
#include "paddock/plugin.h"
#include "rt_thread.h"
#include "scheduler.pb.h"
#include "service.h"
#include "task_spec.h"

namespace paddock::scheduler {
namespace {

constexpr absl::Duration kCheckInvokeTimeout = absl::Seconds(5);

class SchedulerPlugin final : public paddock::Plugin {
 public:
  absl::Status Init(paddock::Context& ctx) override {
    EngineOptions options;
    options.clock = &SystemClock();
    options.data_dir = ctx.data_dir();
    options.cpus = CpuSet::OfThisProcess();
    // Ticks invoke other plugins through the host (from each task's invoke thread, never
    // from its timer thread); the host's ACL decides.
    options.invoke = [&ctx](const std::string& target, const std::string& json,
                            uint32_t timeout_ms) {
      return ctx.Invoke(target, json, absl::Milliseconds(timeout_ms));
    };
    options.check_invoke = [&ctx](const std::string& target) {
      return ctx.CheckInvoke(target, kCheckInvokeTimeout);
    };
    absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Create(std::move(options));
    if (!engine.ok()) return engine.status();
    engine_ = std::move(*engine);
    service_ = std::make_unique<SchedulerService>(engine_.get(), &ctx, &memory_note_);
    ctx.AddService(service_.get());
    log::Info("scheduler ready",
              {{"cpus", CpuSet::OfThisProcess().ToString()}, {"data_dir", ctx.data_dir()}});
    engine_->Activate();
    Engine* engine_ptr = engine_.get();
    metrics_ = ctx.metrics().AddCollector([engine_ptr](std::vector<MetricsRegistry::Sample>* out) {
      AppendTaskMetrics(engine_ptr->Runners(), out);
    });
    return absl::OkStatus();
  }

  absl::Status Configure(const paddock::ConfigSnapshot& snapshot) override {
    absl::StatusOr<v1::SchedulerConfig> config = snapshot.As<v1::SchedulerConfig>();
    if (!config.ok()) return config.status();
    const bool lock = !config->has_lock_memory() || config->lock_memory();
    if (lock && !locked_) {
      std::string why = LockProcessMemory();
      locked_ = why.empty();
      memory_note_.Store(std::make_shared<const std::string>(why));
      if (locked_) {
        log::Info("memory locked (mlockall, on fault)");
      } else {
        log::Warn("memory not locked", {{"reason", why}});
      }
    } else if (!lock && locked_) {
      UnlockProcessMemory();
      locked_ = false;
      memory_note_.Store(std::make_shared<const std::string>("lock_memory is false in the config"));
    } else if (!lock) {
      memory_note_.Store(std::make_shared<const std::string>("lock_memory is false in the config"));
    }
    return absl::OkStatus();
  }

  // The next generation takes over the timers once this one lets go of the leader lock.
  void Drain() override { engine_->Deactivate(); }
  void Shutdown() override { engine_->Deactivate(); }

 private:
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<SchedulerService> service_;
  paddock::AtomicSnapshot<std::string> memory_note_{
      std::make_shared<const std::string>("not attempted yet")};
  bool locked_ = false;  // Only touched by the SDK's serialized callbacks.
  // Last, so destroyed first: the collector reads engine_.
  paddock::MetricHandle metrics_;
};

}  // namespace
}  // namespace paddock::scheduler

PADDOCK_PLUGIN(paddock::scheduler::SchedulerPlugin)
