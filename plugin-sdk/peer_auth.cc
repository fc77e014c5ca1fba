// Mutual TLS that admits only the host (see peer_auth.h).
#include "plugin-sdk/peer_auth.h"

#include "absl/strings/str_cat.h"
#include "grpcpp/security/server_credentials.h"

namespace paddock::sdk {
namespace {

// gRPC's SSL transport publishes every SAN of the verified peer certificate under this
// property (grpc/grpc_security_constants.h: GRPC_X509_SAN_PROPERTY_NAME).
constexpr char kSanProperty[] = "x509_subject_alternative_name";

}  // namespace

absl::Status CheckPeerIdentity(const grpc::AuthContext& ctx, std::string_view expected) {
  if (!ctx.IsPeerAuthenticated()) {
    return absl::UnauthenticatedError("peer is not authenticated");
  }
  const std::vector<grpc::string_ref> sans = ctx.FindPropertyValues(kSanProperty);
  if (sans.empty()) return absl::UnauthenticatedError("peer certificate has no SAN");
  for (const grpc::string_ref& san : sans) {
    if (std::string_view(san.data(), san.size()) != expected) {
      return absl::UnauthenticatedError(absl::StrCat(
          "peer identity ", absl::string_view(san.data(), san.size()), " is not the host"));
    }
  }
  return absl::OkStatus();
}

grpc::Status HostOnlyAuthProcessor::Process(const InputMetadata& /*auth_metadata*/,
                                            grpc::AuthContext* context,
                                            OutputMetadata* /*consumed_auth_metadata*/,
                                            OutputMetadata* /*response_metadata*/) {
  if (context == nullptr) return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "no peer");
  if (absl::Status st = CheckPeerIdentity(*context, host_identity_); !st.ok()) {
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, std::string(st.message()));
  }
  return grpc::Status::OK;
}

std::shared_ptr<grpc::ServerCredentials> HostOnlyServerCredentials(const std::string& key_pem,
                                                                   const std::string& cert_pem,
                                                                   const std::string& ca_pem,
                                                                   std::string host_identity) {
  grpc::SslServerCredentialsOptions opts(
      GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  opts.pem_root_certs = ca_pem;
  opts.pem_key_cert_pairs.push_back({key_pem, cert_pem});
  std::shared_ptr<grpc::ServerCredentials> creds = grpc::SslServerCredentials(opts);
  creds->SetAuthMetadataProcessor(
      std::make_shared<HostOnlyAuthProcessor>(std::move(host_identity)));
  return creds;
}

}  // namespace paddock::sdk
