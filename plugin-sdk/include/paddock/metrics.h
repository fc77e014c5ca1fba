// Metrics a plugin exports. The host scrapes them over the plugin's mTLS channel (the
// lifecycle Metrics call) and exposes them with a `plugin` label. All types are thread-safe
// and cheap to update (relaxed atomics); create them once, at Init, and keep the reference.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace paddock {

// A monotonically increasing count.
class Counter {
 public:
  // Adds `n`. Thread-safe, lock-free.
  void Increment(uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  // The current count. Thread-safe.
  uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

// A value that goes up and down.
class Gauge {
 public:
  // Replaces the value. Thread-safe, lock-free.
  void Set(double v) { value_.store(v, std::memory_order_relaxed); }
  // Adds `d` (may be negative). Thread-safe, lock-free.
  void Add(double d);
  // The current value. Thread-safe.
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// A distribution over fixed bucket bounds (upper bounds, ascending; +Inf is implied).
class Histogram {
 public:
  // Bad bounds are cleaned, not fatal: non-finite values are dropped, the rest sorted and
  // deduplicated.
  explicit Histogram(std::vector<double> bounds);
  // Records one observation (NaN is ignored). Thread-safe, lock-free.
  void Observe(double v);
  // The bucket upper bounds in force (after cleaning).
  const std::vector<double>& bounds() const { return bounds_; }
  // Cumulative counts per bucket (bounds().size() + 1 entries) and the sum, read together.
  void Snapshot(std::vector<uint64_t>* cumulative, double* sum) const;

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;
  std::atomic<double> sum_{0};
};

// The plugin's metrics, by name. Names are [a-z_][a-z0-9_]*; the host prefixes them. Other
// characters are replaced by '_' (upper case is lowered). Asking twice for the same name and
// labels returns the same object (the first help text and histogram bounds win). A name has
// one kind: asking for it as another kind logs an error and returns a working object that
// is not exported. Thread-safe.
class MetricsRegistry {
 public:
  using Labels = std::map<std::string, std::string>;
  // Each returns the metric for (name, labels), creating it on first use. The reference
  // is owned by the registry and stays valid as long as it (the Context) lives.
  Counter& GetCounter(const std::string& name, const std::string& help, const Labels& labels = {});
  Gauge& GetGauge(const std::string& name, const std::string& help, const Labels& labels = {});
  Histogram& GetHistogram(const std::string& name, const std::string& help,
                          std::vector<double> bounds, const Labels& labels = {});

  // Internal: visits every metric (used by the SDK to answer the host). Sorted by name,
  // then labels. The pointers stay valid as long as the registry.
  struct Entry {
    std::string name, help;
    int kind;  // 0 counter, 1 gauge, 2 histogram (matches paddock.v1.MetricFamily.Kind).
    Labels labels;
    const Counter* counter = nullptr;
    const Gauge* gauge = nullptr;
    const Histogram* histogram = nullptr;
  };
  std::vector<Entry> Entries() const;

 private:
  struct Slot {
    Entry entry;
    std::unique_ptr<Counter> counter;
    std::unique_ptr<Gauge> gauge;
    std::unique_ptr<Histogram> histogram;
  };
  // Returns the slot for (name, labels) of `kind`, creating it; a new slot when the name is
  // taken by another kind (that slot is kept out of Entries()). Requires mu_.
  Slot& FindLocked(const std::string& name, const std::string& help, int kind,
                   const Labels& labels);

  mutable std::mutex mu_;
  std::map<std::pair<std::string, Labels>, Slot> entries_;  // Guarded by mu_.
  std::vector<std::unique_ptr<Slot>> orphans_;              // Guarded by mu_.
};

}  // namespace paddock
