// Metrics registry (see paddock/metrics.h).
#include "paddock/metrics.h"

#include <algorithm>
#include <cmath>

#include "paddock/log.h"

namespace paddock {
namespace {

// Adds `d` to an atomic double (std::atomic<double>::fetch_add is not lock-free everywhere).
void AtomicAdd(std::atomic<double>& a, double d) {
  double cur = a.load(std::memory_order_relaxed);
  while (!a.compare_exchange_weak(cur, cur + d, std::memory_order_relaxed)) {
  }
}

// Makes `name` a valid metric name, [a-z_][a-z0-9_]*: other characters become '_'.
std::string SanitizeName(const std::string& name) {
  std::string out = name.empty() ? "_" : name;
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) c = '_';
  }
  if (out[0] >= '0' && out[0] <= '9') out.insert(out.begin(), '_');
  return out;
}

}  // namespace

void Gauge::Add(double d) { AtomicAdd(value_, d); }

Histogram::Histogram(std::vector<double> bounds) : bounds_(std::move(bounds)) {
  // Bad bounds are the author's input, not an invariant: keep finite values, sorted, unique.
  bounds_.erase(
      std::remove_if(bounds_.begin(), bounds_.end(), [](double b) { return !std::isfinite(b); }),
      bounds_.end());
  std::sort(bounds_.begin(), bounds_.end());
  bounds_.erase(std::unique(bounds_.begin(), bounds_.end()), bounds_.end());
  counts_ = std::make_unique<std::atomic<uint64_t>[]>(bounds_.size() + 1);
}

void Histogram::Observe(double v) {
  if (std::isnan(v)) return;
  // Bucket i counts values in (bounds[i-1], bounds[i]]; the last one is +Inf.
  size_t i = std::lower_bound(bounds_.begin(), bounds_.end(), v) - bounds_.begin();
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  AtomicAdd(sum_, v);
}

void Histogram::Snapshot(std::vector<uint64_t>* cumulative, double* sum) const {
  cumulative->assign(bounds_.size() + 1, 0);
  uint64_t running = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    running += counts_[i].load(std::memory_order_relaxed);
    (*cumulative)[i] = running;
  }
  *sum = sum_.load(std::memory_order_relaxed);
}

MetricsRegistry::Slot& MetricsRegistry::FindLocked(const std::string& name, const std::string& help,
                                                   int kind, const Labels& labels) {
  const std::string clean = SanitizeName(name);
  auto it = entries_.find({clean, labels});
  if (it != entries_.end() && it->second.entry.kind == kind) return it->second;
  if (it == entries_.end()) {
    // A name has one kind across all its label sets.
    auto same_name = entries_.lower_bound({clean, Labels{}});
    if (same_name == entries_.end() || same_name->first.first != clean ||
        same_name->second.entry.kind == kind) {
      Slot& slot = entries_[{clean, labels}];
      slot.entry.name = clean;
      slot.entry.help = help;
      slot.entry.kind = kind;
      slot.entry.labels = labels;
      return slot;
    }
  }
  log::Error("metric asked for as two different kinds; this one is not exported",
             {{"metric", clean}});
  return *orphans_.emplace_back(std::make_unique<Slot>());
}

Counter& MetricsRegistry::GetCounter(const std::string& name, const std::string& help,
                                     const Labels& labels) {
  std::lock_guard<std::mutex> lock(mu_);
  Slot& slot = FindLocked(name, help, 0, labels);
  if (slot.counter == nullptr) {
    slot.counter = std::make_unique<Counter>();
    slot.entry.counter = slot.counter.get();
  }
  return *slot.counter;
}

Gauge& MetricsRegistry::GetGauge(const std::string& name, const std::string& help,
                                 const Labels& labels) {
  std::lock_guard<std::mutex> lock(mu_);
  Slot& slot = FindLocked(name, help, 1, labels);
  if (slot.gauge == nullptr) {
    slot.gauge = std::make_unique<Gauge>();
    slot.entry.gauge = slot.gauge.get();
  }
  return *slot.gauge;
}

Histogram& MetricsRegistry::GetHistogram(const std::string& name, const std::string& help,
                                         std::vector<double> bounds, const Labels& labels) {
  std::lock_guard<std::mutex> lock(mu_);
  Slot& slot = FindLocked(name, help, 2, labels);
  if (slot.histogram == nullptr) {
    slot.histogram = std::make_unique<Histogram>(std::move(bounds));
    slot.entry.histogram = slot.histogram.get();
  }
  return *slot.histogram;
}

std::vector<MetricsRegistry::Entry> MetricsRegistry::Entries() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<Entry> out;
  out.reserve(entries_.size());
  for (const auto& [key, slot] : entries_) out.push_back(slot.entry);
  return out;
}

}  // namespace paddock
