#include "sampler_plugin.h"

#include "absl/strings/str_cat.h"

namespace paddock::http_sampler {
namespace {

constexpr uint32_t kDefaultTimeoutMs = 5000;
constexpr uint32_t kMaxTimeoutMs = 600000;
constexpr uint32_t kDefaultWindowS = 60;

}  // namespace

absl::StatusOr<Settings> ParseSettings(const ConfigSnapshot& snapshot) {
  absl::StatusOr<v1::HttpSamplerConfig> cfg = snapshot.As<v1::HttpSamplerConfig>();
  if (!cfg.ok()) return cfg.status();
  Settings s;
  if (cfg->interfaces().empty()) {
    return absl::InvalidArgumentError("config: \"interfaces\" must name at least one interface");
  }
  for (const std::string& name : cfg->interfaces()) {
    if (absl::StatusOr<int> idx = InterfaceIndex(name); !idx.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("config: ", idx.status().message()));
    }
    s.interfaces.push_back(name);
  }
  s.policy.default_rate_ppm = cfg->default_rate_ppm();
  for (const auto& [port, rate] : cfg->port_rate_ppm()) s.policy.port_rate_ppm[port] = rate;
  if (absl::Status st = ValidatePolicy(s.policy); !st.ok()) {
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

void HttpSamplerPlugin::ExportMetrics(MetricsRegistry& registry) {
  // The BPF program's per-rule counters, summed over rules, read at each scrape; the host
  // exports them as paddock_plugin_http_requests_*_total{plugin="http-sampler"}.
  auto total = [this](decltype(&hs_counters::seen) field) {
    return [this, field] {
      absl::StatusOr<std::vector<hs_counters>> counters = program_->ReadCounters();
      uint64_t sum = 0;
      if (counters.ok()) {
        for (const hs_counters& c : *counters) sum += c.*field;
      }
      return static_cast<double>(sum);
    };
  };
  metric_handles_.push_back(registry.AddCounterFunc(
      "http_requests_seen_total", "HTTP requests the BPF program detected (before the draw).",
      total(&hs_counters::seen)));
  metric_handles_.push_back(registry.AddCounterFunc(
      "http_requests_sampled_total", "Requests the draw selected (ring-full losses included).",
      total(&hs_counters::sampled)));
  metric_handles_.push_back(registry.AddCounterFunc(
      "http_requests_ring_full_total", "Selected requests lost because the ring buffer was full.",
      total(&hs_counters::ring_full)));
  metric_handles_.push_back(registry.AddCounterFunc("http_responses_matched_total",
                                                    "Responses matched to a sampled request.",
                                                    total(&hs_counters::responses)));
  metric_handles_.push_back(registry.AddCounterFunc(
      "http_requests_unanswered_total", "Sampled requests that got no response in time.",
      [this] { return static_cast<double>(reader_->unanswered()); }));
  metric_handles_.push_back(
      registry.AddCounterFunc("bad_records_total", "Ring buffer records that failed validation.",
                              [this] { return static_cast<double>(reader_->bad_records()); }));
}

absl::Status HttpSamplerPlugin::Init(Context& ctx) {
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
      program_->ring_fds(), program_->ring_bytes(),
      [this](const std::vector<Completed>& batch) {
        aggregates_.Add(batch, MonotonicNowNs());
        hub_.Publish(batch);
      },
      uint64_t{kDefaultTimeoutMs} * 1000000);
  if (!reader.ok()) return reader.status();
  reader_ = std::move(*reader);
  service_ = std::make_unique<SamplerService>(policy_.get(), &hub_, &aggregates_, this);
  ctx.AddService(service_.get());
  ExportMetrics(ctx.metrics());
  log::Info("program loaded", {{"ingress_prog_id", std::to_string(program_->ingress_id())},
                               {"egress_prog_id", std::to_string(program_->egress_id())},
                               {"loopback_prog_id", std::to_string(program_->loopback_id())},
                               {"owner_slot", std::to_string(owner_->slot())},
                               {"generation", std::to_string(ctx.generation())}});
  return absl::OkStatus();
}

absl::Status HttpSamplerPlugin::Configure(const ConfigSnapshot& snapshot) {
  absl::StatusOr<Settings> s = ParseSettings(snapshot);
  if (!s.ok()) return s.status();
  {
    std::lock_guard<std::mutex> lock(owner_mu_);
    absl::Status st = owner_->SetInterfaces(
        s->interfaces, {program_->ingress_fd(), program_->egress_fd(), program_->loopback_fd()});
    if (!st.ok()) return st;
  }
  if (absl::Status st = policy_->Apply(s->policy); !st.ok()) return st;
  reader_->set_timeout_ns(s->timeout_ns);
  if (aggregates_.window_seconds() != s->window_s) aggregates_.set_window(s->window_s);
  log::Info("configured", {{"version", std::to_string(snapshot.version())},
                           {"default_rate_ppm", std::to_string(s->policy.default_rate_ppm)},
                           {"port_rules", std::to_string(s->policy.port_rate_ppm.size())}});
  return absl::OkStatus();
}

void HttpSamplerPlugin::Drain() { hub_.Close(); }

void HttpSamplerPlugin::Shutdown() {
  if (owner_ != nullptr) {
    std::lock_guard<std::mutex> lock(owner_mu_);
    if (absl::Status s = owner_->DetachAll(); !s.ok()) {
      log::Error("detach failed", {{"error", std::string(s.message())}});
    }
  }
  hub_.Close();
}

absl::StatusOr<std::vector<hs_counters>> HttpSamplerPlugin::Counters() const {
  return program_->ReadCounters();
}

std::vector<std::string> HttpSamplerPlugin::Interfaces() const {
  std::lock_guard<std::mutex> lock(owner_mu_);
  return owner_->interfaces();
}

std::vector<TcFilter> HttpSamplerPlugin::filters() const {
  std::lock_guard<std::mutex> lock(owner_mu_);
  return owner_ == nullptr ? std::vector<TcFilter>{} : owner_->filters();
}

uint64_t HttpSamplerPlugin::Unanswered() const { return reader_->unanswered(); }
uint64_t HttpSamplerPlugin::BadRecords() const { return reader_->bad_records(); }
bool HttpSamplerPlugin::Draining() const { return ctx_->draining(); }
uint64_t HttpSamplerPlugin::NowNs() const { return MonotonicNowNs(); }

}  // namespace paddock::http_sampler
