#include "host/daemon.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <climits>
#include <filesystem>
#include <thread>

#include "absl/strings/str_cat.h"
#include "grpcpp/server_builder.h"
#include "host/certs.h"
#include "host/config.h"
#include "host/control_metrics.h"
#include "host/control_service.h"
#include "host/control_socket.h"
#include "host/event_loop.h"
#include "host/host_log.h"
#include "host/host_metrics.h"
#include "host/invoke_server.h"
#include "host/invoke_service.h"
#include "host/metrics_endpoint.h"
#include "host/router.h"
#include "host/service_notifier.h"
#include "host/service_status.h"
#include "host/supervisor.h"
#include "host/worker_pool.h"
#include "paddock/errno_status.h"
#include "sandbox/cgroup.h"

namespace paddock::host {
namespace {

constexpr int kWorkerThreads = 4;
constexpr absl::Duration kCaLifetime = absl::Hours(24 * 30);

std::string ExeDir() {
  char buf[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  if (n <= 0) return ".";
  std::filesystem::path exe(std::string(buf, static_cast<size_t>(n)));
  return exe.parent_path().string();
}

// What the command line says over any config file, then $ORIGIN expansion. Applied to the
// config at start and to every config file change after.
void FinishConfig(const DaemonOptions& o, paddock::v1::HostConfig* c) {
  if (!o.plugin_dirs.empty()) {
    c->clear_plugin_dirs();
    for (const auto& d : o.plugin_dirs) c->add_plugin_dirs(d);
  }
  if (!o.control_socket.empty()) c->set_control_socket(o.control_socket);
  if (!o.runtime_dir.empty()) c->set_runtime_dir(o.runtime_dir);
  if (!o.data_dir.empty()) c->set_data_dir(o.data_dir);
  if (!o.log_level.empty()) c->set_log_level(o.log_level);
  if (o.unconfined) c->mutable_sandbox()->set_unconfined(true);
  ExpandOrigin(c, ExeDir());
}

absl::StatusOr<LoadedConfig> LoadConfig(const DaemonOptions& o) {
  auto loaded =
      o.config_path.empty() ? LoadEmbeddedDefaultConfig() : LoadHostConfigFile(o.config_path);
  if (!loaded.ok()) return loaded.status();
  FinishConfig(o, &loaded->config);
  return loaded;
}

// Two hosts sharing a cgroup subtree would kill each other's plugins as "stale": the
// subtree is held by an flock for the host's lifetime.
absl::StatusOr<UniqueFd> LockCgroupSubtree(const std::string& name) {
  std::string path = absl::StrCat("/run/paddock-cgroup-", name, ".lock");
  UniqueFd fd(open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd) return ErrnoStatus(errno, "open " + path);
  if (flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) {
      return absl::AlreadyExistsError(
          absl::StrCat("another paddockd uses the cgroup subtree \"", name,
                       "\"; give this one its own sandbox.cgroup_name"));
    }
    return ErrnoStatus(errno, "flock " + path);
  }
  return fd;
}

}  // namespace

int RunDaemon(const DaemonOptions& options) {
  // Mount points in plugin roots, instance dirs and images are made for other uids (each
  // plugin's) with the modes the code names; an inherited umask such as 077 would make
  // them unreachable (execveat EACCES). Private files get explicit modes (socket 0600,
  // data dirs 0700).
  umask(022);
  auto config = LoadConfig(options);
  if (!config.ok()) {
    HostLog(LogLevel::kError, absl::StrCat("config: ", config.status().message()));
    return 2;
  }
  SetHostLogLevel(ParseLogLevel(config->config.log_level()));
  HostLog(LogLevel::kInfo, absl::StrCat("paddockd starting; config from ", config->source));
  if (config->config.sandbox().unconfined()) {
    HostLog(LogLevel::kWarn, "sandbox.unconfined is set: plugins run WITHOUT confinement");
  }

  // Signals are handled on the loop through a signalfd; block them before any thread exists
  // so every thread inherits the mask.
  sigset_t mask;
  sigemptyset(&mask);
  for (int s : {SIGINT, SIGTERM, SIGUSR2, SIGHUP}) sigaddset(&mask, s);
  pthread_sigmask(SIG_BLOCK, &mask, nullptr);
  signal(SIGPIPE, SIG_IGN);
  UniqueFd sigfd(signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!sigfd) {
    HostLog(LogLevel::kError, absl::StrCat("signalfd: ", strerror(errno)));
    return 1;
  }

  auto ca = CertificateAuthority::Create("paddockd ephemeral CA", kCaLifetime);
  if (!ca.ok()) {
    HostLog(LogLevel::kError, absl::StrCat("CA: ", ca.status().message()));
    return 1;
  }
  auto host_cert = (*ca)->Issue(kHostIdentity, kCaLifetime);
  if (!host_cert.ok()) {
    HostLog(LogLevel::kError, absl::StrCat("host certificate: ", host_cert.status().message()));
    return 1;
  }
  auto loop = EventLoop::Create();
  if (!loop.ok()) {
    HostLog(LogLevel::kError, std::string(loop.status().message()));
    return 1;
  }

  auto control = ControlSocket::Open(config->config.control_socket(), 0600);
  if (!control.ok()) {
    HostLog(LogLevel::kError, absl::StrCat("control socket: ", control.status().message()));
    return 1;
  }

  // One cgroup subtree per host; destroyed after the supervisor (declared before it), so
  // every instance cgroup is gone first and the subtree is removed last.
  std::unique_ptr<sandbox::CgroupManager> cgroups;
  UniqueFd cgroup_lock;
  if (!config->config.sandbox().unconfined()) {
    if (geteuid() != 0) {
      HostLog(LogLevel::kError,
              "confining plugins needs root (namespaces, cgroups); run as root, or pass "
              "--unconfined for development");
      return 1;
    }
    auto lock = LockCgroupSubtree(config->config.sandbox().cgroup_name());
    if (!lock.ok()) {
      HostLog(LogLevel::kError, absl::StrCat("cgroups: ", lock.status().message()));
      return 1;
    }
    cgroup_lock = std::move(*lock);
    auto manager =
        sandbox::CgroupManager::Create("/sys/fs/cgroup", config->config.sandbox().cgroup_name());
    if (!manager.ok()) {
      HostLog(LogLevel::kError, absl::StrCat("cgroups: ", manager.status().message()));
      return 1;
    }
    cgroups = std::move(*manager);
    HostLog(LogLevel::kInfo, absl::StrCat("cgroups: ", cgroups->Describe()));
  }

  Router router;
  HostMetrics metrics;
  WorkerPool workers(kWorkerThreads);
  SupervisorDeps deps;
  deps.loop = loop->get();
  deps.workers = &workers;
  deps.router = &router;
  deps.ca = ca->get();
  deps.cgroups = cgroups.get();
  deps.config_path = options.config_path;
  deps.metrics = &metrics;
  deps.finish_config = [&options](paddock::v1::HostConfig* c) { FinishConfig(options, c); };
  deps.host_creds = {(*ca)->certificate_pem(), host_cert->private_key_pem,
                     host_cert->certificate_pem};
  // The invoke ACL follows every config the config engine applies.
  LiveConfig live_config(config->config);
  deps.on_config_applied = [&live_config](const paddock::v1::HostConfig& c) { live_config.Set(c); };
  Supervisor supervisor(deps, *config);
  ControlService service(&supervisor, &router, &metrics);
  grpc::ServerBuilder builder;
  builder.RegisterService(&service);
  {
    std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> icpt;
    icpt.push_back(MakeControlMetricsInterceptor(&metrics));
    builder.experimental().SetInterceptorCreators(std::move(icpt));
  }
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server) {
    HostLog(LogLevel::kError, "cannot start the control gRPC server");
    return 1;
  }
  (*control)->Serve(server.get());
  // Plugins invoking other plugins (host/invoke_server.h); spawns bind its dir at /host.
  InvokeService invoke_service(&router, &supervisor, &live_config, &metrics);
  auto invoke = InvokeServer::Start(HostSocketDir(config->config.runtime_dir()), deps.host_creds,
                                    &invoke_service);
  if (!invoke.ok()) {
    HostLog(LogLevel::kError, absl::StrCat("invoke socket: ", invoke.status().message()));
    return 1;
  }

  EventLoop& l = **loop;
  // systemd Type=notify (a no-op without $NOTIFY_SOCKET): READY/RELOADING/STOPPING/STATUS.
  std::unique_ptr<ServiceNotifier> notifier = ServiceNotifier::FromEnvironment();
  ServiceStatus service_status(
      &l, notifier.get(), [&supervisor] { return supervisor.ListOnLoop(); },
      absl::Milliseconds(config->config.health().start_timeout_ms()) + absl::Seconds(1));
  // Ctrl-C and `timeout` signal the whole process group, and some supervisors repeat a
  // signal: a second stop signal forces the exit only when it comes a second after the first.
  absl::Time first_stop = absl::InfinitePast();
  auto watch = l.Watch(sigfd.get(), EPOLLIN, [&](uint32_t) {
    signalfd_siginfo si;
    while (read(sigfd.get(), &si, sizeof(si)) == sizeof(si)) {
      int sig = static_cast<int>(si.ssi_signo);
      if (sig == SIGINT || sig == SIGTERM) {
        if (first_stop != absl::InfinitePast()) {
          if (absl::Now() - first_stop < absl::Seconds(1)) continue;
          HostLog(LogLevel::kWarn, "second stop signal: exiting now (plugins get SIGKILL)");
          l.Quit();
          continue;
        }
        first_stop = absl::Now();
        service_status.Stopping();
        supervisor.Shutdown([&l] { l.Quit(); });
      } else if (sig == SIGUSR2) {
        if (first_stop == absl::InfinitePast()) {
          service_status.Reloading();
          supervisor.ReloadAll(
              [&service_status](const paddock::v1::ReloadResponse&) { service_status.Reloaded(); });
        }
      } else if (sig == SIGHUP) {
        // The config file is watched; SIGHUP asks for a re-read anyway.
        supervisor.OnConfigChanged();
      }
    }
  });
  if (!watch.ok()) {
    HostLog(LogLevel::kError, std::string(watch.message()));
    return 1;
  }

  // Off the loop: its own threads; it only reads the supervisor through Snapshot().
  std::unique_ptr<MetricsEndpoint> metrics_endpoint =
      StartMetricsEndpoint(config->config.metrics(), &supervisor, &metrics);

  l.Post([&] {
    supervisor.Start();
    service_status.Started();
  });
  HostLog(LogLevel::kInfo,
          absl::StrCat("control socket: ", (*control)->path(), " (try: paddockctl list)"));
  l.Run();

  // Control handlers still in flight may be waiting on a task posted to the loop (List,
  // Status, ...); the servers' Shutdown waits for those handlers, so the loop keeps serving
  // posted tasks until the servers are down. The supervisor refuses new actions by now.
  // The metrics endpoint (it reads supervisor snapshots) stops first.
  std::atomic<bool> servers_down{false};
  std::thread stopper([&] {
    metrics_endpoint.reset();
    (*control)->Stop();
    (*invoke)->Shutdown(absl::Seconds(1));
    server->Shutdown(absl::ToChronoTime(absl::Now() + absl::Seconds(1)));
    servers_down = true;
    l.Post([] {});  // Wake the loop to see it.
  });
  l.ServePostedUntil([&] { return servers_down.load(); });
  stopper.join();
  HostLog(LogLevel::kInfo, "paddockd stopped");
  // Anything still alive (second signal) dies with us through PR_SET_PDEATHSIG.
  return 0;
}

}  // namespace paddock::host
