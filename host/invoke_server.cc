#include "host/invoke_server.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "grpcpp/resource_quota.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"
#include "paddock/errno_status.h"
#include "paddock/fd.h"

namespace paddock::host {
namespace {

// Threads serving invokes, at most (each blocks for the length of one forwarded call).
constexpr int kInvokeMaxThreads = 32;

}  // namespace

std::string HostSocketDir(const std::string& runtime_dir) { return runtime_dir + "/host"; }

absl::StatusOr<std::unique_ptr<InvokeServer>> InvokeServer::Start(const std::string& dir,
                                                                  const HostCredentials& creds,
                                                                  grpc::Service* service) {
  const std::string path = absl::StrCat(dir, "/", kInvokeSocketName);
  if (path.size() >= sizeof(sockaddr_un::sun_path)) {
    return absl::InvalidArgumentError(
        absl::StrCat("invoke socket path too long for a unix socket (", path.size(),
                     " bytes): shorten runtime_dir"));
  }
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return absl::InternalError(absl::StrCat("mkdir ", dir, ": ", ec.message()));
  if (chmod(dir.c_str(), 0755) != 0) return ErrnoStatus(errno, "chmod " + dir);
  struct stat st;
  if (lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      return absl::FailedPreconditionError(path + " exists and is not a socket");
    }
    // In use by a live paddockd sharing this runtime_dir, or stale from one that died.
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    UniqueFd probe(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!probe) return ErrnoStatus(errno, "socket");
    if (connect(probe.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) == 0) {
      return absl::AlreadyExistsError(
          absl::StrCat("another paddockd serves ", path, "; give this one its own runtime_dir"));
    }
    if (unlink(path.c_str()) != 0) return ErrnoStatus(errno, "unlink stale " + path);
  }

  grpc::SslServerCredentialsOptions opts(
      GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  opts.pem_root_certs = creds.ca_certificate_pem;
  opts.pem_key_cert_pairs.push_back({creds.private_key_pem, creds.certificate_pem});
  grpc::ServerBuilder builder;
  // Plugins are untrusted: however many invokes they start at once, they get a bounded
  // number of host threads (the control socket has its own server and stays responsive).
  grpc::ResourceQuota quota("paddock-invoke");
  quota.SetMaxThreads(kInvokeMaxThreads);
  builder.SetResourceQuota(quota);
  builder.AddListeningPort("unix:" + path, grpc::SslServerCredentials(opts));
  builder.RegisterService(service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", path));
  }
  if (chmod(path.c_str(), 0666) != 0) {
    absl::Status st = ErrnoStatus(errno, "chmod " + path);
    server->Shutdown();
    return st;
  }
  return std::unique_ptr<InvokeServer>(new InvokeServer(path, std::move(server)));
}

void InvokeServer::Shutdown(absl::Duration grace) {
  if (shut_down_) return;
  shut_down_ = true;
  server_->Shutdown(absl::ToChronoTime(absl::Now() + grace));
}

InvokeServer::~InvokeServer() {
  Shutdown(absl::Seconds(1));
  unlink(path_.c_str());
}

}  // namespace paddock::host
