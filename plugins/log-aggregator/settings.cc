#include "settings.h"

#include "absl/strings/str_cat.h"

namespace paddock::logagg {
namespace {

constexpr int64_t kMs = 1'000'000;

absl::Status Bad(const char* field, const std::string& why) {
  return absl::InvalidArgumentError(absl::StrCat("config: ", field, " ", why));
}

}  // namespace

absl::StatusOr<Settings> SettingsFromConfig(const paddock::logagg::v1::LogAggregatorConfig& c) {
  using paddock::logagg::v1::FsyncPolicy;
  Settings s;
  if (c.segment_max_bytes() != 0) {
    if (c.segment_max_bytes() < (64u << 10)) return Bad("segment_max_bytes", "must be >= 65536");
    s.segment_max_bytes = c.segment_max_bytes();
  }
  if (c.segment_max_age_s() != 0)
    s.segment_max_age_ns = static_cast<int64_t>(c.segment_max_age_s()) * 1000 * kMs;
  if (c.retention_max_bytes() != 0) s.retention_max_bytes = c.retention_max_bytes();
  if (s.retention_max_bytes < 2 * s.segment_max_bytes) {
    return Bad("retention_max_bytes", absl::StrCat("must be at least twice segment_max_bytes (",
                                                   2 * s.segment_max_bytes, ")"));
  }
  s.retention_max_age_ns = static_cast<int64_t>(c.retention_max_age_s()) * 1000 * kMs;
  if (c.flush_interval_ms() != 0) {
    if (c.flush_interval_ms() > 60000) return Bad("flush_interval_ms", "must be <= 60000");
    s.flush_interval_ns = static_cast<int64_t>(c.flush_interval_ms()) * kMs;
  }
  if (c.flush_bytes() != 0) {
    if (c.flush_bytes() < 4096 || c.flush_bytes() > (64u << 20)) {
      return Bad("flush_bytes", "must be in [4096, 67108864]");
    }
    s.flush_bytes = c.flush_bytes();
  }
  switch (c.fsync()) {
    case FsyncPolicy::FSYNC_NEVER:
      s.fsync = FsyncMode::kNever;
      break;
    case FsyncPolicy::FSYNC_INTERVAL:
      s.fsync = FsyncMode::kInterval;
      break;
    case FsyncPolicy::FSYNC_EVERY_WRITE:
      s.fsync = FsyncMode::kEveryWrite;
      break;
    case FsyncPolicy::FSYNC_ON_SEAL:
      s.fsync = FsyncMode::kOnSeal;
      break;
    default:
      return Bad("fsync", "unknown policy");
  }
  if (c.fsync_interval_ms() != 0)
    s.fsync_interval_ns = static_cast<int64_t>(c.fsync_interval_ms()) * kMs;
  s.direct_io = !c.buffered_io();
  if (c.max_message_bytes() != 0) {
    if (c.max_message_bytes() < 64 || c.max_message_bytes() > 65535) {
      return Bad("max_message_bytes", "must be in [64, 65535]");
    }
    s.max_message_bytes = c.max_message_bytes();
  }
  if (c.recv_batch() != 0) {
    if (c.recv_batch() > 1024) return Bad("recv_batch", "must be <= 1024");
    s.recv_batch = c.recv_batch();
  }
  if (c.ring_slots() != 0) {
    if (c.ring_slots() > (1u << 22)) return Bad("ring_slots", "must be <= 4194304");
    s.ring_slots = c.ring_slots();
  }
  if (s.ring_slots < 2 * s.recv_batch) {
    return Bad("ring_slots",
               absl::StrCat("must be at least 2 * recv_batch (", 2 * s.recv_batch, ")"));
  }
  if (c.slot_bytes() != 0) {
    if (c.slot_bytes() < 256 || c.slot_bytes() > 65535) {
      return Bad("slot_bytes", "must be in [256, 65535]");
    }
    s.slot_bytes = c.slot_bytes();
  }
  if (c.large_ring_bytes() != 0) {
    if (c.large_ring_bytes() > (1u << 30)) return Bad("large_ring_bytes", "must be <= 1 GiB");
    s.large_ring_bytes = c.large_ring_bytes();
  }
  if (s.large_ring_bytes < 2 * (s.max_message_bytes + 64)) {
    return Bad("large_ring_bytes", "must be at least 2 * (max_message_bytes + 64)");
  }
  if (s.large_ring_bytes < (128u << 10)) return Bad("large_ring_bytes", "must be >= 131072");
  s.coalesce_us = c.coalesce_us() != 0 ? c.coalesce_us() : s.coalesce_us;
  if (s.coalesce_us > 100000) return Bad("coalesce_us", "must be <= 100000");
  if (c.max_tcp_connections() != 0) {
    if (c.max_tcp_connections() > 900) return Bad("max_tcp_connections", "must be <= 900");
    s.max_tcp_connections = c.max_tcp_connections();
  }
  if (c.tcp_idle_timeout_ms() != 0)
    s.tcp_idle_timeout_ns = static_cast<int64_t>(c.tcp_idle_timeout_ms()) * kMs;
  return s;
}

}  // namespace paddock::logagg
