#include "event_reader.h"

#include <bpf/libbpf.h>
#include <errno.h>
#include <poll.h>
#include <sys/eventfd.h>

#include <algorithm>
#include <climits>

#include "paddock/errno_status.h"
#include "paddock/log.h"

namespace paddock::http_sampler {
namespace {

constexpr size_t kMaxPending = 65536;

}  // namespace

EventReader::EventReader(Sink sink, uint64_t timeout_ns, size_t busy_bytes)
    : sink_(std::move(sink)),
      timeout_ns_(timeout_ns),
      joiner_(timeout_ns, kMaxPending),
      busy_bytes_(busy_bytes) {}

absl::StatusOr<std::unique_ptr<EventReader>> EventReader::Start(const std::vector<int>& ring_fds,
                                                                size_t ring_bytes, Sink sink,
                                                                uint64_t timeout_ns) {
  std::unique_ptr<EventReader> r(
      new EventReader(std::move(sink), timeout_ns, std::min(kBusyBytes, ring_bytes / 4)));
  r->wake_.Reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!r->wake_.valid()) return ErrnoStatus(errno, "ring buffer reader: eventfd");
  absl::StatusOr<RingBufferPtr> rb = OpenRings(ring_fds, &EventReader::OnRecord, r.get());
  if (!rb.ok()) return rb.status();
  r->rb_ = std::move(*rb);
  r->thread_ = std::thread([p = r.get()] { p->Run(); });
  return r;
}

EventReader::~EventReader() {
  stop_.store(true);
  uint64_t one = 1;
  if (wake_.valid()) (void)::write(wake_.get(), &one, sizeof(one));
  if (thread_.joinable()) thread_.join();
}

void EventReader::set_timeout_ns(uint64_t ns) {
  timeout_ns_.store(ns, std::memory_order_relaxed);
  uint64_t one = 1;
  (void)::write(wake_.get(), &one, sizeof(one));
}

int EventReader::OnRecord(void* ctx, void* data, size_t size) {
  auto* self = static_cast<EventReader*>(ctx);
  self->drained_bytes_ += size;
  // Checked in place and read through the ring's own memory (libbpf hands out records at
  // 8-aligned addresses): no copy but the one into the joiner.
  uint8_t kind = CheckRecord(data, size);
  if (kind == 0 || reinterpret_cast<uintptr_t>(data) % alignof(hs_request) != 0) {
    self->bad_.fetch_add(1, std::memory_order_relaxed);
    return 0;
  }
  if (kind == HS_KIND_REQUEST) {
    self->joiner_.AddRequest(*static_cast<const hs_request*>(data),
                             static_cast<const char*>(data) + sizeof(hs_request), &self->done_);
  } else {
    // Unmatched ones are held for their request (another CPU's ring may hold it) and
    // counted by the joiner once given up.
    (void)self->joiner_.AddResponse(*static_cast<const hs_response*>(data), &self->done_);
  }
  return 0;
}

void EventReader::Deliver() {
  if (done_.empty()) return;
  uint64_t unanswered = 0;
  for (const Completed& c : done_) unanswered += c.status == 0 ? 1 : 0;
  unanswered_.fetch_add(unanswered, std::memory_order_relaxed);
  samples_.fetch_add(done_.size(), std::memory_order_relaxed);
  sink_(done_);
  done_.clear();
}

int EventReader::IdleTimeoutMs() const {
  uint64_t deadline = joiner_.NextExpiryNs();
  if (deadline == 0) return -1;
  uint64_t now = MonotonicNowNs();
  if (deadline <= now) return 0;
  uint64_t ms = (deadline - now + 999999) / 1000000;  // Rounded up: never early.
  return ms > INT_MAX ? INT_MAX : static_cast<int>(ms);
}

bool EventReader::Wait(bool watch_ring, int timeout_ms) {
  // The eventfd first, so the batch wait watches it alone.
  pollfd fds[2] = {{wake_.get(), POLLIN, 0}, {ring_buffer__epoll_fd(rb_.get()), POLLIN, 0}};
  int n = ::poll(fds, watch_ring ? 2 : 1, timeout_ms);
  if (n < 0 && errno != EINTR) {
    paddock::log::Error("ring buffer wait failed", {{"errno", std::to_string(errno)}});
    return false;
  }
  if (n > 0 && (fds[0].revents & POLLIN) != 0) {
    uint64_t count;
    (void)::read(wake_.get(), &count, sizeof(count));
  }
  return true;
}

int EventReader::BatchWaitMs(size_t bytes, uint64_t elapsed_ns, size_t busy_bytes) {
  busy_bytes = std::clamp<size_t>(busy_bytes, 1, kBusyBytes);
  if (bytes >= busy_bytes) return 0;
  if (bytes == 0) return kMaxBatchMs;
  // Capped first so the product stays below 2^64 (1e12 * 2^20 < 2^60).
  elapsed_ns = std::min<uint64_t>(elapsed_ns, 1000000000000ull);
  uint64_t fill_ms = elapsed_ns * busy_bytes / bytes / 1000000;
  return static_cast<int>(std::clamp<uint64_t>(fill_ms, 1, kMaxBatchMs));
}

void EventReader::Run() {
  // After a drain that found records: how long to let the next batch build up (-1: the
  // last drain found nothing, wait for the ring).
  int batch_ms = -1;
  uint64_t last_drain_ns = MonotonicNowNs();
  while (!stop_.load()) {
    if (batch_ms < 0) {
      if (!Wait(true, IdleTimeoutMs())) break;
    } else if (batch_ms > 0) {
      if (!Wait(false, batch_ms)) break;
    }
    if (stop_.load()) break;
    wakeups_.fetch_add(1, std::memory_order_relaxed);
    drained_bytes_ = 0;
    uint64_t now = MonotonicNowNs();
    int n = ring_buffer__consume(rb_.get());
    if (n < 0) {
      paddock::log::Error("ring buffer read failed", {{"errno", std::to_string(-n)}});
      break;
    }
    if (n == 0) {
      batch_ms = -1;
    } else {
      batch_ms = batch_ms < 0 ? kFirstBatchMs
                              : BatchWaitMs(drained_bytes_, now - last_drain_ns, busy_bytes_);
    }
    last_drain_ns = now;
    joiner_.set_timeout_ns(timeout_ns_.load(std::memory_order_relaxed));
    joiner_.Expire(MonotonicNowNs(), &done_);
    unmatched_.store(joiner_.unmatched(), std::memory_order_relaxed);
    Deliver();
  }
  // Whatever is already in the rings, then every request still waiting.
  ring_buffer__consume(rb_.get());
  joiner_.Flush(&done_);
  unmatched_.store(joiner_.unmatched(), std::memory_order_relaxed);
  Deliver();
}

}  // namespace paddock::http_sampler
