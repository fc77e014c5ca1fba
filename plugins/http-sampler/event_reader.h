// The ring-buffer reader: one thread that polls the BPF ring buffer (libbpf), decodes
// records, joins requests with responses (Joiner) and hands the completed samples to a
// sink in batches (one call per drain of the ring), on the reader thread. Nothing is
// allocated per record: the sink gets the raw records and decides what to build.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <thread>

#include "absl/status/statusor.h"
#include "records.h"

struct ring_buffer;

namespace paddock::http_sampler {

class EventReader {
 public:
  // Called on the reader thread with every sample completed since the last call (never
  // with an empty batch).
  using Sink = std::function<void(const std::vector<Completed>&)>;

  // Starts reading the ring buffer map `events_fd` (not owned; must outlive the reader).
  // Requests wait `timeout_ns` for their response.
  static absl::StatusOr<std::unique_ptr<EventReader>> Start(int events_fd, Sink sink,
                                                            uint64_t timeout_ns);
  // Stops the thread; pending requests are reported without a response.
  ~EventReader();
  EventReader(const EventReader&) = delete;
  EventReader& operator=(const EventReader&) = delete;

  // Thread-safe; takes effect at the next poll.
  void set_timeout_ns(uint64_t ns) { timeout_ns_.store(ns, std::memory_order_relaxed); }

  // Counters since start. Thread-safe.
  uint64_t samples() const { return samples_.load(std::memory_order_relaxed); }
  uint64_t unanswered() const { return unanswered_.load(std::memory_order_relaxed); }
  uint64_t bad_records() const { return bad_.load(std::memory_order_relaxed); }
  uint64_t unmatched_responses() const { return unmatched_.load(std::memory_order_relaxed); }

 private:
  EventReader(Sink sink, uint64_t timeout_ns);
  static int OnRecord(void* ctx, void* data, size_t size);
  void Run();
  void Deliver();

  Sink sink_;
  std::atomic<uint64_t> timeout_ns_;
  Joiner joiner_;
  std::vector<Completed> done_;  // Reader thread only.
  ring_buffer* rb_ = nullptr;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> samples_{0}, unanswered_{0}, bad_{0}, unmatched_{0};
  std::thread thread_;
};

}  // namespace paddock::http_sampler
