// Metrics registry (see paddock/metrics.h).
#include "paddock/metrics.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <tuple>

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

// Returns `s` with every byte that is not part of well-formed UTF-8 replaced by U+FFFD:
// protobuf refuses to parse a string field holding invalid UTF-8, which would cost the
// plugin its whole Metrics answer.
std::string ValidUtf8(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    const auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
    const unsigned char c = b(i);
    size_t n = c < 0x80                   ? 1
               : (c >= 0xC2 && c <= 0xDF) ? 2
               : (c >= 0xE0 && c <= 0xEF) ? 3
               : (c >= 0xF0 && c <= 0xF4) ? 4
                                          : 0;
    bool ok = n > 0 && i + n <= s.size();
    for (size_t k = 1; ok && k < n; ++k) ok = (b(i + k) & 0xC0) == 0x80;
    if (ok && n == 3) {  // No overlong forms, no surrogates.
      ok = !(c == 0xE0 && b(i + 1) < 0xA0) && !(c == 0xED && b(i + 1) > 0x9F);
    }
    if (ok && n == 4) {  // No overlong forms, nothing past U+10FFFF.
      ok = !(c == 0xF0 && b(i + 1) < 0x90) && !(c == 0xF4 && b(i + 1) > 0x8F);
    }
    if (!ok) {
      out.append("\xEF\xBF\xBD");
      ++i;
      continue;
    }
    out.append(s, i, n);
    i += n;
  }
  return out;
}

MetricsRegistry::Labels ValidLabels(const MetricsRegistry::Labels& labels) {
  MetricsRegistry::Labels out;
  for (const auto& [k, v] : labels) out.emplace(ValidUtf8(k), ValidUtf8(v));
  return out;
}

}  // namespace

void Gauge::Add(double d) { AtomicAdd(value_, d); }

// Bad bounds are the author's input, not an invariant: keeps finite values, sorted, unique.
static std::vector<double> CleanBounds(std::vector<double> b) {
  b.erase(std::remove_if(b.begin(), b.end(), [](double x) { return !std::isfinite(x); }), b.end());
  std::sort(b.begin(), b.end());
  b.erase(std::unique(b.begin(), b.end()), b.end());
  return b;
}

Histogram::Histogram(std::vector<double> bounds) : bounds_(CleanBounds(std::move(bounds))) {
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

MetricsRegistry::Slot& MetricsRegistry::Orphan(const std::string& name) {
  log::Error("metric registered both as a function and as an object; this one is not exported",
             {{"metric", SanitizeName(name)}});
  return *orphans_.emplace_back(std::make_unique<Slot>());
}

Counter& MetricsRegistry::GetCounter(const std::string& name, const std::string& help,
                                     const Labels& labels) {
  std::lock_guard<std::mutex> lock(mu_);
  Slot* slot_ptr = &FindLocked(name, help, 0, labels);
  if (slot_ptr->func_id != 0) slot_ptr = &Orphan(name);
  Slot& slot = *slot_ptr;
  if (slot.counter == nullptr) {
    slot.counter = std::make_unique<Counter>();
    slot.entry.counter = slot.counter.get();
  }
  return *slot.counter;
}

Gauge& MetricsRegistry::GetGauge(const std::string& name, const std::string& help,
                                 const Labels& labels) {
  std::lock_guard<std::mutex> lock(mu_);
  Slot* slot_ptr = &FindLocked(name, help, 1, labels);
  if (slot_ptr->func_id != 0) slot_ptr = &Orphan(name);
  Slot& slot = *slot_ptr;
  if (slot.gauge == nullptr) {
    slot.gauge = std::make_unique<Gauge>();
    slot.entry.gauge = slot.gauge.get();
  }
  return *slot.gauge;
}

Histogram& MetricsRegistry::GetHistogram(const std::string& name, const std::string& help,
                                         std::vector<double> bounds, const Labels& labels) {
  std::lock_guard<std::mutex> lock(mu_);
  Slot* slot_ptr = &FindLocked(name, help, 2, labels);
  if (slot_ptr->func_id != 0) slot_ptr = &Orphan(name);
  Slot& slot = *slot_ptr;
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
  for (const auto& [key, slot] : entries_) {
    if (slot.func_id == 0) out.push_back(slot.entry);
  }
  return out;
}

MetricHandle MetricsRegistry::AddFuncLocked(const std::string& name, const std::string& help,
                                            int kind, const Labels& labels, Slot fn) {
  const std::string clean = SanitizeName(name);
  auto same_name = entries_.lower_bound({clean, Labels{}});
  bool kind_taken = same_name != entries_.end() && same_name->first.first == clean &&
                    same_name->second.entry.kind != kind;
  if (kind_taken || entries_.count({clean, labels}) != 0) {
    log::Error("metric name and labels already registered; this one is not exported",
               {{"metric", clean}});
    return MetricHandle();
  }
  Slot& slot = entries_[{clean, labels}];
  slot = std::move(fn);
  slot.entry.name = clean;
  slot.entry.help = help;
  slot.entry.kind = kind;
  slot.entry.labels = labels;
  slot.func_id = next_func_id_++;
  return MetricHandle(this, slot.func_id);
}

MetricHandle MetricsRegistry::AddCounterFunc(const std::string& name, const std::string& help,
                                             std::function<double()> read, const Labels& labels) {
  Slot fn;
  fn.read = std::move(read);
  std::lock_guard<std::mutex> lock(mu_);
  return AddFuncLocked(name, help, 0, labels, std::move(fn));
}

MetricHandle MetricsRegistry::AddGaugeFunc(const std::string& name, const std::string& help,
                                           std::function<double()> read, const Labels& labels) {
  Slot fn;
  fn.read = std::move(read);
  std::lock_guard<std::mutex> lock(mu_);
  return AddFuncLocked(name, help, 1, labels, std::move(fn));
}

MetricHandle MetricsRegistry::AddHistogramFunc(const std::string& name, const std::string& help,
                                               std::vector<double> bounds, HistogramReader read,
                                               const Labels& labels) {
  Slot fn;
  fn.func_bounds = CleanBounds(std::move(bounds));
  fn.read_histogram = std::move(read);
  std::lock_guard<std::mutex> lock(mu_);
  return AddFuncLocked(name, help, 2, labels, std::move(fn));
}

MetricHandle MetricsRegistry::AddCollector(std::function<void(std::vector<Sample>*)> collect) {
  std::lock_guard<std::mutex> lock(mu_);
  uint64_t id = next_func_id_++;
  collectors_[id] = std::move(collect);
  return MetricHandle(this, id);
}

void MetricsRegistry::Remove(uint64_t id) {
  std::lock_guard<std::mutex> lock(mu_);
  if (collectors_.erase(id) > 0) return;
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    if (it->second.func_id == id) {
      entries_.erase(it);
      return;
    }
  }
}

std::vector<MetricsRegistry::Sample> MetricsRegistry::Collect() const {
  std::vector<Sample> out = CollectLocked();
  for (Sample& s : out) {
    s.help = ValidUtf8(s.help);
    s.labels = ValidLabels(s.labels);
  }
  return out;
}

std::vector<MetricsRegistry::Sample> MetricsRegistry::CollectLocked() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<Sample> out;
  out.reserve(entries_.size());
  for (const auto& [key, slot] : entries_) {
    Sample& s = out.emplace_back();
    s.name = slot.entry.name;
    s.help = slot.entry.help;
    s.kind = slot.entry.kind;
    s.labels = slot.entry.labels;
    if (slot.counter) s.value = static_cast<double>(slot.counter->value());
    if (slot.gauge) s.value = slot.gauge->value();
    if (slot.histogram) {
      s.bounds = slot.histogram->bounds();
      slot.histogram->Snapshot(&s.cumulative, &s.sum);
    }
    if (slot.read) s.value = slot.read();
    if (slot.read_histogram) {
      s.bounds = slot.func_bounds;
      s.cumulative.assign(s.bounds.size() + 1, 0);
      slot.read_histogram(&s.cumulative, &s.sum);
      s.cumulative.resize(s.bounds.size() + 1, s.cumulative.empty() ? 0 : s.cumulative.back());
    }
  }
  if (collectors_.empty()) return out;
  // Merge the collectors' series: sanitized names, first (name, labels) and first kind per
  // name win (registered metrics come first), sorted like the rest.
  std::vector<Sample> extra;
  for (const auto& [id, collect] : collectors_) collect(&extra);
  std::map<std::string, int> kinds;
  std::set<std::pair<std::string, Labels>> seen;
  for (const Sample& s : out) {
    kinds.emplace(s.name, s.kind);
    seen.insert({s.name, s.labels});
  }
  for (Sample& s : extra) {
    s.name = SanitizeName(s.name);
    if (s.kind == 2 && s.cumulative.size() != s.bounds.size() + 1) continue;
    auto kind = kinds.emplace(s.name, s.kind).first;
    if (kind->second != s.kind || !seen.insert({s.name, s.labels}).second) continue;
    out.push_back(std::move(s));
  }
  std::stable_sort(out.begin(), out.end(), [](const Sample& a, const Sample& b) {
    return std::tie(a.name, a.labels) < std::tie(b.name, b.labels);
  });
  return out;
}

MetricHandle& MetricHandle::operator=(MetricHandle&& o) noexcept {
  if (this != &o) {
    Reset();
    registry_ = o.registry_;
    id_ = o.id_;
    o.registry_ = nullptr;
  }
  return *this;
}

void MetricHandle::Reset() {
  if (registry_ != nullptr) registry_->Remove(id_);
  registry_ = nullptr;
}

}  // namespace paddock
