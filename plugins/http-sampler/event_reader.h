// The ring-buffer reader: one thread that sleeps until a BPF ring buffer has records,
// decodes them, joins requests with responses (Joiner) and hands the completed samples to
// a sink in batches (one call per drain of the ring), on the reader thread. Nothing is
// allocated per record: the sink gets the raw records and decides what to build.
//
// The program writes into the ring of the CPU it runs on (one per CPU); the reader reads
// them all through one libbpf manager (one epoll set), and the Joiner pairs a request and a
// response that were read from different rings in either order.
//
// Wakeups: idle, the thread blocks in poll() on the rings' epoll fd and an eventfd (stop,
// new timeout) with no timeout but the next request's response deadline, so an idle
// sampler costs no CPU. The program's default wakeup rule wakes it for the first record
// after a drain; once woken it drains, then sleeps without watching the ring so a batch
// builds up (the records behind the first cost no wakeup), and drains again, until a drain
// finds nothing. The sleep (BatchWaitMs) is as long as the rate just seen takes to queue
// kBusyBytes, at most kMaxBatchMs (kFirstBatchMs after an idle wait, whose length says
// nothing of the rate): few wakeups at low rates, small batches at high ones; the rest of
// the ring is headroom for a reader held back by the scheduler or a rate that jumps in the
// middle of a wait (the program counts what it drops as ring_full).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <thread>

#include "absl/status/statusor.h"
#include "bpf_program.h"
#include "paddock/fd.h"
#include "records.h"

namespace paddock::http_sampler {

class EventReader {
 public:
  // The longest the reader lets a batch build up after a drain that found records: the
  // longest a record waits in the ring while traffic flows.
  static constexpr int kMaxBatchMs = 100;
  // The first wait after the reader was idle (the rate is not known yet).
  static constexpr int kFirstBatchMs = 10;
  // What a batch may grow to, over all rings (1/16 of a 16 MiB ring, at most a quarter of
  // smaller ones: the rest is headroom for a reader the scheduler holds back, also when
  // one CPU sees all the traffic). A drain that returned this much is followed by the next
  // at once.
  static constexpr size_t kBusyBytes = HS_RING_BYTES / 16;

  // The wait before the next drain, after one that returned `bytes` (> 0) of records that
  // came in over `elapsed_ns`: the time the same rate takes to queue `busy_bytes`, capped
  // at kMaxBatchMs; 0 when the drain was `busy_bytes` or more.
  static int BatchWaitMs(size_t bytes, uint64_t elapsed_ns, size_t busy_bytes = kBusyBytes);

  // Called on the reader thread with every sample completed since the last call (never
  // with an empty batch).
  using Sink = std::function<void(const std::vector<Completed>&)>;

  // Starts reading the ring buffer maps `ring_fds` (not owned; they must outlive the
  // reader), each `ring_bytes` big. Requests wait `timeout_ns` for their response.
  static absl::StatusOr<std::unique_ptr<EventReader>> Start(const std::vector<int>& ring_fds,
                                                            size_t ring_bytes, Sink sink,
                                                            uint64_t timeout_ns);
  // Stops the thread (at once, also when it is idle); whatever is in the ring is read, and
  // pending requests are reported without a response.
  ~EventReader();
  EventReader(const EventReader&) = delete;
  EventReader& operator=(const EventReader&) = delete;

  // Thread-safe; wakes the reader, which applies it to pending requests at once.
  void set_timeout_ns(uint64_t ns);

  // Counters since start. Thread-safe.
  uint64_t samples() const { return samples_.load(std::memory_order_relaxed); }
  uint64_t unanswered() const { return unanswered_.load(std::memory_order_relaxed); }
  uint64_t bad_records() const { return bad_.load(std::memory_order_relaxed); }
  // Responses read without a request to join (Joiner::unmatched).
  uint64_t unmatched_responses() const { return unmatched_.load(std::memory_order_relaxed); }
  // Times the thread woke up (each followed by one drain of the ring).
  uint64_t wakeups() const { return wakeups_.load(std::memory_order_relaxed); }

 private:
  EventReader(Sink sink, uint64_t timeout_ns, size_t busy_bytes);
  static int OnRecord(void* ctx, void* data, size_t size);
  void Run();
  void Deliver();
  // Blocks until the ring has data (when `watch_ring`), the eventfd is signalled, or
  // `timeout_ms` (-1: no limit) passes. False on an unexpected poll error.
  bool Wait(bool watch_ring, int timeout_ms);
  // The idle wait's timeout: until the oldest pending request expires, or -1 if none.
  int IdleTimeoutMs() const;

  Sink sink_;
  std::atomic<uint64_t> timeout_ns_;
  Joiner joiner_;                // Reader thread only.
  std::vector<Completed> done_;  // Reader thread only.
  size_t drained_bytes_ = 0;     // Reader thread only: bytes of records in this drain.
  const size_t busy_bytes_;
  RingBufferPtr rb_;
  UniqueFd wake_;  // eventfd: stop, or a new timeout.
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> samples_{0}, unanswered_{0}, bad_{0}, unmatched_{0}, wakeups_{0};
  std::thread thread_;
};

}  // namespace paddock::http_sampler
