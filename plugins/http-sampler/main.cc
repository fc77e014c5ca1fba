// The http-sampler plugin: loads the BPF program, attaches it to the configured interfaces
// (TC clsact ingress + egress), reads its ring buffer and serves
// paddock.http_sampler.v1.HttpSampler. Config: HttpSamplerConfig (http_sampler.proto).
//
// Lifetime of the kernel objects: the program and maps live as long as this process holds
// them (BpfProgram); the filters are attached by TcOwner, which records them in the data
// dir and removes them on Shutdown, on destruction, and, if this instance is killed, when
// the next instance starts. During a reload the new generation attaches in its first
// Configure, before it reports ready; the old one detaches in Shutdown, after the host
// moved traffic: both run for a moment, so no request goes unobserved.
#include <memory>
#include <mutex>
#include <string>

#include "absl/strings/str_cat.h"
#include "aggregates.h"
#include "bpf_program.h"
#include "event_reader.h"
#include "paddock/plugin.h"
#include "policy.h"
#include "sample_hub.h"
#include "service.h"
#include "tc_owner.h"

namespace {

using paddock::http_sampler::Aggregates;
using paddock::http_sampler::BpfProgram;
using paddock::http_sampler::EventReader;
using paddock::http_sampler::MonotonicNowNs;
using paddock::http_sampler::Policy;
using paddock::http_sampler::PolicyTable;
using paddock::http_sampler::SampleHub;
using paddock::http_sampler::SamplerService;
using paddock::http_sampler::TcOwner;
namespace v1 = paddock::http_sampler::v1;

constexpr uint32_t kDefaultTimeoutMs = 5000;
constexpr uint32_t kMaxTimeoutMs = 600000;
constexpr uint32_t kDefaultWindowS = 60;

// Settings derived from one config snapshot, validated whole before anything changes.
struct Settings {
  std::vector<std::string> interfaces;
  Policy policy;
  uint64_t timeout_ns = 0;
  uint32_t window_s = 0;
};

absl::StatusOr<Settings> ParseSettings(const paddock::ConfigSnapshot& snapshot) {
  absl::StatusOr<v1::HttpSamplerConfig> cfg = snapshot.As<v1::HttpSamplerConfig>();
  if (!cfg.ok()) return cfg.status();
  Settings s;
  if (cfg->interfaces().empty()) {
    return absl::InvalidArgumentError("config: \"interfaces\" must name at least one interface");
  }
  for (const std::string& name : cfg->interfaces()) {
    if (absl::StatusOr<int> idx = paddock::http_sampler::InterfaceIndex(name); !idx.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("config: ", idx.status().message()));
    }
    s.interfaces.push_back(name);
  }
  s.policy.default_rate_ppm = cfg->default_rate_ppm();
  for (const auto& [port, rate] : cfg->port_rate_ppm()) s.policy.port_rate_ppm[port] = rate;
  if (absl::Status st = paddock::http_sampler::ValidatePolicy(s.policy); !st.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("config: ", st.message()));
  }
  uint32_t timeout_ms =
      cfg->response_timeout_ms() == 0 ? kDefaultTimeoutMs : cfg->response_timeout_ms();
  if (timeout_ms > kMaxTimeoutMs) {
    return absl::InvalidArgumentError(
        absl::StrCat("config: response_timeout_ms ", timeout_ms, " is above ", kMaxTimeoutMs));
  }
  s.timeout_ns = uint64_t{timeout_ms} * 1000000;
  s.window_s = cfg->window_seconds() == 0 ? kDefaultWindowS : cfg->window_seconds();
  if (s.window_s > 86400) {
    return absl::InvalidArgumentError("config: window_seconds is above 86400");
  }
  return s;
}

class HttpSampler final : public paddock::Plugin, public paddock::http_sampler::Telemetry {
 public:
  absl::Status Init(paddock::Context& ctx) override {
    ctx_ = &ctx;
    if (ctx.data_dir().empty()) {
      return absl::FailedPreconditionError(
          "http-sampler needs its data dir (it records its TC filters there)");
    }
    absl::StatusOr<std::unique_ptr<BpfProgram>> program = BpfProgram::Load();
    if (!program.ok()) return program.status();
    program_ = std::move(*program);
    policy_ = std::make_unique<PolicyTable>(program_.get());
    absl::StatusOr<std::unique_ptr<TcOwner>> owner = TcOwner::Acquire(ctx.data_dir());
    if (!owner.ok()) return owner.status();
    owner_ = std::move(*owner);
    absl::StatusOr<std::unique_ptr<EventReader>> reader = EventReader::Start(
        program_->events_fd(),
        [this](const v1::Sample& s) {
          aggregates_.Add(s, MonotonicNowNs());
          hub_.Publish(s);
        },
        uint64_t{kDefaultTimeoutMs} * 1000000);
    if (!reader.ok()) return reader.status();
    reader_ = std::move(*reader);
    service_ = std::make_unique<SamplerService>(policy_.get(), &hub_, &aggregates_, this);
    ctx.AddService(service_.get());
    paddock::log::Info("program loaded",
                       {{"ingress_prog_id", std::to_string(program_->ingress_id())},
                        {"egress_prog_id", std::to_string(program_->egress_id())},
                        {"owner_slot", std::to_string(owner_->slot())},
                        {"generation", std::to_string(ctx.generation())}});
    return absl::OkStatus();
  }

  // Every snapshot: interfaces are attached/detached (new first), then the policy map is
  // rewritten in place. A bad snapshot changes nothing.
  absl::Status Configure(const paddock::ConfigSnapshot& snapshot) override {
    absl::StatusOr<Settings> s = ParseSettings(snapshot);
    if (!s.ok()) return s.status();
    {
      std::lock_guard<std::mutex> lock(owner_mu_);
      absl::Status st =
          owner_->SetInterfaces(s->interfaces, program_->ingress_fd(), program_->egress_fd());
      if (!st.ok()) return st;
    }
    if (absl::Status st = policy_->Apply(s->policy); !st.ok()) return st;
    reader_->set_timeout_ns(s->timeout_ns);
    if (aggregates_.window_seconds() != s->window_s) aggregates_.set_window(s->window_s);
    paddock::log::Info("configured",
                       {{"version", std::to_string(snapshot.version())},
                        {"default_rate_ppm", std::to_string(s->policy.default_rate_ppm)},
                        {"port_rules", std::to_string(s->policy.port_rate_ppm.size())}});
    return absl::OkStatus();
  }

  void Drain() override { hub_.Close(); }

  void Shutdown() override {
    if (owner_ != nullptr) {
      std::lock_guard<std::mutex> lock(owner_mu_);
      if (absl::Status s = owner_->DetachAll(); !s.ok()) {
        paddock::log::Error("detach failed", {{"error", std::string(s.message())}});
      }
    }
    hub_.Close();
  }

  // Telemetry.
  absl::StatusOr<std::vector<hs_counters>> Counters() const override {
    return program_->ReadCounters();
  }
  std::vector<std::string> Interfaces() const override {
    std::lock_guard<std::mutex> lock(owner_mu_);
    return owner_->interfaces();
  }
  uint64_t Unanswered() const override { return reader_->unanswered(); }
  uint64_t BadRecords() const override { return reader_->bad_records(); }
  bool Draining() const override { return ctx_->draining(); }
  uint64_t NowNs() const override { return MonotonicNowNs(); }

 private:
  paddock::Context* ctx_ = nullptr;
  mutable std::mutex owner_mu_;  // Guards owner_'s state (handlers read it).
  Aggregates aggregates_{kDefaultWindowS};
  SampleHub hub_;
  // Destroyed in reverse: filters go before the reader and the program.
  std::unique_ptr<BpfProgram> program_;
  std::unique_ptr<PolicyTable> policy_;
  std::unique_ptr<EventReader> reader_;
  std::unique_ptr<TcOwner> owner_;
  std::unique_ptr<SamplerService> service_;
};

}  // namespace

PADDOCK_PLUGIN(HttpSampler)
