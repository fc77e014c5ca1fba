// The plugin's client side of the host's HostInvoke service (proto/paddock/v1/invoke.proto):
// a mutually authenticated TLS channel over the unix socket the bootstrap names.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "paddock/v1/bootstrap.pb.h"
#include "paddock/v1/invoke.grpc.pb.h"

namespace paddock::sdk {

// Thread-safe.
class HostChannel {
 public:
  // A channel to `b.host_socket_path()` presenting this instance's key and certificate and
  // accepting only a server certificate from `b.ca_certificate_pem()` whose SAN is
  // `b.host_identity()`. Null when the bootstrap names no host socket. Call before the
  // bootstrap's private key is wiped: gRPC keeps its own copy. Does not connect yet.
  static std::unique_ptr<HostChannel> Create(const v1::Bootstrap& b);

  // HostInvoke.Invoke; the response JSON, or the host's (or target's) status.
  absl::StatusOr<std::string> Invoke(const std::string& target, const std::string& json,
                                     absl::Duration timeout);
  // HostInvoke.Invoke with check_only.
  absl::Status Check(const std::string& target, absl::Duration timeout);

 private:
  explicit HostChannel(std::unique_ptr<v1::HostInvoke::Stub> stub) : stub_(std::move(stub)) {}
  absl::StatusOr<v1::InvokeResponse> Call(const v1::InvokeRequest& req, absl::Duration timeout);

  std::unique_ptr<v1::HostInvoke::Stub> stub_;
};

}  // namespace paddock::sdk
