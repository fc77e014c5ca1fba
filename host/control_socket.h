// The control socket: created only at a safe path, owner-only by file mode, and every
// accepted connection is checked by peer credentials before gRPC sees a byte of it.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "grpcpp/server.h"
#include "paddock/fd.h"

namespace paddock::host {

// Checks that `path` is a safe place for the control socket: its directory exists (it is
// created 0700 if missing), is a real directory owned by us or root, and cannot be
// written by others unless it is sticky; `path` itself is absent or a stale socket (which
// is removed). FailedPrecondition names the problem; AlreadyExists if a live daemon
// answers there.
absl::Status PrepareControlSocketPath(const std::string& path);

class ControlSocket {
 public:
  // Binds and listens at `path` with permissions `mode` (e.g. 0600) after
  // PrepareControlSocketPath.
  static absl::StatusOr<std::unique_ptr<ControlSocket>> Open(const std::string& path, mode_t mode);
  ~ControlSocket();

  // Accepts connections on a background thread and hands those whose peer uid is ours
  // (or root) to `server`. `server` must outlive Stop().
  void Serve(grpc::Server* server);
  // Stops accepting and removes the socket file. Idempotent.
  void Stop();

  const std::string& path() const { return path_; }

 private:
  ControlSocket(std::string path, UniqueFd fd) : path_(std::move(path)), fd_(std::move(fd)) {}
  void AcceptLoop(grpc::Server* server);

  std::string path_;
  UniqueFd fd_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
};

}  // namespace paddock::host
