#include "host/plugin_metrics.h"

#include <cmath>
#include <utility>

#include "absl/strings/match.h"
#include "host/prom_text.h"

namespace paddock::host {
namespace {

using paddock::v1::MetricFamily;
using paddock::v1::MetricSample;

constexpr char kPrefix[] = "paddock_plugin_";
constexpr char kNoHelp[] = "Exported by the plugin (it gave no help text).";

// Cuts `s` to at most `max` bytes without splitting a UTF-8 sequence.
std::string Cut(const std::string& s, size_t max) {
  if (s.size() <= max) return s;
  size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return s.substr(0, n);
}

std::string LabelKey(const google::protobuf::Map<std::string, std::string>& labels) {
  std::map<std::string, std::string> sorted(labels.begin(), labels.end());
  std::string key;
  for (const auto& [k, v] : sorted) {
    key.append(k);
    key.push_back('\0');
    key.append(v);
    key.push_back('\0');
  }
  return key;
}

// Rebuilds the sample's labels (sanitized, `plugin` added). False: drop the sample.
bool FixLabels(const std::string& plugin, const MetricSample& in, const PluginMetricsLimits& lim,
               MetricSample* out) {
  if (static_cast<size_t>(in.labels_size()) > lim.max_labels) return false;
  auto* labels = out->mutable_labels();
  labels->clear();
  for (const auto& [k, v] : in.labels()) {
    if (k.size() > lim.max_name_bytes) return false;
    std::string name = prom::SanitizeName(k);
    if (name == "plugin" || name == "le" || name == "quantile") name = "exported_" + name;
    if (!prom::IsValidLabelName(name)) return false;
    if (labels->count(name) != 0) return false;
    (*labels)[name] = Cut(v, lim.max_label_value_bytes);
  }
  (*labels)["plugin"] = plugin;
  return true;
}

bool ValidHistogram(const MetricSample& s, const PluginMetricsLimits& lim) {
  if (static_cast<size_t>(s.bucket_bounds_size()) > lim.max_buckets) return false;
  if (s.bucket_counts_size() != s.bucket_bounds_size() + 1) return false;
  for (int i = 0; i < s.bucket_bounds_size(); ++i) {
    if (!std::isfinite(s.bucket_bounds(i))) return false;
    if (i > 0 && !(s.bucket_bounds(i) > s.bucket_bounds(i - 1))) return false;
  }
  for (int i = 1; i < s.bucket_counts_size(); ++i) {
    if (s.bucket_counts(i) < s.bucket_counts(i - 1)) return false;
  }
  return !std::isnan(s.sum());
}

}  // namespace

bool FamilySet::Add(MetricFamily family, size_t* dropped) {
  auto [it, inserted] = families_.try_emplace(family.name());
  Entry& e = it->second;
  if (!inserted && e.family.kind() != family.kind()) return false;
  if (inserted) {
    e.family.set_name(family.name());
    e.family.set_help(family.help());
    e.family.set_kind(family.kind());
  }
  for (MetricSample& s : *family.mutable_samples()) {
    if (!e.label_sets.insert(LabelKey(s.labels())).second) {
      ++*dropped;
      continue;
    }
    *e.family.add_samples() = std::move(s);
  }
  return true;
}

std::vector<MetricFamily> FamilySet::Take() {
  std::vector<MetricFamily> out;
  out.reserve(families_.size());
  for (auto& [name, e] : families_) {
    if (e.family.samples_size() > 0) out.push_back(std::move(e.family));
  }
  families_.clear();
  return out;
}

size_t ImportPluginMetrics(const std::string& plugin, const paddock::v1::MetricsResponse& in,
                           const PluginMetricsLimits& lim, FamilySet* out) {
  size_t dropped = 0;
  size_t samples_left = lim.max_samples;
  size_t families = 0;
  for (const MetricFamily& f : in.families()) {
    if (++families > lim.max_families || f.name().size() > lim.max_name_bytes ||
        !MetricFamily::Kind_IsValid(f.kind())) {
      dropped += 1;
      continue;
    }
    MetricFamily fixed;
    std::string name = kPrefix + prom::SanitizeName(f.name());
    if (f.kind() == MetricFamily::COUNTER) {
      if (!absl::EndsWith(name, "_total")) name += "_total";
    } else if (absl::EndsWith(name, "_total") || absl::EndsWith(name, "_count") ||
               absl::EndsWith(name, "_sum") || absl::EndsWith(name, "_bucket")) {
      dropped += 1;
      continue;
    }
    fixed.set_name(name);
    fixed.set_kind(f.kind());
    std::string help = Cut(f.help(), lim.max_help_bytes);
    fixed.set_help(help.empty() ? kNoHelp : help);
    size_t family_left = lim.max_family_samples;
    for (const MetricSample& s : f.samples()) {
      if (samples_left == 0 || family_left == 0) {
        dropped += 1;
        continue;
      }
      MetricSample copy;
      bool ok = FixLabels(plugin, s, lim, &copy);
      if (ok && f.kind() == MetricFamily::COUNTER) {
        ok = std::isfinite(s.value()) && s.value() >= 0;
        copy.set_value(s.value());
      } else if (ok && f.kind() == MetricFamily::GAUGE) {
        copy.set_value(s.value());
      } else if (ok) {
        ok = ValidHistogram(s, lim);
        *copy.mutable_bucket_bounds() = s.bucket_bounds();
        *copy.mutable_bucket_counts() = s.bucket_counts();
        copy.set_sum(s.sum());
      }
      if (!ok) {
        dropped += 1;
        continue;
      }
      --samples_left;
      --family_left;
      *fixed.add_samples() = std::move(copy);
    }
    if (!out->Add(std::move(fixed), &dropped)) dropped += 1;
  }
  return dropped;
}

}  // namespace paddock::host
