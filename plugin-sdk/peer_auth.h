// Mutual TLS for the plugin's gRPC server: only the host, identified by the SAN of its
// client certificate, may call.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "grpcpp/security/auth_context.h"
#include "grpcpp/security/auth_metadata_processor.h"
#include "grpcpp/security/server_credentials.h"

namespace paddock::sdk {

// OK iff the peer of `ctx` presented a certificate whose subject alternative names are all
// exactly `expected` (and there is at least one); Unauthenticated with the reason otherwise.
absl::Status CheckPeerIdentity(const grpc::AuthContext& ctx, std::string_view expected);

// Rejects every call (UNAUTHENTICATED) whose peer is not `host_identity` per
// CheckPeerIdentity. Non-blocking: runs inline on the call path. Thread-safe.
class HostOnlyAuthProcessor final : public grpc::AuthMetadataProcessor {
 public:
  explicit HostOnlyAuthProcessor(std::string host_identity)
      : host_identity_(std::move(host_identity)) {}

  bool IsBlocking() const override { return false; }
  grpc::Status Process(const InputMetadata& auth_metadata, grpc::AuthContext* context,
                       OutputMetadata* consumed_auth_metadata,
                       OutputMetadata* response_metadata) override;

 private:
  const std::string host_identity_;
};

// TLS server credentials presenting (key_pem, cert_pem), requiring and verifying a client
// certificate issued by ca_pem, and admitting only `host_identity`.
std::shared_ptr<grpc::ServerCredentials> HostOnlyServerCredentials(const std::string& key_pem,
                                                                   const std::string& cert_pem,
                                                                   const std::string& ca_pem,
                                                                   std::string host_identity);

}  // namespace paddock::sdk
