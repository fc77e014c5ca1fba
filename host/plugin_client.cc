#include "host/plugin_client.h"

#include "grpcpp/create_channel.h"
#include "grpcpp/impl/codegen/client_unary_call.h"
#include "grpcpp/impl/codegen/sync_stream.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/byte_buffer.h"
#include "host/grpc_status.h"

namespace paddock::host {
namespace {

std::chrono::system_clock::time_point Deadline(absl::Duration d) {
  return absl::ToChronoTime(absl::Now() + d);
}

constexpr int kMaxMessageBytes = 64 << 20;

}  // namespace

std::unique_ptr<PluginClient> PluginClient::Create(const std::string& socket_path,
                                                   const std::string& plugin_identity,
                                                   const HostCredentials& creds) {
  grpc::SslCredentialsOptions opts;
  opts.pem_root_certs = creds.ca_certificate_pem;
  opts.pem_private_key = creds.private_key_pem;
  opts.pem_cert_chain = creds.certificate_pem;
  grpc::ChannelArguments args;
  // The server certificate must name exactly this plugin and generation.
  args.SetSslTargetNameOverride(plugin_identity);
  // Generations never share connections, even if a socket path were reused.
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  args.SetMaxReceiveMessageSize(kMaxMessageBytes);
  args.SetMaxSendMessageSize(kMaxMessageBytes);
  // A unix socket has no network between the ends: reconnect quickly if it drops.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 10);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 10);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 200);
  auto channel = grpc::CreateCustomChannel("unix:" + socket_path, grpc::SslCredentials(opts), args);
  return std::unique_ptr<PluginClient>(new PluginClient(std::move(channel)));
}

PluginClient::PluginClient(std::shared_ptr<grpc::Channel> channel)
    : channel_(std::move(channel)),
      health_(grpc::health::v1::Health::NewStub(channel_)),
      lifecycle_(paddock::v1::PluginLifecycle::NewStub(channel_)) {}

absl::Status PluginClient::CheckHealth(absl::Duration timeout) {
  grpc::ClientContext ctx;
  ctx.set_deadline(Deadline(timeout));
  grpc::health::v1::HealthCheckRequest req;
  grpc::health::v1::HealthCheckResponse resp;
  grpc::Status s = health_->Check(&ctx, req, &resp);
  if (!s.ok()) return ToAbsl(s);
  if (resp.status() != grpc::health::v1::HealthCheckResponse::SERVING) {
    return absl::UnavailableError(
        "health: " + grpc::health::v1::HealthCheckResponse::ServingStatus_Name(resp.status()));
  }
  return absl::OkStatus();
}

absl::StatusOr<paddock::v1::DescribeResponse> PluginClient::Describe(absl::Duration timeout) {
  grpc::ClientContext ctx;
  ctx.set_deadline(Deadline(timeout));
  paddock::v1::DescribeResponse resp;
  grpc::Status s = lifecycle_->Describe(&ctx, paddock::v1::DescribeRequest(), &resp);
  if (!s.ok()) return ToAbsl(s);
  return resp;
}

absl::StatusOr<paddock::v1::ConfigureResponse> PluginClient::Configure(
    const paddock::v1::ConfigSnapshot& snapshot, absl::Duration timeout) {
  grpc::ClientContext ctx;
  ctx.set_deadline(Deadline(timeout));
  paddock::v1::ConfigureResponse resp;
  grpc::Status s = lifecycle_->Configure(&ctx, snapshot, &resp);
  if (!s.ok()) return ToAbsl(s);
  return resp;
}

absl::StatusOr<paddock::v1::DrainResponse> PluginClient::Drain(absl::Duration deadline) {
  grpc::ClientContext ctx;
  ctx.set_deadline(Deadline(deadline + absl::Seconds(1)));
  paddock::v1::DrainRequest req;
  req.set_deadline_ms(static_cast<uint32_t>(absl::ToInt64Milliseconds(deadline)));
  paddock::v1::DrainResponse resp;
  grpc::Status s = lifecycle_->Drain(&ctx, req, &resp);
  if (!s.ok()) return ToAbsl(s);
  return resp;
}

absl::Status PluginClient::Shutdown(absl::Duration grace) {
  grpc::ClientContext ctx;
  ctx.set_deadline(Deadline(absl::Seconds(1)));
  paddock::v1::ShutdownRequest req;
  req.set_grace_ms(static_cast<uint32_t>(absl::ToInt64Milliseconds(grace)));
  paddock::v1::ShutdownResponse resp;
  return ToAbsl(lifecycle_->Shutdown(&ctx, req, &resp));
}

absl::StatusOr<paddock::v1::MetricsResponse> PluginClient::Metrics(absl::Duration timeout) {
  grpc::ClientContext ctx;
  ctx.set_deadline(Deadline(timeout));
  paddock::v1::MetricsResponse resp;
  grpc::Status s = lifecycle_->Metrics(&ctx, paddock::v1::MetricsRequest(), &resp);
  if (!s.ok()) return ToAbsl(s);
  return resp;
}

namespace {

std::string Flatten(const grpc::ByteBuffer& buf, bool* ok) {
  std::vector<grpc::Slice> slices;
  *ok = buf.Dump(&slices).ok();
  std::string out;
  for (const auto& sl : slices) out.append(reinterpret_cast<const char*>(sl.begin()), sl.size());
  return out;
}

}  // namespace

grpc::Status PluginClient::CallServerStream(
    const std::string& method, const std::string& request, grpc::ClientContext* ctx,
    const std::function<bool(const std::string&)>& on_message) {
  grpc::Slice slice(request);
  grpc::ByteBuffer req(&slice, 1);
  grpc::internal::RpcMethod rpc(method.c_str(), grpc::internal::RpcMethod::SERVER_STREAMING);
  std::unique_ptr<grpc::ClientReader<grpc::ByteBuffer>> reader(
      grpc::internal::ClientReaderFactory<grpc::ByteBuffer>::Create(channel_.get(), rpc, ctx, req));
  grpc::ByteBuffer msg;
  while (reader->Read(&msg)) {
    bool ok = false;
    std::string bytes = Flatten(msg, &ok);
    if (!ok || !on_message(bytes)) {
      ctx->TryCancel();
      break;
    }
  }
  return reader->Finish();
}

grpc::Status PluginClient::CallUnary(const std::string& method, const std::string& request,
                                     std::string* response, absl::Duration timeout) {
  grpc::ClientContext ctx;
  ctx.set_deadline(Deadline(timeout));
  grpc::Slice slice(request);
  grpc::ByteBuffer req(&slice, 1);
  grpc::ByteBuffer resp;
  // The same blocking unary path generated stubs use, with untyped bytes on both sides.
  grpc::Status s = grpc::internal::BlockingUnaryCall<grpc::ByteBuffer, grpc::ByteBuffer>(
      channel_.get(),
      grpc::internal::RpcMethod(method.c_str(), grpc::internal::RpcMethod::NORMAL_RPC), &ctx, req,
      &resp);
  if (!s.ok()) return s;
  bool ok = false;
  *response = Flatten(resp, &ok);
  if (!ok) return grpc::Status(grpc::StatusCode::INTERNAL, "bad response");
  return s;
}

}  // namespace paddock::host
