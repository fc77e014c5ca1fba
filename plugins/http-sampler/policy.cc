#include "policy.h"

#include <set>

#include "absl/strings/str_cat.h"

namespace paddock::http_sampler {

absl::Status ValidatePolicy(const Policy& policy) {
  if (policy.default_rate_ppm > HS_RATE_ONE) {
    return absl::InvalidArgumentError(absl::StrCat(
        "policy: default_rate_ppm ", policy.default_rate_ppm, " is above ", HS_RATE_ONE));
  }
  if (policy.port_rate_ppm.size() > HS_RULES - 1) {
    return absl::InvalidArgumentError(absl::StrCat("policy: ", policy.port_rate_ppm.size(),
                                                   " port rules; at most ", HS_RULES - 1));
  }
  for (const auto& [port, rate] : policy.port_rate_ppm) {
    if (port == 0 || port > 65535) {
      return absl::InvalidArgumentError(absl::StrCat("policy: port ", port, " is not 1..65535"));
    }
    if (rate > HS_RATE_ONE) {
      return absl::InvalidArgumentError(
          absl::StrCat("policy: rate ", rate, " for port ", port, " is above ", HS_RATE_ONE));
    }
  }
  return absl::OkStatus();
}

absl::Status PolicyTable::Apply(const Policy& policy) {
  if (absl::Status s = ValidatePolicy(policy); !s.ok()) return s;
  std::lock_guard<std::mutex> lock(mu_);
  // Rule sets: kept for ports that stay, freed for ports that go, taken for new ones.
  std::map<uint32_t, uint32_t> rules;
  std::set<uint32_t> used;
  for (const auto& [port, rate] : policy.port_rate_ppm) {
    auto it = rule_of_port_.find(port);
    if (it != rule_of_port_.end()) {
      rules[port] = it->second;
      used.insert(it->second);
    }
  }
  std::vector<uint32_t> fresh;
  for (const auto& [port, rate] : policy.port_rate_ppm) {
    if (rules.count(port) != 0) continue;
    uint32_t set = 1;
    while (used.count(set) != 0) ++set;  // ValidatePolicy bounds the count.
    used.insert(set);
    rules[port] = set;
    fresh.push_back(set);
  }
  std::set<uint32_t> fresh_sets(fresh.begin(), fresh.end());
  auto write = [&](bool fresh_pass) {
    for (uint32_t port = 0; port < HS_PORTS; ++port) {
      hs_policy want{policy.default_rate_ppm, 0};
      if (auto it = policy.port_rate_ppm.find(port); it != policy.port_rate_ppm.end()) {
        want = hs_policy{it->second, rules[port]};
      }
      if ((fresh_sets.count(want.rule) != 0) != fresh_pass) continue;
      hs_policy& have = written_[port];
      if (have.rate_ppm == want.rate_ppm && have.rule == want.rule) continue;
      sink_->WritePort(port, want);
      have = want;
    }
  };
  // Ports leaving a counter set move off it before the set is reset for its new port.
  write(false);
  for (uint32_t set : fresh) {
    if (absl::Status s = sink_->ResetRule(set); !s.ok()) return s;
  }
  write(true);
  policy_ = policy;
  rule_of_port_ = std::move(rules);
  return absl::OkStatus();
}

Policy PolicyTable::current() const {
  std::lock_guard<std::mutex> lock(mu_);
  return policy_;
}

std::vector<RuleInfo> PolicyTable::rules() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<RuleInfo> out{{0, policy_.default_rate_ppm, 0}};
  for (const auto& [port, rate] : policy_.port_rate_ppm) {
    out.push_back({port, rate, rule_of_port_.at(port)});
  }
  return out;
}

}  // namespace paddock::http_sampler
