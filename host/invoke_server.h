// The unix socket the host serves HostInvoke on: <runtime_dir>/host/invoke.sock, mutual TLS
// (the host's certificate, a client certificate from the host's CA required). The directory is
// bind-mounted read-only at /host into every sandbox (connect() needs no write access to the
// mount, only to the socket file, which is 0666: TLS, not file modes, decides who may talk).
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/server.h"
#include "host/plugin_client.h"

namespace paddock::host {

// Where plugins find the host's socket directory inside a sandbox.
inline constexpr char kSandboxHostDir[] = "/host";
inline constexpr char kInvokeSocketName[] = "invoke.sock";

// <runtime_dir>/host: the host's socket directory.
std::string HostSocketDir(const std::string& runtime_dir);

class InvokeServer {
 public:
  // Serves `service` (not owned; outlives the server) on <dir>/invoke.sock: creates `dir`
  // (0755) if needed, removes a stale socket left by a crashed host (anything else at that
  // path is an error, and so is a socket a live host answers on), and makes the socket 0666.
  // At most 32 invokes are served at once; more get RESOURCE_EXHAUSTED. InvalidArgument for a
  // path too long for a unix socket; AlreadyExists when another host serves it; Unavailable
  // if gRPC cannot listen.
  static absl::StatusOr<std::unique_ptr<InvokeServer>> Start(const std::string& dir,
                                                             const HostCredentials& creds,
                                                             grpc::Service* service);
  // Shutdown(1 s) and removes the socket file.
  ~InvokeServer();

  // Stops accepting calls; cancels those still running after `grace`. Idempotent.
  void Shutdown(absl::Duration grace);

  const std::string& socket_path() const { return path_; }

 private:
  InvokeServer(std::string path, std::unique_ptr<grpc::Server> server)
      : path_(std::move(path)), server_(std::move(server)) {}

  std::string path_;
  std::unique_ptr<grpc::Server> server_;
  bool shut_down_ = false;
};

}  // namespace paddock::host
