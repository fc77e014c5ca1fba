// paddock.http_sampler.v1.HttpSampler: Samples (server stream), Stats, SetPolicy. Thin: it
// reads the state the plugin's parts keep (policy table, hub, aggregates, kernel counters)
// and converts absl::Status to grpc::Status at the edge. Handlers are thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "aggregates.h"
#include "http_sampler.grpc.pb.h"
#include "policy.h"
#include "sample_hub.h"

namespace paddock::http_sampler {

// What the service reads from the running sampler (the plugin implements it; tests fake
// it). Thread-safe.
class Telemetry {
 public:
  virtual ~Telemetry() = default;
  // Kernel counters per rule set (HS_RULES entries).
  virtual absl::StatusOr<std::vector<hs_counters>> Counters() const = 0;
  virtual std::vector<std::string> Interfaces() const = 0;
  virtual uint64_t Unanswered() const = 0;
  virtual uint64_t BadRecords() const = 0;
  // True once the instance drains: open streams end.
  virtual bool Draining() const = 0;
  // CLOCK_MONOTONIC now (the aggregates' clock).
  virtual uint64_t NowNs() const = 0;
};

// Converts between the proto Policy and the table's.
Policy FromProto(const v1::Policy& p);
v1::Policy ToProto(const Policy& p);

class SamplerService final : public v1::HttpSampler::Service {
 public:
  // Nothing is owned; everything must outlive the service.
  SamplerService(PolicyTable* policy, SampleHub* hub, const Aggregates* aggregates,
                 const Telemetry* telemetry)
      : policy_(policy), hub_(hub), aggregates_(aggregates), telemetry_(telemetry) {}

  grpc::Status Samples(grpc::ServerContext* ctx, const v1::SamplesRequest* req,
                       grpc::ServerWriter<v1::Sample>* writer) override;
  grpc::Status Stats(grpc::ServerContext* ctx, const v1::StatsRequest* req,
                     v1::StatsReply* reply) override;
  grpc::Status SetPolicy(grpc::ServerContext* ctx, const v1::SetPolicyRequest* req,
                         v1::SetPolicyReply* reply) override;

 private:
  PolicyTable* policy_;
  SampleHub* hub_;
  const Aggregates* aggregates_;
  const Telemetry* telemetry_;
};

}  // namespace paddock::http_sampler
