// The plugin's gRPC server (see server.h).
#include "plugin-sdk/server.h"

#include <sys/stat.h>

#include "absl/strings/str_cat.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/server_builder.h"
#include "paddock/errno_status.h"
#include "plugin-sdk/peer_auth.h"

namespace paddock::sdk {
namespace {

// gRPC says only "failed to bind"; find the likelier reason ourselves.
absl::Status ExplainListenFailure(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash != std::string::npos) {
    const std::string dir = slash == 0 ? std::string("/") : std::string(path.data(), slash);
    struct stat st;
    if (::stat(dir.c_str(), &st) != 0) {
      return ErrnoStatus(errno, absl::StrCat("cannot listen on ", path, ": directory ", dir));
    }
  }
  return absl::UnavailableError(
      absl::StrCat("cannot listen on unix socket ", path, " (see the grpc log line above)"));
}

}  // namespace

absl::StatusOr<std::unique_ptr<grpc::Server>> StartServer(
    const v1::Bootstrap& b, grpc::Service* lifecycle, const std::vector<grpc::Service*>& services,
    const std::vector<std::string>& service_names, InflightTracker& inflight) {
  // Process-wide switch, read by BuildAndStart. The default service answers Check and Watch.
  grpc::EnableDefaultHealthCheckService(true);
  grpc::ServerBuilder builder;
  builder.AddListeningPort(absl::StrCat("unix:", b.listen_path()),
                           HostOnlyServerCredentials(b.private_key_pem(), b.certificate_pem(),
                                                     b.ca_certificate_pem(), b.host_identity()));
  builder.RegisterService(lifecycle);
  for (grpc::Service* s : services) builder.RegisterService(s);
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> factories;
  factories.push_back(inflight.InterceptorFactory());
  builder.experimental().SetInterceptorCreators(std::move(factories));

  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr) return ExplainListenFailure(b.listen_path());
  grpc::HealthCheckServiceInterface* health = server->GetHealthCheckService();
  if (health == nullptr) return absl::InternalError("the default health service is missing");
  health->SetServingStatus(true);
  for (const std::string& name : service_names) health->SetServingStatus(name, true);
  return server;
}

}  // namespace paddock::sdk
