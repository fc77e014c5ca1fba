// The scheduler's figures for the host's metrics endpoint: per armed task, its tick
// latency histogram (how late each tick fired) and its tick, miss and overrun counters.
// The host exports them as paddock_plugin_task_*{plugin="scheduler",task="<name>"}.
#pragma once

#include <memory>
#include <vector>

#include "paddock/metrics.h"
#include "task_runner.h"

namespace paddock::scheduler {

// Bucket bounds of the latency histogram, in seconds: 1 us .. 1 s.
const std::vector<double>& TaskLatencyBounds();

// Appends the series of every runner in `runners` (thread-safe reads of live runners).
void AppendTaskMetrics(const std::vector<std::shared_ptr<TaskRunner>>& runners,
                       std::vector<MetricsRegistry::Sample>* out);

}  // namespace paddock::scheduler
