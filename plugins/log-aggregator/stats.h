// Counters shared by the receiver, the writer and the service. Relaxed atomics: each value
// is exact, a set of them read together is not a snapshot.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>

namespace paddock::logagg {

struct Stats {
  using C = std::atomic<uint64_t>;
  // Receiver (its own cache lines: the writer's counters change at the same time).
  alignas(64) C received{0}, received_bytes{0}, parsed_rfc3164{0}, parsed_rfc5424{0}, raw{0};
  C truncated{0}, kernel_drops{0}, ring_overflows{0};
  C tcp_accepted{0}, tcp_shed{0}, tcp_idle_closed{0}, tcp_framing_errors{0};
  std::atomic<uint32_t> tcp_connections{0};
  // Writer.
  alignas(64) C written{0}, written_bytes{0}, write_dropped{0}, fsyncs{0};
  C segments_rotated{0}, segments_deleted{0};
  std::atomic<bool> disk_full{false};
  std::atomic<bool> direct_io{false};  // The active segment is written with O_DIRECT.
  // From the data dir's history (recovery).
  C lost_on_crash{0}, torn_bytes_truncated{0};

  void SetWriteError(std::string e) {
    std::lock_guard<std::mutex> l(mu_);
    last_write_error_ = std::move(e);
  }
  std::string last_write_error() const {
    std::lock_guard<std::mutex> l(mu_);
    return last_write_error_;
  }

 private:
  mutable std::mutex mu_;
  std::string last_write_error_;  // Guarded by mu_.
};

// Adds `n` to a counter.
inline void Add(std::atomic<uint64_t>& c, uint64_t n) { c.fetch_add(n, std::memory_order_relaxed); }
// Reads a counter.
inline uint64_t Get(const std::atomic<uint64_t>& c) { return c.load(std::memory_order_relaxed); }

}  // namespace paddock::logagg
