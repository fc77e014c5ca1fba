// The receiver thread: one epoll loop over the UDP socket, the TCP listening socket and the
// TCP connections, feeding the ring. UDP is read in recvmmsg batches; after a short batch
// it waits so the next batch is fuller (less CPU per line at any rate, a little latency):
// coalesce_us, longer when the batch was very short (NextCoalesceUs, at most 8 ms). When the ring
// is full it stops reading: UDP then queues in the kernel (drops there are counted from the
// socket's drop counter), TCP senders are pushed back. After each batch it hands the ring
// to SegmentWriter::Pump, which copies the batch into an O_DIRECT segment's staging buffer
// while the lines are still in this thread's cache, and writes it once flush_bytes wait.
//
// Thread-safety: the public methods may be called from any one control thread.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "instance_state.h"
#include "paddock/config.h"
#include "paddock/fd.h"
#include "record_builder.h"
#include "ring.h"
#include "segment_writer.h"
#include "settings.h"
#include "stats.h"
#include "tcp_server.h"
#include "udp_reader.h"

namespace paddock::logagg {

class Ingest {
 public:
  // `udp` / `tcp` (either may be invalid) are the host's sockets. The rest is not owned
  // and must outlive the Ingest; `state` may be null (tests).
  static absl::StatusOr<std::unique_ptr<Ingest>> Create(UniqueFd udp, UniqueFd tcp, Ring& ring,
                                                        SegmentWriter& writer, Stats& stats,
                                                        InstanceState* state,
                                                        const AtomicSnapshot<Settings>& settings);
  ~Ingest();  // Stop()s.

  void Start();
  // Stops reading UDP and accepting TCP (existing connections are still read), so a next
  // generation gets all new traffic. Returns once the receiver thread has done so (or 2 s).
  void StopIntake();
  // Ends the thread after reading what open TCP connections already delivered. Idempotent.
  void Stop();

  // "ip:port" of the sockets ("" when absent).
  const std::string& udp_address() const { return udp_address_; }
  const std::string& tcp_address() const { return tcp_address_; }
  // Sequence number of the last record committed (any thread).
  uint64_t last_sequence() const { return last_seq_.load(std::memory_order_acquire); }

 private:
  Ingest(Ring& ring, SegmentWriter& writer, Stats& stats, InstanceState* state,
         const AtomicSnapshot<Settings>& settings, uint32_t max_message_bytes);
  void Run();
  // Reads UDP batches; returns true when there may be more to read right away.
  bool DrainUdp(const Settings& s);
  // Called after anything was published since `before` (PublishedTotal()).
  void AfterPublish(uint64_t before, const Settings& s);
  // Waits for the writer to free ring space; false when stopping.
  bool WaitForRoom();
  void HandleControl();

  Ring& ring_;
  SegmentWriter& writer_;
  Stats& stats_;
  InstanceState* state_;
  const AtomicSnapshot<Settings>& settings_;
  RecordBuilder builder_;
  UniqueFd epoll_, control_;
  std::unique_ptr<UdpReader> udp_;
  std::unique_ptr<TcpServer> tcp_;
  std::string udp_address_, tcp_address_;
  uint64_t unflushed_bytes_ = 0;      // Receiver thread only.
  uint64_t last_received_bytes_ = 0;  // Receiver thread only.
  bool udp_active_ = false;           // Receiver thread only.
  bool in_overflow_ = false;          // Receiver thread only.
  // The coalescing sleep just before the next UDP read (0: none, e.g. it follows epoll or
  // a full batch). Receiver thread only.
  uint32_t last_wait_us_ = 0;
  bool closing_ = false;  // Receiver thread only.
  std::atomic<uint64_t> last_seq_{0};

  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  bool intake_stop_requested_ = false;  // Guarded by mu_.
  bool intake_stopped_ = false;         // Guarded by mu_.
  std::thread thread_;
};

// "ip:port" a socket is bound to ("" on error).
std::string SocketAddress(int fd);

}  // namespace paddock::logagg
