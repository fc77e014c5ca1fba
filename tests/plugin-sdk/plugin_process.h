// Test harness: spawns a plugin binary the way paddockd does (SOCK_STREAM socketpair on fd 3),
// without a sandbox, and talks to it as the host.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/channel.h"
#include "host/certs.h"
#include "paddock/fd.h"
#include "paddock/v1/bootstrap.pb.h"

namespace paddock::testing {

// A mkdtemp directory, removed (with its files) when destroyed.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// One spawned plugin process. Kills (SIGKILL) and reaps it if still running when destroyed.
class PluginProcess {
 public:
  // Starts `binary` with argv {binary, args...}; its fd 3 is one end of a socketpair (or
  // nothing when `with_bootstrap_socket` is false) and its stdout and stderr are captured.
  static absl::StatusOr<std::unique_ptr<PluginProcess>> Spawn(const std::string& binary,
                                                              std::vector<std::string> args = {},
                                                              bool with_bootstrap_socket = true);
  ~PluginProcess();

  pid_t pid() const { return pid_; }
  int bootstrap_fd() const { return boot_.get(); }

  // Waits up to `timeout` for the exit; returns the raw wait status, or DeadlineExceeded.
  absl::StatusOr<int> Wait(absl::Duration timeout);
  // Everything the plugin wrote to stdout and stderr so far (non-blocking).
  std::string Output();

 private:
  PluginProcess() = default;
  pid_t pid_ = -1;
  bool reaped_ = false;
  UniqueFd boot_;
  UniqueFd err_;
  std::string err_text_;
};

// Certificates for one test: a CA, the host's client certificate, and plugin certificates.
struct TestPki {
  std::unique_ptr<host::CertificateAuthority> ca;
  host::IssuedCert host_cert;
  static TestPki Make();
};

// A bootstrap for plugin `name`, generation `generation`, listening on `socket_path`.
v1::Bootstrap MakeBootstrap(const TestPki& pki, const std::string& name, uint64_t generation,
                            const std::string& socket_path);

// A TLS channel to `socket_path` presenting `client` (may be empty: no client certificate),
// trusting `ca_pem`, expecting the server to be `server_identity`.
std::shared_ptr<grpc::Channel> MakeChannel(const std::string& socket_path,
                                           const std::string& ca_pem,
                                           const host::IssuedCert& client,
                                           const std::string& server_identity);

}  // namespace paddock::testing
