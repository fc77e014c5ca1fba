// The plugin's settings: LogAggregatorConfig with defaults filled in and limits checked.
#pragma once

#include <cstdint>

#include "absl/status/statusor.h"
#include "log_aggregator.pb.h"

namespace paddock::logagg {

enum class FsyncMode { kNever, kInterval, kEveryWrite, kOnSeal };

struct Settings {
  // Writer (apply on every config change).
  uint64_t segment_max_bytes = 64ull << 20;
  int64_t segment_max_age_ns = 3600ll * 1'000'000'000;
  uint64_t retention_max_bytes = 1ull << 30;
  int64_t retention_max_age_ns = 0;  // 0: no age limit.
  int64_t flush_interval_ns = 200ll * 1'000'000;
  uint64_t flush_bytes = 1u << 20;
  FsyncMode fsync = FsyncMode::kNever;
  int64_t fsync_interval_ns = 1'000'000'000;
  bool direct_io = true;  // O_DIRECT appends where the filesystem supports them.
  // Receiver (coalesce and TCP limits apply live; the ring when an instance starts).
  uint32_t ring_slots = 32768;
  uint32_t slot_bytes = 512;
  uint32_t large_ring_bytes = 8u << 20;
  uint32_t max_message_bytes = 65535;
  uint32_t recv_batch = 256;
  uint32_t coalesce_us = 2000;
  uint32_t max_tcp_connections = 512;
  int64_t tcp_idle_timeout_ns = 300ll * 1'000'000'000;
};

// Builds Settings from a config message: 0 fields take their defaults; InvalidArgument
// names the first field out of range.
absl::StatusOr<Settings> SettingsFromConfig(const paddock::logagg::v1::LogAggregatorConfig& c);

}  // namespace paddock::logagg
