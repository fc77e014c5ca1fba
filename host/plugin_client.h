// The host's client side of one plugin instance: a mutually authenticated TLS channel over
// the instance's unix socket, and typed calls to its lifecycle and health services.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/channel.h"
#include "grpcpp/generic/generic_stub.h"
#include "paddock/v1/lifecycle.grpc.pb.h"

namespace paddock::host {

// What the host presents to plugins and trusts from them.
struct HostCredentials {
  std::string ca_certificate_pem;  // The only CA either side trusts.
  std::string private_key_pem;     // The host's client key (in memory only).
  std::string certificate_pem;     // The host's client certificate (SAN = kHostIdentity).
};

// Thread-safe: every method may be called from any thread concurrently.
class PluginClient {
 public:
  // Creates a channel to `socket_path` that accepts only a server certificate issued by
  // the host's CA whose SAN is `plugin_identity`. Does not connect yet.
  static std::unique_ptr<PluginClient> Create(const std::string& socket_path,
                                              const std::string& plugin_identity,
                                              const HostCredentials& creds);

  // OK when the plugin reports SERVING; Unavailable with the reason otherwise.
  absl::Status CheckHealth(absl::Duration timeout);
  absl::StatusOr<paddock::v1::DescribeResponse> Describe(absl::Duration timeout);
  absl::StatusOr<paddock::v1::ConfigureResponse> Configure(
      const paddock::v1::ConfigSnapshot& snapshot, absl::Duration timeout);
  // Asks the plugin to drain; waits up to `deadline` (+ a margin for the answer).
  absl::StatusOr<paddock::v1::DrainResponse> Drain(absl::Duration deadline);
  absl::Status Shutdown(absl::Duration grace);
  absl::StatusOr<paddock::v1::MetricsResponse> Metrics(absl::Duration timeout);

  // Calls unary `method` ("/pkg.Service/Method") with serialized `request`; fills
  // `response` with the serialized answer. Returns the plugin's status as is.
  grpc::Status CallUnary(const std::string& method, const std::string& request,
                         std::string* response, absl::Duration timeout);

  // Calls server-streaming `method` with serialized `request` and hands each serialized
  // answer to `on_message` until the stream ends or it returns false (then the call is
  // cancelled). `ctx` carries the deadline and can be cancelled from another thread.
  grpc::Status CallServerStream(const std::string& method, const std::string& request,
                                grpc::ClientContext* ctx,
                                const std::function<bool(const std::string&)>& on_message);

  const std::shared_ptr<grpc::Channel>& channel() const { return channel_; }

 private:
  explicit PluginClient(std::shared_ptr<grpc::Channel> channel);

  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<grpc::health::v1::Health::Stub> health_;
  std::unique_ptr<paddock::v1::PluginLifecycle::Stub> lifecycle_;
};

}  // namespace paddock::host
