// The sampling policy (a rate per destination port plus a default) and its projection
// onto the kernel's per-port array. Rules keep their counter set while they exist, so
// per-rule counters survive unrelated policy changes.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "bpf_program.h"

namespace paddock::http_sampler {

struct Policy {
  uint32_t default_rate_ppm = 0;
  std::map<uint32_t, uint32_t> port_rate_ppm;  // port (1..65535) -> ppm
  bool operator==(const Policy&) const = default;
};

// OK if every rate is <= 1000000, every port is 1..65535 and there are at most
// HS_RULES - 1 port rules; InvalidArgument naming the first problem otherwise.
absl::Status ValidatePolicy(const Policy& policy);

// One rule as it is in force: port 0 is the default.
struct RuleInfo {
  uint32_t port = 0;
  uint32_t rate_ppm = 0;
  uint32_t rule = 0;  // Counter set index (0..HS_RULES-1).
};

// Owns the policy in force and writes it to a PolicySink. Thread-safe.
class PolicyTable {
 public:
  // `sink` must outlive the table. The kernel starts at rate 0 everywhere, rule 0.
  explicit PolicyTable(PolicySink* sink) : sink_(sink) {}

  // Validates and applies `policy`: ports that keep a rule keep its counter set; new port
  // rules take the lowest free set, whose counters are reset first; only entries whose
  // value changes are written. On error nothing changes.
  absl::Status Apply(const Policy& policy);

  Policy current() const;
  // The default rule first, then port rules by port.
  std::vector<RuleInfo> rules() const;

 private:
  PolicySink* sink_;
  mutable std::mutex mu_;
  Policy policy_ ABSL_GUARDED_BY(mu_);
  std::map<uint32_t, uint32_t> rule_of_port_ ABSL_GUARDED_BY(mu_);  // port -> set
  std::vector<hs_policy> written_ ABSL_GUARDED_BY(mu_) = std::vector<hs_policy>(HS_PORTS);
};

}  // namespace paddock::http_sampler
