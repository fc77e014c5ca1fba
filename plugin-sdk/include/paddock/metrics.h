// Metrics a plugin exports. The host scrapes them over the plugin's mTLS channel (the
// lifecycle Metrics call) and exposes them with a `plugin` label. All types are thread-safe
// and cheap to update (relaxed atomics); create them once, at Init, and keep the reference.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
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

class MetricsRegistry;

// Keeps a function-backed metric (MetricsRegistry::AddCounterFunc and friends) registered;
// destroying it (or Reset) unregisters the metric and waits for a scrape that is reading it,
// so afterwards the function is never called again. Move-only. Must not outlive its registry.
class MetricHandle {
 public:
  MetricHandle() = default;
  ~MetricHandle() { Reset(); }
  MetricHandle(MetricHandle&& o) noexcept : registry_(o.registry_), id_(o.id_) {
    o.registry_ = nullptr;
  }
  MetricHandle& operator=(MetricHandle&& o) noexcept;
  MetricHandle(const MetricHandle&) = delete;
  MetricHandle& operator=(const MetricHandle&) = delete;
  // Unregisters now (no-op when empty).
  void Reset();

 private:
  friend class MetricsRegistry;
  MetricHandle(MetricsRegistry* registry, uint64_t id) : registry_(registry), id_(id) {}
  MetricsRegistry* registry_ = nullptr;
  uint64_t id_ = 0;
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

  // Function-backed metrics, for figures the plugin already keeps (e.g. the atomics of its
  // own stats struct): `read` is called at every scrape, on a gRPC thread, with the
  // registry's lock held. It must be thread-safe and quick, and must not call into the
  // registry. A counter's value must never decrease. The metric stays until the returned
  // handle is destroyed: keep the handle next to what `read` reads, so it goes first.
  // Same naming rules as above; a name already in use with another kind is not exported.
  [[nodiscard]] MetricHandle AddCounterFunc(const std::string& name, const std::string& help,
                                            std::function<double()> read,
                                            const Labels& labels = {});
  [[nodiscard]] MetricHandle AddGaugeFunc(const std::string& name, const std::string& help,
                                          std::function<double()> read, const Labels& labels = {});
  // `read` fills the cumulative count per bucket (bounds.size() + 1 entries, +Inf last;
  // the vector comes sized and zeroed) and the sum of observations. Bounds are cleaned as
  // Histogram's are (finite, sorted, unique).
  using HistogramReader = std::function<void(std::vector<uint64_t>* cumulative, double* sum)>;
  [[nodiscard]] MetricHandle AddHistogramFunc(const std::string& name, const std::string& help,
                                              std::vector<double> bounds, HistogramReader read,
                                              const Labels& labels = {});

  // Internal (used by the SDK to answer the host): every exported metric with its value
  // read now, sorted by name, then labels. Help texts and labels come out as valid UTF-8
  // (bad bytes become U+FFFD), as the protobuf answer needs.
  struct Sample {
    std::string name, help;
    int kind = 0;  // As Entry::kind.
    Labels labels;
    double value = 0;                  // Counter, gauge.
    std::vector<double> bounds;        // Histogram.
    std::vector<uint64_t> cumulative;  // Histogram: bounds.size() + 1 entries.
    double sum = 0;                    // Histogram.
  };
  std::vector<Sample> Collect() const;

  // A source of any number of series, read at each scrape, for sets that change (e.g. one
  // histogram per task): `collect` appends Samples (name, help, kind, labels and values as
  // Collect() returns them; histogram: bounds ascending, cumulative bounds.size() + 1
  // entries). Names are sanitized as above; a series whose name and labels are already
  // taken, or whose name is taken by another kind, is not exported. Runs like the function
  // metrics (gRPC thread, registry lock held) until the handle is destroyed.
  [[nodiscard]] MetricHandle AddCollector(std::function<void(std::vector<Sample>*)> collect);

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
  friend class MetricHandle;
  struct Slot {
    Entry entry;
    std::unique_ptr<Counter> counter;
    std::unique_ptr<Gauge> gauge;
    std::unique_ptr<Histogram> histogram;
    // Function-backed (then the pointers above are null); func_id keys its handle.
    uint64_t func_id = 0;
    std::function<double()> read;
    std::vector<double> func_bounds;
    HistogramReader read_histogram;
  };
  // Registers a function-backed slot; an empty handle when the name/labels are taken.
  MetricHandle AddFuncLocked(const std::string& name, const std::string& help, int kind,
                             const Labels& labels, Slot fn);
  void Remove(uint64_t id);
  // Collect() before the UTF-8 repair of help texts and labels.
  std::vector<Sample> CollectLocked() const;
  // A working slot that is never exported (a name misused). Requires mu_.
  Slot& Orphan(const std::string& name);
  // Returns the slot for (name, labels) of `kind`, creating it; a new slot when the name is
  // taken by another kind (that slot is kept out of Entries()). Requires mu_.
  Slot& FindLocked(const std::string& name, const std::string& help, int kind,
                   const Labels& labels);

  mutable std::mutex mu_;
  std::map<std::pair<std::string, Labels>, Slot> entries_;                    // Guarded by mu_.
  std::vector<std::unique_ptr<Slot>> orphans_;                                // Guarded by mu_.
  uint64_t next_func_id_ = 1;                                                 // Guarded by mu_.
  std::map<uint64_t, std::function<void(std::vector<Sample>*)>> collectors_;  // Guarded by mu_.
};

}  // namespace paddock
