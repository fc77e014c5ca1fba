#include "aggregates.h"

#include <algorithm>
#include <cmath>

namespace paddock::http_sampler {
namespace {

constexpr uint64_t kMaxLatencyUs = (uint64_t{1} << 41) - 1;

constexpr char kOther[] = "(other)";

void TopList(const std::unordered_map<std::string, uint64_t>& m, uint32_t top,
             google::protobuf::RepeatedPtrField<v1::Count>* out) {
  std::vector<std::pair<std::string, uint64_t>> v(m.begin(), m.end());
  // Most frequent first; ties by key so the answer is deterministic.
  auto cmp = [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  };
  size_t n = std::min<size_t>(top, v.size());
  std::partial_sort(v.begin(), v.begin() + static_cast<long>(n), v.end(), cmp);
  for (size_t i = 0; i < n; ++i) {
    v1::Count* c = out->Add();
    c->set_key(v[i].first);
    c->set_count(v[i].second);
  }
}

}  // namespace

int LatencyHistogram::BucketOf(uint64_t us) {
  if (us > kMaxLatencyUs) us = kMaxLatencyUs;
  if (us < 64) return static_cast<int>(us);
  int e = 63 - __builtin_clzll(us);  // 6..40
  return 64 + (e - 6) * 32 + static_cast<int>((us >> (e - 5)) & 31);
}

uint64_t LatencyHistogram::ValueOf(int bucket) {
  if (bucket < 64) return static_cast<uint64_t>(bucket);
  int e = (bucket - 64) / 32 + 6;
  uint64_t sub = static_cast<uint64_t>((bucket - 64) % 32);
  uint64_t lo = (uint64_t{1} << e) + (sub << (e - 5));
  uint64_t width = uint64_t{1} << (e - 5);
  return lo + width / 2;
}

void LatencyHistogram::Add(uint64_t us) {
  counts_[static_cast<size_t>(BucketOf(us))]++;
  ++count_;
  max_ = std::max(max_, us);
}

void LatencyHistogram::Merge(const LatencyHistogram& other) {
  for (size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  max_ = std::max(max_, other.max_);
}

void LatencyHistogram::Clear() {
  std::fill(counts_.begin(), counts_.end(), 0);
  count_ = max_ = 0;
}

uint64_t LatencyHistogram::Quantile(double q) const {
  if (count_ == 0) return 0;
  uint64_t rank = static_cast<uint64_t>(std::ceil(q * static_cast<double>(count_)));
  rank = std::clamp<uint64_t>(rank, 1, count_);
  uint64_t seen = 0;
  for (size_t i = 0; i < counts_.size(); ++i) {
    seen += counts_[i];
    if (seen >= rank) return std::min(ValueOf(static_cast<int>(i)), max_);
  }
  return max_;
}

void Aggregates::set_window(uint32_t seconds) {
  seconds = std::clamp<uint32_t>(seconds, 1, 86400);
  std::lock_guard<std::mutex> lock(mu_);
  window_s_ = seconds;
  slice_ns_ = uint64_t{seconds} * 1000000000ull / kBuckets;
  slices_.assign(kBuckets, Slice{});
}

uint32_t Aggregates::window_seconds() const {
  std::lock_guard<std::mutex> lock(mu_);
  return window_s_;
}

void Aggregates::Count(ByteCounts* m, absl::string_view key) {
  auto it = m->find(key);
  if (it != m->end()) {
    ++it->second;
  } else if (m->size() < kMaxKeys) {
    m->emplace(std::string(key), 1);
  } else {
    // Raw "(other)" bytes would print the same: they share the overflow entry.
    ++(*m)[kOther];
  }
}

void Aggregates::Add(const std::vector<Completed>& batch, uint64_t now_ns) {
  std::lock_guard<std::mutex> lock(mu_);
  uint64_t index = now_ns / slice_ns_;
  Slice& slice = slices_[index % kBuckets];
  if (slice.index != index) {
    slice = Slice();
    slice.index = index;
  }
  for (const Completed& c : batch) {
    const Request& r = c.request;
    ++slice.samples;
    Count(&slice.paths, r.path());
    Count(&slice.hosts, r.host());
    ++slice.methods[r.method < kMethods ? r.method : 0];
    ++slice.statuses[c.status < kStatuses ? c.status : 0];
    if (c.status != 0) slice.latency.Add(c.latency_ns / 1000);
  }
}

void Aggregates::Fill(uint32_t top, uint64_t now_ns, v1::StatsReply* out) const {
  std::lock_guard<std::mutex> lock(mu_);
  uint64_t now_index = now_ns / slice_ns_;
  std::unordered_map<std::string, uint64_t> paths, hosts, methods, statuses;
  LatencyHistogram latency;
  uint64_t samples = 0;
  uint64_t method_counts[kMethods] = {}, status_counts[kStatuses] = {};
  for (const Slice& slice : slices_) {
    if (slice.index == UINT64_MAX || slice.index + kBuckets <= now_index ||
        slice.index > now_index) {
      continue;
    }
    samples += slice.samples;
    // Different bytes may print the same (a control byte, and the text of its "%XX"
    // spelling): their counts add up under the printed key.
    for (const auto& [k, v] : slice.paths) paths[Printable(k.data(), k.size())] += v;
    for (const auto& [k, v] : slice.hosts) hosts[Printable(k.data(), k.size())] += v;
    for (int m = 0; m < kMethods; ++m) method_counts[m] += slice.methods[m];
    for (int st = 0; st < kStatuses; ++st) status_counts[st] += slice.statuses[st];
    latency.Merge(slice.latency);
  }
  for (int m = 0; m < kMethods; ++m) {
    if (method_counts[m] != 0) methods[MethodName(static_cast<uint8_t>(m))] += method_counts[m];
  }
  for (int st = 0; st < kStatuses; ++st) {
    if (status_counts[st] != 0) statuses[std::to_string(st)] = status_counts[st];
  }
  out->set_window_seconds(window_s_);
  out->set_window_samples(samples);
  TopList(paths, top, out->mutable_top_paths());
  TopList(hosts, top, out->mutable_top_hosts());
  TopList(methods, top, out->mutable_methods());
  TopList(statuses, top, out->mutable_status_codes());
  v1::Latency* l = out->mutable_latency();
  l->set_count(latency.count());
  l->set_p50_us(latency.Quantile(0.50));
  l->set_p90_us(latency.Quantile(0.90));
  l->set_p99_us(latency.Quantile(0.99));
  l->set_max_us(latency.max());
}

}  // namespace paddock::http_sampler
