// A plugin whose metrics are hostile input for the host's scrape: label names and values
// that would break the text format if passed through, reserved label names, a flood of
// series, malformed histograms, and a gauge whose function sleeps `sleep_ms` (from its
// config) so that its whole Metrics answer comes too late.
#include <unistd.h>

#include <atomic>
#include <string>

#include "google/protobuf/struct.pb.h"
#include "paddock/plugin.h"

class MetricsHostile final : public paddock::Plugin {
 public:
  absl::Status Init(paddock::Context& ctx) override {
    paddock::MetricsRegistry& m = ctx.metrics();
    m.GetCounter("good_total", "Good.").Increment(3);
    m.GetCounter("requests_total", "Requests.", {{"bad label\n", "x"}, {"le", "\xff\"\n}"}})
        .Increment(7);
    m.GetCounter("forged_total", "Forged plugin label.", {{"plugin", "hello"}}).Increment(1);
    m.GetGauge("depth", "Help with \"quotes\"\nand a newline \\.", {{"v", "a\"b\\c\nd"}}).Set(1);
    collector_ = m.AddCollector([](std::vector<paddock::MetricsRegistry::Sample>* out) {
      paddock::MetricsRegistry::Sample bad;  // Unsorted bounds: the host drops it.
      bad.name = "bad_seconds";
      bad.help = "Malformed.";
      bad.kind = 2;
      bad.bounds = {2, 1};
      bad.cumulative = {1, 2, 3};
      out->push_back(bad);
      paddock::MetricsRegistry::Sample flood;  // 10000 series: over the host's limit.
      flood.name = "flood";
      flood.help = "Flood.";
      flood.kind = 1;
      for (int i = 0; i < 10000; ++i) {
        flood.labels = {{"i", std::to_string(i)}};
        out->push_back(flood);
      }
    });
    slow_ = m.AddGaugeFunc("slow", "Sleeps sleep_ms before answering.", [this] {
      usleep(static_cast<useconds_t>(sleep_ms_.load()) * 1000);
      return 1.0;
    });
    return absl::OkStatus();
  }

  absl::Status Configure(const paddock::ConfigSnapshot& snapshot) override {
    auto config = snapshot.As<google::protobuf::Struct>();
    if (!config.ok()) return config.status();
    auto it = config->fields().find("sleep_ms");
    sleep_ms_ = it == config->fields().end() ? 0 : static_cast<int>(it->second.number_value());
    return absl::OkStatus();
  }

 private:
  std::atomic<int> sleep_ms_{0};
  paddock::MetricHandle collector_;
  paddock::MetricHandle slow_;
};

PADDOCK_PLUGIN(MetricsHostile)
