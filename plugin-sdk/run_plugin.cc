// RunPlugin: the SDK's main sequence, a checklist from bootstrap to exit (see paddock/plugin.h).
//
// Exit codes: 0 clean shutdown; 1 the plugin could not start (Init failed, config rejected,
// cannot listen) or the host went away during the handshake; 2 usage errors, a missing or
// malformed bootstrap, or a binary without an embedded manifest.
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include <string>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "grpc/support/log.h"
#include "openssl/crypto.h"
#include "paddock/plugin.h"
#include "plugin-sdk/bootstrap.h"
#include "plugin-sdk/context_impl.h"
#include "plugin-sdk/inflight.h"
#include "plugin-sdk/instance.h"
#include "plugin-sdk/lifecycle_service.h"
#include "plugin-sdk/log_internal.h"
#include "plugin-sdk/manifest_section.h"
#include "plugin-sdk/orphan_reaper.h"
#include "plugin-sdk/protocol.h"
#include "plugin-sdk/server.h"
#include "plugin-sdk/shutdown_signal.h"

namespace paddock {
namespace {

constexpr int kExitStartFailed = 1;
constexpr int kExitUsage = 2;
// How long the host has to send the bootstrap after spawning us.
constexpr absl::Duration kBootstrapTimeout = absl::Seconds(10);
// Grace assumed on SIGTERM/SIGINT (the host's default shutdown_grace_ms).
constexpr absl::Duration kSignalGrace = absl::Seconds(3);
// Share of the grace spent before the host's SIGKILL may come; the rest is margin.
constexpr double kGraceUsed = 0.8;

// Routes gRPC's own log lines into the structured log instead of raw stderr.
void GrpcLogToJson(gpr_log_func_args* args) {
  log::Level level = args->severity == GPR_LOG_SEVERITY_ERROR  ? log::Level::kError
                     : args->severity == GPR_LOG_SEVERITY_INFO ? log::Level::kInfo
                                                               : log::Level::kDebug;
  log::Write(level, args->message,
             {{"source", "grpc"}, {"at", absl::StrCat(args->file, ":", args->line)}});
}

int Usage(const char* prog, int code) {
  fprintf(code == 0 ? stdout : stderr,
          "usage: %s [--manifest]\n"
          "A Paddock plugin: paddockd runs it and hands it its bootstrap on fd 3.\n"
          "  --manifest  print the manifest embedded in this binary as JSON and exit\n",
          prog);
  return code;
}

int PrintManifest(const v1::PluginManifest& manifest, const char* prog) {
  google::protobuf::util::JsonPrintOptions opts;
  opts.add_whitespace = true;
  opts.preserve_proto_field_names = true;
  std::string json;
  if (!google::protobuf::util::MessageToJsonString(manifest, &json, opts).ok()) {
    fprintf(stderr, "%s: cannot print the manifest as JSON\n", prog);
    return kExitUsage;
  }
  fwrite(json.data(), 1, json.size(), stdout);
  return 0;
}

// Reports a failed start to the host (log line and BootstrapReply) and returns `code`.
int FailStart(const absl::Status& st, int code) {
  const std::string error(st.message());
  log::Error("plugin failed to start", {{"error", error}});
  (void)sdk::WriteBootstrapReply(sdk::kBootstrapFd, false, error);
  return code;
}

}  // namespace

int RunPlugin(std::unique_ptr<Plugin> plugin, int argc, char** argv) {
  const char* prog = argc > 0 ? argv[0] : "plugin";
  bool print_manifest = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--manifest") {
      print_manifest = true;
    } else if (arg == "--help" || arg == "-h") {
      return Usage(prog, 0);
    } else {
      fprintf(stderr, "%s: unknown argument \"%s\"\n", prog, argv[i]);
      return Usage(prog, kExitUsage);
    }
  }
  const absl::StatusOr<v1::PluginManifest> manifest = sdk::EmbeddedManifest();
  if (!manifest.ok()) {
    fprintf(stderr, "%s: %s\n", prog, std::string(manifest.status().message()).c_str());
    return kExitUsage;
  }
  if (print_manifest) return PrintManifest(*manifest, prog);
  if (absl::Status st = sdk::CheckBootstrapSocket(sdk::kBootstrapFd); !st.ok()) {
    fprintf(stderr, "%s: %s\n", prog, std::string(st.message()).c_str());
    return kExitUsage;
  }
  // fd 3 stays open for the whole life of the process, but not across our own execs.
  ::fcntl(sdk::kBootstrapFd, F_SETFD, FD_CLOEXEC);
  ::signal(SIGPIPE, SIG_IGN);
  // Before any thread exists, so every thread inherits the blocked SIGTERM/SIGINT.
  absl::StatusOr<std::unique_ptr<sdk::ShutdownSignal>> shutdown =
      sdk::ShutdownSignal::Create(kSignalGrace);
  if (!shutdown.ok()) return FailStart(shutdown.status(), kExitStartFailed);
  // As pid 1 of a sandbox every orphan of the namespace becomes our zombie (orphan_reaper.h).
  std::unique_ptr<sdk::OrphanReaper> reaper;
  if (::getpid() == 1) {
    absl::StatusOr<std::unique_ptr<sdk::OrphanReaper>> r = sdk::OrphanReaper::Start({});
    if (!r.ok()) return FailStart(r.status(), kExitStartFailed);
    reaper = std::move(*r);
  }

  absl::StatusOr<v1::Bootstrap> boot = sdk::ReadBootstrap(sdk::kBootstrapFd, kBootstrapTimeout);
  if (!boot.ok()) return FailStart(boot.status(), kExitUsage);
  if (absl::Status st = sdk::ValidateBootstrap(*boot, manifest->name()); !st.ok()) {
    return FailStart(st, kExitUsage);
  }
  log::SetMinLevel(sdk::ParseLogLevel(boot->log_level()).value_or(log::Level::kInfo));
  gpr_set_log_function(GrpcLogToJson);
  log::Info("starting", {{"plugin", manifest->name()},
                         {"version", manifest->version()},
                         {"generation", absl::StrCat(boot->generation())},
                         {"instance", boot->instance_id()}});

  sdk::ContextImpl ctx(*boot);
  // Declared after ctx so that the plugin, and every MetricHandle it holds, is destroyed
  // before the context and its metrics registry (locals die in reverse order; the by-value
  // parameter would die only in the caller, after ctx: a handle then unregistered itself
  // from a freed registry, and log-aggregator spun at exit until the host's SIGKILL).
  std::unique_ptr<Plugin> owned = std::move(plugin);
  sdk::InflightTracker inflight;
  sdk::Instance instance(*owned, ctx, *manifest, inflight, **shutdown);
  if (absl::Status st = instance.Start(); !st.ok()) return FailStart(st, kExitStartFailed);

  std::vector<std::string> service_names;
  for (const auto& s : manifest->services()) service_names.push_back(s.name());
  sdk::LifecycleService lifecycle(instance);
  absl::StatusOr<std::unique_ptr<grpc::Server>> server =
      sdk::StartServer(*boot, &lifecycle, ctx.TakeServices(), service_names, inflight);
  // gRPC holds its own copy of the key now; do not leave one more in our heap.
  OPENSSL_cleanse(boot->mutable_private_key_pem()->data(), boot->private_key_pem().size());
  boot->clear_private_key_pem();
  if (!server.ok()) return FailStart(server.status(), kExitStartFailed);
  instance.Serving(server->get());

  if (absl::Status st = sdk::WriteBootstrapReply(sdk::kBootstrapFd, true, ""); !st.ok()) {
    log::Error("cannot tell the host we are ready; exiting",
               {{"error", std::string(st.message())}});
    (*server)->Shutdown();
    return kExitStartFailed;
  }
  log::Info("serving", {{"listen", boot->listen_path()}});

  absl::StatusOr<sdk::ShutdownSignal::Request> req = (*shutdown)->Wait();
  const absl::Time start = absl::Now();
  const absl::Duration budget = (req.ok() ? req->grace : kSignalGrace) * kGraceUsed;
  log::Info("shutting down",
            {{"reason", req.ok() ? req->reason : std::string(req.status().message())}});
  if (uint64_t left = instance.Drain(start + budget / 2); left > 0) {
    log::Warn("drain deadline passed with calls in flight", {{"calls", absl::StrCat(left)}});
  }
  instance.FinalShutdown();
  (*server)->Shutdown(absl::ToChronoTime(start + budget));
  (*server)->Wait();
  log::Info("stopped");
  return 0;
}

}  // namespace paddock
