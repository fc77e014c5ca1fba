// The http-sampler plugin: loads the BPF program, attaches it to the configured interfaces
// (TC clsact ingress + egress; ingress only on loopback), reads its ring buffer and serves
// paddock.http_sampler.v1.HttpSampler. Config: HttpSamplerConfig (http_sampler.proto).
//
// Lifetime of the kernel objects: the program and maps live as long as this object holds
// them (BpfProgram); the filters are attached by TcOwner, which records them in the data
// dir and removes them in Shutdown, on destruction, and, if this instance is killed, when
// the next instance starts. During a reload the new generation attaches in its first
// Configure, before it reports ready; the old one detaches in Shutdown, after the host
// moved traffic: both run for a moment, so no request goes unobserved.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "aggregates.h"
#include "bpf_program.h"
#include "event_reader.h"
#include "paddock/plugin.h"
#include "policy.h"
#include "sample_hub.h"
#include "service.h"
#include "tc_owner.h"

namespace paddock::http_sampler {

// Settings derived from one config snapshot, validated whole before anything changes.
struct Settings {
  std::vector<std::string> interfaces;
  Policy policy;
  uint64_t timeout_ns = 0;
  uint32_t window_s = 0;
};

// Parses and validates a snapshot of HttpSamplerConfig. InvalidArgument naming the field.
absl::StatusOr<Settings> ParseSettings(const ConfigSnapshot& snapshot);

class HttpSamplerPlugin final : public Plugin, public Telemetry {
 public:
  // Needs the data dir (filter records), CAP_BPF, CAP_NET_ADMIN, CAP_PERFMON.
  absl::Status Init(Context& ctx) override;
  // Every snapshot: interfaces are attached/detached (new first), then the policy map is
  // rewritten in place (same programs, same maps). A bad snapshot changes nothing.
  absl::Status Configure(const ConfigSnapshot& snapshot) override;
  void Drain() override;
  // Detaches every filter and ends the streams; the program is unloaded at destruction.
  void Shutdown() override;

  // Telemetry (thread-safe).
  absl::StatusOr<std::vector<hs_counters>> Counters() const override;
  std::vector<std::string> Interfaces() const override;
  uint64_t Unanswered() const override;
  uint64_t BadRecords() const override;
  bool Draining() const override;
  uint64_t NowNs() const override;

  // The loaded program (after Init), for inspection by tests.
  BpfProgram* program() const { return program_.get(); }
  // The attached filters.
  std::vector<TcFilter> filters() const;

 private:
  // Registers the plugin's figures (read at each scrape) in `registry`.
  void ExportMetrics(MetricsRegistry& registry);

  Context* ctx_ = nullptr;
  mutable std::mutex owner_mu_;  // Guards owner_'s state (handlers read it).
  Aggregates aggregates_{60};
  SampleHub hub_;
  // Destroyed in reverse: filters go before the reader and the program.
  std::unique_ptr<BpfProgram> program_;
  std::unique_ptr<PolicyTable> policy_;
  std::unique_ptr<EventReader> reader_;
  std::unique_ptr<TcOwner> owner_;
  std::unique_ptr<SamplerService> service_;
  // Last, so destroyed first: the metric functions read program_ and reader_.
  std::vector<MetricHandle> metric_handles_;
};

}  // namespace paddock::http_sampler
