#include "event_reader.h"

#include <bpf/libbpf.h>
#include <errno.h>

#include "paddock/errno_status.h"
#include "paddock/log.h"

namespace paddock::http_sampler {
namespace {

// The program wakes the reader only when a batch has built up (HS_WAKEUP_BYTES); below
// that the reader drains every kPollMs. So a sample is delivered within ~kPollMs (plus its
// response timeout when it has no response) at a cost of one wakeup per batch.
constexpr int kPollMs = 10;
constexpr size_t kMaxPending = 65536;

}  // namespace

EventReader::EventReader(Sink sink, uint64_t timeout_ns)
    : sink_(std::move(sink)), timeout_ns_(timeout_ns), joiner_(timeout_ns, kMaxPending) {}

absl::StatusOr<std::unique_ptr<EventReader>> EventReader::Start(int events_fd, Sink sink,
                                                                uint64_t timeout_ns) {
  std::unique_ptr<EventReader> r(new EventReader(std::move(sink), timeout_ns));
  r->rb_ = ring_buffer__new(events_fd, &EventReader::OnRecord, r.get(), nullptr);
  if (r->rb_ == nullptr) return ErrnoStatus(errno, "ring buffer: open");
  r->thread_ = std::thread([p = r.get()] { p->Run(); });
  return r;
}

EventReader::~EventReader() {
  stop_.store(true);
  if (thread_.joinable()) thread_.join();
  if (rb_ != nullptr) ring_buffer__free(rb_);
}

int EventReader::OnRecord(void* ctx, void* data, size_t size) {
  auto* self = static_cast<EventReader*>(ctx);
  absl::StatusOr<Record> rec = DecodeRecord(data, size);
  if (!rec.ok()) {
    self->bad_.fetch_add(1, std::memory_order_relaxed);
    return 0;
  }
  if (const hs_request* req = std::get_if<hs_request>(&*rec)) {
    self->joiner_.AddRequest(*req, &self->done_);
  } else if (!self->joiner_.AddResponse(std::get<hs_response>(*rec), &self->done_)) {
    self->unmatched_.fetch_add(1, std::memory_order_relaxed);
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

void EventReader::Run() {
  while (!stop_.load()) {
    int n = ring_buffer__poll(rb_, kPollMs);
    if (n >= 0 || n == -EINTR) n = ring_buffer__consume(rb_);  // Records that woke no one.
    if (n < 0 && n != -EINTR) {
      paddock::log::Error("ring buffer read failed", {{"errno", std::to_string(-n)}});
      break;
    }
    joiner_.set_timeout_ns(timeout_ns_.load(std::memory_order_relaxed));
    joiner_.Expire(MonotonicNowNs(), &done_);
    Deliver();
  }
  // Whatever is already in the ring, then every request still waiting.
  ring_buffer__consume(rb_);
  joiner_.Flush(&done_);
  Deliver();
}

}  // namespace paddock::http_sampler
