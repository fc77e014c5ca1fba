#include "metrics_export.h"

#include <cmath>

namespace paddock::scheduler {

const std::vector<double>& TaskLatencyBounds() {
  static const std::vector<double> kBounds = {1e-6,   2e-6,   5e-6,   10e-6, 20e-6, 50e-6,
                                              100e-6, 200e-6, 500e-6, 1e-3,  2e-3,  5e-3,
                                              10e-3,  50e-3,  100e-3, 1};
  return kBounds;
}

void AppendTaskMetrics(const std::vector<std::shared_ptr<TaskRunner>>& runners,
                       std::vector<MetricsRegistry::Sample>* out) {
  std::vector<int64_t> bounds_ns;
  for (double b : TaskLatencyBounds()) bounds_ns.push_back(std::llround(b * 1e9));
  for (const std::shared_ptr<TaskRunner>& r : runners) {
    MetricsRegistry::Labels labels = {{"task", r->name()}};
    MetricsRegistry::Sample h;
    h.name = "task_latency_seconds";
    h.help = "How late each tick of a task fired after its deadline.";
    h.kind = 2;
    h.labels = labels;
    h.bounds = TaskLatencyBounds();
    uint64_t sum_ns = 0;
    r->LatencyBuckets(bounds_ns, &h.cumulative, &sum_ns);
    h.sum = static_cast<double>(sum_ns) / 1e9;
    out->push_back(std::move(h));
    RunnerStats st = r->Stats();
    auto counter = [&](const char* name, const char* help, uint64_t v,
                       MetricsRegistry::Labels extra = {}) {
      MetricsRegistry::Sample s;
      s.name = name;
      s.help = help;
      s.kind = 0;
      s.labels = labels;
      s.labels.insert(extra.begin(), extra.end());
      s.value = static_cast<double>(v);
      out->push_back(std::move(s));
    };
    counter("task_ticks_total", "Ticks a task fired.", st.ticks);
    counter("task_misses_total", "Deadlines a task skipped (it was late by a whole period).",
            st.misses);
    counter("task_overruns_total", "Ticks whose work ran past the next deadline.", st.overruns);
    counter("task_invokes_total", "Invocations a task made, by result.", st.invokes_ok,
            {{"result", "ok"}});
    counter("task_invokes_total", "Invocations a task made, by result.", st.invokes_failed,
            {{"result", "failed"}});
  }
}

}  // namespace paddock::scheduler
