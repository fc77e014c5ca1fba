#include "service.h"

#include <chrono>

#include "absl/strings/str_cat.h"

namespace paddock::http_sampler {
namespace {

grpc::Status ToGrpc(const absl::Status& s) {
  if (s.ok()) return grpc::Status::OK;
  grpc::StatusCode code = grpc::StatusCode::INTERNAL;
  switch (s.code()) {
    case absl::StatusCode::kInvalidArgument:
      code = grpc::StatusCode::INVALID_ARGUMENT;
      break;
    case absl::StatusCode::kFailedPrecondition:
      code = grpc::StatusCode::FAILED_PRECONDITION;
      break;
    case absl::StatusCode::kNotFound:
      code = grpc::StatusCode::NOT_FOUND;
      break;
    case absl::StatusCode::kPermissionDenied:
      code = grpc::StatusCode::PERMISSION_DENIED;
      break;
    case absl::StatusCode::kUnavailable:
      code = grpc::StatusCode::UNAVAILABLE;
      break;
    default:
      break;
  }
  return grpc::Status(code, std::string(s.message()));
}

void SetCounters(const hs_counters& c, v1::Counters* out) {
  out->set_seen(c.seen);
  out->set_sampled(c.sampled);
  out->set_ring_full(c.ring_full);
  out->set_responses(c.responses);
}

constexpr uint32_t kMaxTop = 1000;

}  // namespace

Policy FromProto(const v1::Policy& p) {
  Policy out;
  out.default_rate_ppm = p.default_rate_ppm();
  for (const auto& [port, rate] : p.port_rate_ppm()) out.port_rate_ppm[port] = rate;
  return out;
}

v1::Policy ToProto(const Policy& p) {
  v1::Policy out;
  out.set_default_rate_ppm(p.default_rate_ppm);
  for (const auto& [port, rate] : p.port_rate_ppm) (*out.mutable_port_rate_ppm())[port] = rate;
  return out;
}

grpc::Status SamplerService::Samples(grpc::ServerContext* ctx, const v1::SamplesRequest* req,
                                     grpc::ServerWriter<v1::Sample>* writer) {
  if (req->backlog() > SampleHub::kRecent) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        absl::StrCat("backlog ", req->backlog(), " is above ", SampleHub::kRecent));
  }
  std::shared_ptr<SampleHub::Subscription> sub = hub_->Subscribe(*req);
  uint64_t sent = 0;
  v1::Sample s;
  while (req->limit() == 0 || sent < req->limit()) {
    if (ctx->IsCancelled()) break;
    if (sub->Next(&s, std::chrono::milliseconds(100))) {
      if (!writer->Write(s)) break;  // The client went away.
      ++sent;
      continue;
    }
    if (sub->closed() || telemetry_->Draining()) break;
  }
  hub_->Unsubscribe(sub);
  return grpc::Status::OK;
}

grpc::Status SamplerService::Stats(grpc::ServerContext*, const v1::StatsRequest* req,
                                   v1::StatsReply* reply) {
  uint32_t top = req->top() == 0 ? 10 : std::min(req->top(), kMaxTop);
  absl::StatusOr<std::vector<hs_counters>> counters = telemetry_->Counters();
  if (!counters.ok()) return ToGrpc(counters.status());
  hs_counters total{};
  for (const hs_counters& c : *counters) {
    total.seen += c.seen;
    total.sampled += c.sampled;
    total.ring_full += c.ring_full;
    total.responses += c.responses;
  }
  SetCounters(total, reply->mutable_total());
  for (const RuleInfo& r : policy_->rules()) {
    v1::RuleCounters* rc = reply->add_rules();
    rc->set_port(r.port);
    rc->set_rate_ppm(r.rate_ppm);
    if (r.rule < counters->size()) SetCounters((*counters)[r.rule], rc->mutable_counters());
  }
  aggregates_->Fill(top, telemetry_->NowNs(), reply);
  reply->set_unanswered(telemetry_->Unanswered());
  reply->set_bad_records(telemetry_->BadRecords());
  *reply->mutable_policy() = ToProto(policy_->current());
  for (const std::string& name : telemetry_->Interfaces()) reply->add_interfaces(name);
  return grpc::Status::OK;
}

grpc::Status SamplerService::SetPolicy(grpc::ServerContext*, const v1::SetPolicyRequest* req,
                                       v1::SetPolicyReply* reply) {
  if (absl::Status s = policy_->Apply(FromProto(req->policy())); !s.ok()) return ToGrpc(s);
  *reply->mutable_policy() = ToProto(policy_->current());
  return grpc::Status::OK;
}

}  // namespace paddock::http_sampler
