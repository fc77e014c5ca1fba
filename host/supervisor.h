// The supervisor owns every plugin: it discovers them, starts instances, watches their
// exits, output and health, restarts them with backoff, parks crash loops, stops them, and
// keeps the router pointing at the generation that serves. All of its state lives on the
// event-loop thread; the thread-safe entry points below post work to the loop and wait.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/random/random.h"
#include "absl/status/statusor.h"
#include "host/certs.h"
#include "host/config.h"
#include "host/dir_watcher.h"
#include "host/discovery.h"
#include "host/event_loop.h"
#include "host/grant.h"
#include "host/host_metrics.h"
#include "host/instance.h"
#include "host/log_ring.h"
#include "host/method_catalog.h"
#include "host/plugin_client.h"
#include "host/plugin_image.h"
#include "host/plugin_signature.h"
#include "host/restart_policy.h"
#include "host/router.h"
#include "host/spawner.h"
#include "host/worker_pool.h"
#include "paddock/v1/control.pb.h"

namespace paddock::host {

struct SupervisorDeps {
  EventLoop* loop = nullptr;
  WorkerPool* workers = nullptr;
  Router* router = nullptr;
  const CertificateAuthority* ca = nullptr;
  sandbox::CgroupManager* cgroups = nullptr;  // Null when unconfined.
  // The config file to watch ("" = embedded default, nothing to watch), and what the
  // daemon does to every config it loads (command-line overrides, $ORIGIN).
  std::string config_path;
  std::function<void(paddock::v1::HostConfig*)> finish_config;
  HostCredentials host_creds;
  // Called on the loop thread with every config applied after the first (may be null).
  std::function<void(const paddock::v1::HostConfig&)> on_config_applied;
  HostMetrics* metrics = nullptr;  // Optional; counts restarts, reloads, health checks.
};

// One plugin as a metrics scrape sees it (Supervisor::Snapshot).
struct PluginSnapshot {
  paddock::v1::PluginInfo info;          // As `paddockctl status` shows it (with usage).
  std::shared_ptr<PluginClient> client;  // The serving generation's channel, or null.
};

class Supervisor {
 public:
  Supervisor(SupervisorDeps deps, LoadedConfig config);
  ~Supervisor();
  Supervisor(const Supervisor&) = delete;
  Supervisor& operator=(const Supervisor&) = delete;

  // --- Loop thread only ---
  // Scans the plugin directories and starts every enabled, valid, granted plugin.
  void Start();
  // Stops every plugin (graceful, then SIGKILL after the grace period) and calls `done`
  // on the loop thread once no instance is left.
  void Shutdown(std::function<void()> done);
  // SIGUSR2: rescans the plugin directories and hot-swaps every plugin whose binary
  // changed, starts new ones and stops removed ones. Requests that arrive while a reload
  // runs coalesce into one more round after it.
  void ReloadAll(std::function<void(paddock::v1::ReloadResponse)> done = nullptr);
  // A name in a watched plugin directory changed ("" = rescan the directory). New files
  // start, removed ones stop, replaced ones reload when reload.mode is AUTO (otherwise they
  // wait for SIGUSR2), each once the file has stayed unchanged for reload.settle_ms.
  void OnPluginDirChanged(const std::string& dir, const std::string& name);
  // Something in the config file's directory changed: re-read the file and, if its bytes
  // changed, validate and apply it (or reject it, keeping the config in force).
  void OnConfigChanged();
  // A name in the config file's directory changed: re-read shortly, once events settle.
  void OnConfigDirChanged(const std::string& name, uint32_t mask);
  // What List() answers, computed here (for callers already on the loop thread).
  paddock::v1::ListResponse ListOnLoop() const;

  // --- Thread-safe: post to the loop and wait for the answer ---
  paddock::v1::ListResponse List();
  absl::StatusOr<paddock::v1::PluginInfo> Status(const std::string& name);
  // Starts a stopped/failed plugin; answers once it serves or gave up.
  absl::StatusOr<paddock::v1::PluginInfo> StartPlugin(const std::string& name);
  // Stops a plugin; answers once its instances are gone.
  absl::StatusOr<paddock::v1::PluginInfo> StopPlugin(const std::string& name);
  // Stops, clears the failure history, starts; answers once it serves or gave up.
  absl::StatusOr<paddock::v1::PluginInfo> RestartPlugin(const std::string& name);
  // The plugin's log ring (shared; lives as long as any holder).
  absl::StatusOr<std::shared_ptr<LogRing>> Logs(const std::string& name);
  paddock::v1::ConfigInfo GetConfig();
  // Hot-swaps `name` to a new generation of its binary on disk (even if unchanged), or,
  // for "", does what SIGUSR2 does. Answers once every reload it started settled.
  absl::StatusOr<paddock::v1::ReloadResponse> Reload(const std::string& name);
  // Every valid plugin (sorted by name) and the number of invalid files, read on the loop
  // (a short task: no I/O but the cgroup counters). DeadlineExceeded when the loop did not
  // run it within `timeout`; the caller never waits longer (supervisor_metrics.cc).
  absl::StatusOr<std::vector<PluginSnapshot>> Snapshot(absl::Duration timeout,
                                                       size_t* invalid_files);

 private:
  struct Slot;
  using Waiter = std::function<bool(Slot&)>;  // Returns true when done (then removed).

  // Runs `fn` on the loop and returns its result. Must not be called on the loop thread.
  template <typename T>
  T OnLoop(std::function<T()> fn);
  // Posts `fn`, which must eventually call its reply with the answer; waits for it.
  absl::StatusOr<paddock::v1::PluginInfo> OnLoopAsync(
      std::function<void(std::function<void(absl::StatusOr<paddock::v1::PluginInfo>)>)> fn);

  Slot* FindSlot(const std::string& name);
  absl::Status PrepareSlot(Slot& slot);
  void StartInstance(Slot& slot);
  void WatchInstance(Slot& slot, Instance& inst);
  void OnBootstrapReadable(Slot& slot, Instance& inst);
  void ProbeUntilHealthy(Slot& slot, Instance& inst);
  void OnServing(Slot& slot, Instance& inst);
  void ScheduleHealth(Slot& slot, Instance& inst);
  void OnOutput(Slot& slot, Instance& inst, bool is_err, uint32_t events);
  void OnExit(Slot& slot, Instance& inst);
  void OnViolation(Slot& slot, Instance& inst, uint32_t events);
  void AssignIdentity(Slot& slot);
  void FillConfinement(const Slot& slot, paddock::v1::Confinement* c) const;
  void FailInstance(Slot& slot, Instance& inst, const std::string& why);
  void StopInstance(Slot& slot, Instance& inst);
  void RetireActive(Slot& slot);
  void StopSlot(Slot& slot);
  void ScheduleRestart(Slot& slot);
  void NotifyWaiters(Slot& slot);
  paddock::v1::PluginInfo Info(const Slot& slot, bool detailed) const;
  paddock::v1::ConfigSnapshot SnapshotFor(const std::string& name) const;
  Instance* FindInstance(Slot& slot, const Instance* inst);
  void CheckShutdownDone();

  // Hot reload (supervisor_reload.cc).
  using ReloadDone = std::function<void(const paddock::v1::ReloadOutcome&)>;
  absl::StatusOr<std::unique_ptr<Instance>> Spawn(Slot& slot,
                                                  const std::shared_ptr<const PluginImage>& image,
                                                  const EffectiveSandbox& sandbox);
  absl::Status OpenSockets(Slot& slot, const EffectiveSandbox& sandbox);
  void BeginReload(Slot& slot, std::shared_ptr<const PluginImage> image, ReloadDone done);
  void OnNextHealthy(Slot& slot, Instance& next);
  void Flip(Slot& slot);
  void DrainThenStop(Slot& slot, Instance* old, std::shared_ptr<const Route> route,
                     absl::Time deadline);
  void FinishReload(Slot& slot, bool succeeded, const std::string& error);
  void RunReloadRound();
  void Reconcile(std::vector<DiscoveredFile> files, bool reload_replaced,
                 std::vector<Slot*>* reloading);
  Slot* AddSlot(const std::string& path, std::shared_ptr<const PluginImage> image);
  void RemoveSlot(Slot& slot);
  void CheckSettled(const std::string& path);
  std::vector<DiscoveredFile> Scan();

  // Plugin signatures (supervisor_signature.cc). AdmitSignature checks the image found at
  // `path` under its directory's policy: true to go on with it; false when the policy
  // refuses it, after recording why (an invalid entry in `invalid`, or, for a plugin that
  // already runs, a refused replacement on its slot: the running generation stays).
  TrustedKeys LoadTrustedKeys();
  bool AdmitSignature(const std::string& path, const PluginImage& image, const TrustedKeys& keys,
                      std::map<std::string, paddock::v1::PluginInfo>* invalid);
  // For `paddockctl reload NAME`: OK, or why the replacement may not run.
  absl::Status CheckReloadSignature(const std::string& path, const PluginImage& image);

  // Config engine (supervisor_config.cc).
  absl::Status ValidateChange(const paddock::v1::HostConfig& next) const;
  void ApplyConfig(LoadedConfig next);
  void PushConfig(Slot& slot);

  void WatchDirectories();

  SupervisorDeps deps_;
  std::unique_ptr<DirWatcher> plugin_watch_;
  std::unique_ptr<DirWatcher> config_watch_;
  LoadedConfig config_;
  uint64_t config_version_ = 1;
  std::map<std::string, std::unique_ptr<Slot>> slots_;      // Valid plugins by name.
  std::map<std::string, paddock::v1::PluginInfo> invalid_;  // Invalid files by path.
  // Signature problems already logged, path -> message (each is logged once).
  std::map<std::string, std::string> signature_logged_;
  absl::BitGen rng_;
  bool shutting_down_ = false;
  std::function<void()> shutdown_done_;
  // Removed plugins, kept alive so callbacks that still name them stay valid.
  std::vector<std::unique_ptr<Slot>> graveyard_;
  // Files in plugin directories waiting to stay unchanged for settle_ms.
  struct Settling {
    std::optional<PluginImage::FileIdentity> identity;  // nullopt: the file is gone.
    EventLoop::TimerId timer = 0;
  };
  std::map<std::string, Settling> settling_;  // By path.
  // A SIGUSR2/`reload` round in progress, and callers waiting for it or the next one.
  bool reload_round_running_ = false;
  std::vector<std::function<void(paddock::v1::ReloadResponse)>> reload_round_waiters_;
  std::vector<std::function<void(paddock::v1::ReloadResponse)>> next_round_waiters_;
  bool reload_round_again_ = false;
  std::string config_last_error_;
  std::string config_rejected_sha_;  // The last bytes rejected (not re-judged until changed).
  EventLoop::TimerId config_timer_ = 0;
};

}  // namespace paddock::host
