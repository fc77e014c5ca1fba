#include "host/invoke_service.h"

#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "host/grpc_status.h"
#include "host/host_log.h"
#include "host/names.h"
#include "host/plugin_call.h"

namespace paddock::host {
namespace {

// gRPC's name for the SANs of a verified peer (GRPC_X509_SAN_PROPERTY_NAME).
constexpr char kSanProperty[] = "x509_subject_alternative_name";
constexpr char kPluginSuffix[] = ".plugin.paddock";
constexpr uint32_t kMaxTimeoutMs = 600000;
constexpr absl::Duration kDenialLogEvery = absl::Seconds(10);
// Distinct (caller, target) pairs whose denials are rate-limited separately.
constexpr size_t kMaxTrackedDenials = 1024;

}  // namespace

absl::StatusOr<std::string> CallerPlugin(const grpc::AuthContext& ctx) {
  if (!ctx.IsPeerAuthenticated()) return absl::UnauthenticatedError("peer is not authenticated");
  const std::vector<grpc::string_ref> sans = ctx.FindPropertyValues(kSanProperty);
  if (sans.size() != 1) {
    return absl::UnauthenticatedError("peer certificate must carry exactly one SAN");
  }
  const std::string san(sans[0].data(), sans[0].size());
  // "<name>.g<generation>.plugin.paddock"; plugin names have no dots.
  const size_t dot = san.find('.');
  bool ok = absl::EndsWith(san, kPluginSuffix) && dot != std::string::npos &&
            dot + 2 < san.size() && san[dot + 1] == 'g';
  const std::string name = ok ? san.substr(0, dot) : "";
  if (ok) {
    const std::string gen = san.substr(dot + 2, san.size() - (dot + 2) - strlen(kPluginSuffix));
    ok = !gen.empty() && gen.find_first_not_of("0123456789") == std::string::npos &&
         IsValidPluginName(name);
  }
  if (!ok) return absl::UnauthenticatedError(absl::StrCat("peer ", san, " is not a plugin"));
  return name;
}

absl::Status InvokeService::Deny(const std::string& caller, const std::string& target) {
  const std::string why = absl::StrCat("plugin \"", caller, "\" may not invoke \"", target,
                                       "\": not allowed by plugins.", caller, ".invoke");
  if (metrics_ != nullptr) metrics_->InvokeDenied(caller);
  {
    absl::MutexLock lock(&log_mu_);
    const absl::Time now = absl::Now();
    std::pair<std::string, std::string> key(caller, target);
    if (denials_.size() >= kMaxTrackedDenials && denials_.count(key) == 0) {
      // Bounded: forget the quiet pairs; a caller spraying distinct targets shares one entry.
      for (auto it = denials_.begin(); it != denials_.end();) {
        it = now - it->second.at >= kDenialLogEvery ? denials_.erase(it) : std::next(it);
      }
      if (denials_.size() >= kMaxTrackedDenials) key.second = "(many targets)";
    }
    Logged& l = denials_[key];
    if (now - l.at >= kDenialLogEvery) {
      std::string line = absl::StrCat("invoke denied: ", why);
      if (l.suppressed) absl::StrAppend(&line, " (", l.suppressed, " more since the last report)");
      HostLog(LogLevel::kWarn, line);
      l.at = now;
      l.suppressed = 0;
    } else {
      ++l.suppressed;
    }
  }
  return absl::PermissionDeniedError(why);
}

absl::StatusOr<paddock::v1::InvokeResponse> InvokeService::InvokeAs(
    const std::string& caller, const paddock::v1::InvokeRequest& req) {
  const std::string& target = req.target();
  absl::StatusOr<InvokeTarget> parsed = ParseInvokeTarget(target);
  if (!parsed.ok()) return parsed.status();
  const std::string& plugin = parsed->plugin;
  if (req.timeout_ms() > kMaxTimeoutMs) {
    return absl::InvalidArgumentError(absl::StrCat("timeout_ms above ", kMaxTimeoutMs));
  }
  const InvokeAcl acl = InvokeAcl::For(*config_->Get(), caller);
  // Nothing about a plugin the caller may not call is revealed (not even whether it exists).
  if (!acl.NamesPlugin(plugin)) return Deny(caller, target);
  auto call = PrepareCall(
      *router_, *supervisor_, plugin, parsed->method, req.json(), MethodCatalog::Shape::kUnary,
      [&](const Route& route, const google::protobuf::MethodDescriptor* m) {
        return acl.Allows(plugin, *route.catalog, m) ? absl::OkStatus() : Deny(caller, target);
      });
  if (!call.ok()) return call.status();
  paddock::v1::InvokeResponse resp;
  if (req.check_only()) {
    resp.set_method(call->path);
    return resp;
  }
  paddock::v1::CallResponse out;
  grpc::Status s = RunUnaryCall(*call, req.timeout_ms(), &out, metrics_);
  if (!s.ok()) return ToAbsl(s);
  resp.set_json(std::move(*out.mutable_json()));
  resp.set_generation(out.generation());
  resp.set_method(std::move(*out.mutable_method()));
  return resp;
}

grpc::Status InvokeService::Invoke(grpc::ServerContext* ctx, const paddock::v1::InvokeRequest* req,
                                   paddock::v1::InvokeResponse* resp) {
  std::shared_ptr<const grpc::AuthContext> auth = ctx->auth_context();
  if (auth == nullptr) return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "no peer");
  absl::StatusOr<std::string> caller = CallerPlugin(*auth);
  if (!caller.ok()) return ToGrpc(caller.status());
  absl::StatusOr<paddock::v1::InvokeResponse> r = InvokeAs(*caller, *req);
  if (!r.ok()) return ToGrpc(r.status());
  *resp = std::move(*r);
  return grpc::Status::OK;
}

}  // namespace paddock::host
