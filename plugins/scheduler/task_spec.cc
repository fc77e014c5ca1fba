#include "task_spec.h"

#include <sched.h>

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cron.h"
#include "google/protobuf/util/time_util.h"

namespace paddock::scheduler {

using google::protobuf::util::TimeUtil;

namespace {

bool ValidName(const std::string& s, size_t max) {
  if (s.empty() || s.size() > max) return false;
  if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= '0' && s[0] <= '9'))) return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) return false;
  }
  return true;
}

bool ValidPluginName(const std::string& s) {
  if (s.empty() || s.size() > 63 || !(s[0] >= 'a' && s[0] <= 'z')) return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return true;
}

absl::Status Bad(absl::string_view field, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", why));
}

absl::Status ValidateSchedule(const v1::TaskSpec& spec, uint64_t* interval_us) {
  *interval_us = 0;
  switch (spec.schedule_case()) {
    case v1::TaskSpec::kPeriodic: {
      const v1::Periodic& p = spec.periodic();
      if (p.interval_us() < kMinIntervalUs) {
        return Bad("periodic.interval_us", absl::StrCat("must be at least ", kMinIntervalUs,
                                                        " microseconds, got ", p.interval_us()));
      }
      if (p.interval_us() > kMaxIntervalUs) {
        return Bad("periodic.interval_us",
                   absl::StrCat("must be at most one day (", kMaxIntervalUs, " microseconds), got ",
                                p.interval_us(), "; use cron"));
      }
      if (p.phase_us() >= p.interval_us()) {
        return Bad("periodic.phase_us", absl::StrCat("must be less than interval_us (",
                                                     p.interval_us(), "), got ", p.phase_us()));
      }
      *interval_us = p.interval_us();
      return absl::OkStatus();
    }
    case v1::TaskSpec::kOneShot: {
      const v1::OneShot& o = spec.one_shot();
      if (o.has_at() == (o.in_ms() != 0)) {
        return Bad("one_shot", "give exactly one of \"at\" (a time) and \"in_ms\" (a delay)");
      }
      if (o.has_at() &&
          (o.at().seconds() < 0 || o.at().seconds() > TimeUtil::kTimestampMaxSeconds ||
           o.at().nanos() < 0 || o.at().nanos() > 999999999)) {
        return Bad("one_shot.at", "not a valid time");
      }
      if (o.in_ms() > 10ull * 365 * 86400 * 1000) return Bad("one_shot.in_ms", "over ten years");
      return absl::OkStatus();
    }
    case v1::TaskSpec::kCron: {
      auto cron = CronExpr::Parse(spec.cron().expression());
      if (!cron.ok()) return Bad("cron.expression", cron.status().message());
      return absl::OkStatus();
    }
    case v1::TaskSpec::SCHEDULE_NOT_SET:
      break;
  }
  return absl::InvalidArgumentError(
      "task has no schedule: give one of \"periodic\", \"one_shot\" or \"cron\"");
}

}  // namespace

CpuSet::CpuSet(std::vector<int> cpus) : cpus_(std::move(cpus)) {
  std::sort(cpus_.begin(), cpus_.end());
  cpus_.erase(std::unique(cpus_.begin(), cpus_.end()), cpus_.end());
}

CpuSet CpuSet::OfThisProcess() {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::vector<int> cpus;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    for (int i = 0; i < CPU_SETSIZE; ++i) {
      if (CPU_ISSET(i, &set)) cpus.push_back(i);
    }
  }
  return CpuSet(std::move(cpus));
}

bool CpuSet::Contains(int cpu) const { return std::binary_search(cpus_.begin(), cpus_.end(), cpu); }

std::string CpuSet::ToString() const {
  std::vector<std::string> parts;
  for (size_t i = 0; i < cpus_.size();) {
    size_t j = i;
    while (j + 1 < cpus_.size() && cpus_[j + 1] == cpus_[j] + 1) ++j;
    parts.push_back(j == i ? absl::StrCat(cpus_[i]) : absl::StrCat(cpus_[i], "-", cpus_[j]));
    i = j + 1;
  }
  return absl::StrJoin(parts, ",");
}

absl::Status SplitInvokeTarget(const std::string& target, std::string* plugin,
                               std::string* method) {
  const size_t slash = target.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 >= target.size()) {
    return Bad("invoke.target",
               absl::StrCat("\"", target, "\" is not \"plugin/Method\" (e.g. \"hello/Greet\")"));
  }
  *plugin = target.substr(0, slash);
  *method = target.substr(slash + 1);
  if (!ValidPluginName(*plugin)) {
    return Bad("invoke.target", absl::StrCat("\"", *plugin, "\" is not a plugin name"));
  }
  for (char c : *method) {
    if (!(absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '/')) {
      return Bad("invoke.target", absl::StrCat("\"", *method, "\" is not a method name"));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateTaskSpec(const v1::TaskSpec& spec, const CpuSet& cpus) {
  if (!ValidName(spec.name(), 32)) {
    return Bad("name", absl::StrCat("\"", spec.name(), "\" must match [a-z0-9][a-z0-9_-]{0,31}"));
  }
  uint64_t interval_us = 0;
  if (absl::Status st = ValidateSchedule(spec, &interval_us); !st.ok()) return st;

  if (spec.has_cpu()) {
    const int cpu = spec.cpu();
    if (cpu < 0 || cpu >= CPU_SETSIZE) {
      return Bad("cpu", absl::StrCat(cpu, " is not a CPU number"));
    }
    if (!cpus.Contains(cpu)) {
      return Bad("cpu", absl::StrCat("CPU ", cpu,
                                     " does not exist or is not in this plugin's cpuset (allowed: ",
                                     cpus.empty() ? "unknown" : cpus.ToString(), ")"));
    }
  }
  switch (spec.policy()) {
    case v1::SCHED_POLICY_OTHER:
      if (spec.priority() != 0) {
        return Bad("priority", "must be 0 for SCHED_POLICY_OTHER (set policy SCHED_POLICY_FIFO)");
      }
      break;
    case v1::SCHED_POLICY_FIFO:
      if (spec.priority() < 1 || spec.priority() > 99) {
        return Bad("priority",
                   absl::StrCat("must be 1..99 for SCHED_POLICY_FIFO, got ", spec.priority()));
      }
      break;
    default:
      return Bad("policy", absl::StrCat("unknown value ", spec.policy()));
  }
  if (spec.precision() != v1::PRECISION_SLEEP && spec.precision() != v1::PRECISION_SPIN) {
    return Bad("precision", absl::StrCat("unknown value ", spec.precision()));
  }
  if (spec.spin_margin_us() != 0) {
    if (spec.precision() != v1::PRECISION_SPIN) {
      return Bad("spin_margin_us", "only applies to PRECISION_SPIN");
    }
    if (spec.spin_margin_us() > kMaxSpinMarginUs) {
      return Bad("spin_margin_us", absl::StrCat("at most ", kMaxSpinMarginUs, " microseconds"));
    }
    if (interval_us != 0 && spec.spin_margin_us() >= interval_us) {
      return Bad("spin_margin_us",
                 absl::StrCat("must be less than the interval (", interval_us, " microseconds)"));
    }
  }
  if (spec.on_miss() != v1::MISS_SKIP && spec.on_miss() != v1::MISS_CATCH_UP) {
    return Bad("on_miss", absl::StrCat("unknown value ", spec.on_miss()));
  }
  if (spec.has_invoke()) {
    const v1::Invoke& inv = spec.invoke();
    std::string plugin, method;
    if (absl::Status st = SplitInvokeTarget(inv.target(), &plugin, &method); !st.ok()) return st;
    if (inv.json().size() > kMaxInvokeJsonBytes) {
      return Bad("invoke.json", absl::StrCat("larger than ", kMaxInvokeJsonBytes, " bytes"));
    }
    if (inv.timeout_ms() > kMaxInvokeTimeoutMs) {
      return Bad("invoke.timeout_ms", absl::StrCat("at most ", kMaxInvokeTimeoutMs));
    }
  }
  return absl::OkStatus();
}

void NormalizeTaskSpec(v1::TaskSpec* spec, int64_t now_unix_ns) {
  if (spec->has_one_shot() && spec->one_shot().in_ms() != 0) {
    const int64_t at = now_unix_ns + static_cast<int64_t>(spec->one_shot().in_ms()) * 1000000;
    *spec->mutable_one_shot()->mutable_at() = TimeUtil::NanosecondsToTimestamp(at);
    spec->mutable_one_shot()->set_in_ms(0);
  }
}

}  // namespace paddock::scheduler
