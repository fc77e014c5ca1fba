// The plugin's channel to the host's HostInvoke service (see host_channel.h).
#include "plugin-sdk/host_channel.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"

namespace paddock::sdk {
namespace {

constexpr int kMaxMessageBytes = 8 << 20;
// Extra time the host gets beyond the target's deadline to answer.
constexpr absl::Duration kHostMargin = absl::Seconds(1);

}  // namespace

std::unique_ptr<HostChannel> HostChannel::Create(const v1::Bootstrap& b) {
  if (b.host_socket_path().empty()) return nullptr;
  grpc::SslCredentialsOptions opts;
  opts.pem_root_certs = b.ca_certificate_pem();
  opts.pem_private_key = b.private_key_pem();
  opts.pem_cert_chain = b.certificate_pem();
  grpc::ChannelArguments args;
  // The server certificate must name the host exactly.
  args.SetSslTargetNameOverride(b.host_identity());
  args.SetMaxReceiveMessageSize(kMaxMessageBytes);
  args.SetMaxSendMessageSize(kMaxMessageBytes);
  // Local socket: reconnect quickly after a host restart of the listener.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 20);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 20);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 500);
  auto channel =
      grpc::CreateCustomChannel("unix:" + b.host_socket_path(), grpc::SslCredentials(opts), args);
  return std::unique_ptr<HostChannel>(new HostChannel(v1::HostInvoke::NewStub(channel)));
}

absl::StatusOr<v1::InvokeResponse> HostChannel::Call(const v1::InvokeRequest& req,
                                                     absl::Duration timeout) {
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + timeout + kHostMargin));
  v1::InvokeResponse resp;
  grpc::Status s = stub_->Invoke(&ctx, req, &resp);
  if (!s.ok()) {
    return absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message());
  }
  return resp;
}

absl::StatusOr<std::string> HostChannel::Invoke(const std::string& target, const std::string& json,
                                                absl::Duration timeout) {
  v1::InvokeRequest req;
  req.set_target(target);
  req.set_json(json);
  req.set_timeout_ms(static_cast<uint32_t>(
      std::clamp<int64_t>(absl::ToInt64Milliseconds(timeout), 1, int64_t{UINT32_MAX})));
  absl::StatusOr<v1::InvokeResponse> resp = Call(req, timeout);
  if (!resp.ok()) return resp.status();
  return std::move(*resp->mutable_json());
}

absl::Status HostChannel::Check(const std::string& target, absl::Duration timeout) {
  v1::InvokeRequest req;
  req.set_target(target);
  req.set_check_only(true);
  return Call(req, timeout).status();
}

}  // namespace paddock::sdk
