// Everything the plugin runs, without the SDK: recovery of the data dir, the ring, the
// writer and receiver threads, the catalog and the gRPC service. The plugin class
// (log_aggregator_plugin.cc) wires it to the SDK; tests drive it directly.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "ingest.h"
#include "instance_state.h"
#include "paddock/config.h"
#include "paddock/fd.h"
#include "recovery.h"
#include "ring.h"
#include "segment_catalog.h"
#include "segment_writer.h"
#include "service.h"
#include "settings.h"
#include "stats.h"

namespace paddock::logagg {

class Core {
 public:
  struct Options {
    std::string data_dir;  // Must exist and be writable.
    UniqueFd udp, tcp;     // Either may be invalid.
    Settings settings;
    uint64_t instance = 0;  // 0: a random id.
  };

  // Recovers the data dir, then starts the writer and the receiver. Errors: the data dir
  // is unusable, the ring cannot be mapped, a socket cannot be used.
  static absl::StatusOr<std::unique_ptr<Core>> Start(Options options);
  ~Core();  // Shutdown()s.

  // Applies new settings (ring geometry only applies to the next instance). Thread-safe.
  void SetSettings(Settings s);
  // Stops taking new UDP datagrams and TCP connections and writes out everything received
  // (waiting at most `timeout`). Tails end. Thread-safe; idempotent.
  void Drain(std::chrono::milliseconds timeout = std::chrono::milliseconds(1500));
  // Drain, read what TCP peers already delivered, write everything, seal the active
  // segment, remove the instance's state file. Idempotent.
  void Shutdown();

  LogAggregatorService& service() { return *service_; }
  Stats& stats() { return stats_; }
  SegmentCatalog& catalog() { return *catalog_; }
  uint64_t instance() const { return instance_; }
  const RecoveryReport& recovery() const { return recovery_; }
  const Ingest& ingest() const { return *ingest_; }
  SegmentWriter& writer() { return *writer_; }

 private:
  Core() = default;

  uint64_t instance_ = 0;
  RecoveryReport recovery_;
  Stats stats_;
  AtomicSnapshot<Settings> settings_;
  InstanceState state_;
  std::unique_ptr<SegmentCatalog> catalog_;
  std::unique_ptr<Ring> ring_;
  std::unique_ptr<SegmentWriter> writer_;
  std::unique_ptr<Ingest> ingest_;
  std::unique_ptr<LogAggregatorService> service_;
  std::atomic<bool> draining_{false};
  std::mutex shutdown_mu_;
  bool shut_down_ = false;  // Guarded by shutdown_mu_.
};

}  // namespace paddock::logagg
