#include "ingest.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>

#include "absl/strings/str_cat.h"
#include "coalesce.h"
#include "paddock/errno_status.h"
#include "paddock/log.h"

namespace paddock::logagg {
namespace {

constexpr int64_t kSweepNs = 1'000'000'000;
constexpr int kUdpTurns = 16;  // Batches per loop turn before TCP gets a look,
// or this much coalescing sleep, whichever comes first (TCP and control wait at most this).
constexpr uint32_t kMaxCoalescedUs = 8000;

void SleepUs(uint32_t us) {
  timespec ts{static_cast<time_t>(us / 1000000), static_cast<long>(us % 1000000) * 1000};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

}  // namespace

std::string SocketAddress(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof(ss);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return "";
  char buf[INET6_ADDRSTRLEN] = {};
  if (ss.ss_family == AF_INET) {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    inet_ntop(AF_INET, &a->sin_addr, buf, sizeof(buf));
    return absl::StrCat(buf, ":", ntohs(a->sin_port));
  }
  if (ss.ss_family == AF_INET6) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    inet_ntop(AF_INET6, &a->sin6_addr, buf, sizeof(buf));
    return absl::StrCat("[", buf, "]:", ntohs(a->sin6_port));
  }
  return "";
}

Ingest::Ingest(Ring& ring, SegmentWriter& writer, Stats& stats, InstanceState* state,
               const AtomicSnapshot<Settings>& settings, uint32_t max_message_bytes)
    : ring_(ring),
      writer_(writer),
      stats_(stats),
      state_(state),
      settings_(settings),
      builder_(ring, stats, max_message_bytes) {}

absl::StatusOr<std::unique_ptr<Ingest>> Ingest::Create(UniqueFd udp, UniqueFd tcp, Ring& ring,
                                                       SegmentWriter& writer, Stats& stats,
                                                       InstanceState* state,
                                                       const AtomicSnapshot<Settings>& settings) {
  std::shared_ptr<const Settings> s = settings.Load();
  std::unique_ptr<Ingest> in(
      new Ingest(ring, writer, stats, state, settings, s->max_message_bytes));
  in->epoll_.Reset(epoll_create1(EPOLL_CLOEXEC));
  if (!in->epoll_) return ErrnoStatus(errno, "epoll_create1");
  in->control_.Reset(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!in->control_) return ErrnoStatus(errno, "eventfd");
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = in->control_.get();
  if (epoll_ctl(in->epoll_.get(), EPOLL_CTL_ADD, in->control_.get(), &ev) != 0) {
    return ErrnoStatus(errno, "epoll_ctl");
  }
  if (udp) {
    in->udp_address_ = SocketAddress(udp.get());
    auto r = UdpReader::Create(std::move(udp), ring, s->recv_batch);
    if (!r.ok()) return r.status();
    in->udp_ = std::move(*r);
    ev.data.fd = in->udp_->fd();
    if (epoll_ctl(in->epoll_.get(), EPOLL_CTL_ADD, in->udp_->fd(), &ev) != 0) {
      return ErrnoStatus(errno, "epoll_ctl udp");
    }
    in->udp_active_ = true;
  }
  if (tcp) {
    in->tcp_address_ = SocketAddress(tcp.get());
    in->tcp_ = std::make_unique<TcpServer>(std::move(tcp), in->epoll_.get(), ring, stats,
                                           s->max_message_bytes);
  }
  return in;
}

Ingest::~Ingest() { Stop(); }

void Ingest::Start() {
  thread_ = std::thread([this] {
    prctl(PR_SET_NAME, "logagg-recv");  // Shows in /proc/PID/task/*/comm and perf.
    Run();
  });
}

void Ingest::StopIntake() {
  std::unique_lock<std::mutex> l(mu_);
  if (!thread_.joinable()) {
    intake_stopped_ = true;
    return;
  }
  intake_stop_requested_ = true;
  uint64_t one = 1;
  (void)!write(control_.get(), &one, sizeof(one));
  cv_.wait_for(l, std::chrono::seconds(2), [&] { return intake_stopped_; });
}

void Ingest::Stop() {
  stop_.store(true, std::memory_order_release);
  uint64_t one = 1;
  if (control_) (void)!write(control_.get(), &one, sizeof(one));
  if (thread_.joinable()) thread_.join();
}

void Ingest::HandleControl() {
  uint64_t v;
  (void)!read(control_.get(), &v, sizeof(v));
  std::lock_guard<std::mutex> l(mu_);
  if (intake_stop_requested_ && !intake_stopped_) {
    if (udp_) epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, udp_->fd(), nullptr);
    udp_active_ = false;
    if (tcp_) tcp_->StopAccepting();
    intake_stopped_ = true;
    cv_.notify_all();
  }
}

bool Ingest::WaitForRoom() {
  if (!in_overflow_) {
    in_overflow_ = true;
    Add(stats_.ring_overflows, 1);
  }
  writer_.Wake(true);
  const uint32_t want = ring_.slots() / 4;
  for (int i = 0; i < 20; ++i) {  // Up to ~10 ms, then the loop looks around again.
    if (stop_.load(std::memory_order_acquire) && !closing_) return false;
    SleepUs(500);
    if (ring_.FreeSlots() >= want) return true;
  }
  return ring_.FreeSlots() > 0;
}

void Ingest::AfterPublish(uint64_t before, const Settings& s) {
  builder_.FlushCounters();
  uint64_t published = ring_.PublishedTotal();
  if (published == before) return;
  uint64_t seq = builder_.next_sequence() - 1;
  last_seq_.store(seq, std::memory_order_release);
  if (state_ != nullptr) state_->SetReceived(seq);
  uint64_t rb = Get(stats_.received_bytes);
  unflushed_bytes_ += rb - last_received_bytes_;
  last_received_bytes_ = rb;
  in_overflow_ = false;
  const bool was_empty = ring_.ReleasedTotal() >= before;
  // With an O_DIRECT segment the batch is staged and written from here, while its lines
  // are in this CPU's cache; otherwise (or while the writer thread is busy) the writer
  // thread writes it once flush_bytes are waiting.
  const bool pumped = writer_.Pump();
  const bool filling = ring_.FreeSlots() < ring_.slots() / 2;
  if (pumped) unflushed_bytes_ = 0;
  if (unflushed_bytes_ >= s.flush_bytes || filling) {
    unflushed_bytes_ = 0;
    writer_.Wake(true);
  } else if (was_empty) {
    // The writer had nothing before this: it sets its flush clock.
    writer_.Wake(false);
  }
}

bool Ingest::DrainUdp(const Settings& s) {
  auto wait = [this] { return WaitForRoom(); };
  uint32_t slept_us = 0;
  for (int turn = 0; turn < kUdpTurns && slept_us < kMaxCoalescedUs; ++turn) {
    if (stop_.load(std::memory_order_acquire)) return false;
    uint32_t free = ring_.FreeSlots();
    if (free == 0) {
      if (!WaitForRoom()) return true;
      continue;
    }
    if (free < s.recv_batch) writer_.Wake(true);
    builder_.BeginBatch(RealtimeNs());
    uint64_t before = ring_.PublishedTotal();
    int k = udp_->ReadBatch(builder_, wait);
    AfterPublish(before, s);
    const uint32_t waited = last_wait_us_;
    last_wait_us_ = 0;
    if (k < 0) {
      log::Warn("recvmmsg failed", {{"errno", std::to_string(-k)}});
      return false;
    }
    if (k == 0) return false;
    const uint32_t got = static_cast<uint32_t>(k);
    if (got < s.recv_batch) {
      if (s.coalesce_us <= 1) return false;
      // After a sleep the batch tells the arrival rate: wait about as long as one batch
      // takes to arrive (fewer wake-ups at low rates). After epoll (the first datagrams of
      // a burst) the rate is unknown: the configured wait.
      uint32_t pause_us =
          waited == 0 ? s.coalesce_us
                      : NextCoalesceUs(waited, got, s.recv_batch, s.coalesce_us, kMaxCoalescedUs);
      SleepUs(pause_us);
      slept_us += pause_us;
      last_wait_us_ = pause_us;
    }
  }
  return true;
}

void Ingest::Run() {
  epoll_event events[64];
  int64_t next_sweep = MonotonicNs() + kSweepNs;
  bool udp_more = false;
  int64_t next_drop_poll = 0;
  auto wait = [this] { return WaitForRoom(); };
  while (!stop_.load(std::memory_order_acquire)) {
    std::shared_ptr<const Settings> s = settings_.Load();
    int64_t now = MonotonicNs();
    int timeout = udp_more ? 0 : static_cast<int>(std::max<int64_t>(0, next_sweep - now) / 1000000);
    int n = epoll_wait(epoll_.get(), events, 64, timeout);
    if (n < 0 && errno != EINTR) {
      log::Error("epoll_wait failed", {{"errno", std::to_string(errno)}});
      break;
    }
    now = MonotonicNs();
    for (int i = 0; i < n; ++i) {
      int fd = events[i].data.fd;
      if (fd == control_.get()) {
        HandleControl();
      } else if (udp_ && fd == udp_->fd()) {
        udp_more = true;
      } else if (tcp_ && fd == tcp_->listen_fd()) {
        tcp_->Accept(s->max_tcp_connections, now);
      } else if (tcp_) {
        builder_.BeginBatch(RealtimeNs());
        uint64_t before = ring_.PublishedTotal();
        tcp_->Read(fd, builder_, now, wait);
        AfterPublish(before, *s);
      }
    }
    if (udp_more) {
      udp_more = udp_active_ && DrainUdp(*s);
      if (!udp_more && now >= next_drop_poll) {  // Queue empty: read the drop counter.
        next_drop_poll = now + 10'000'000;
        udp_->PollDrops();
        stats_.kernel_drops.store(udp_->kernel_drops(), std::memory_order_relaxed);
      }
    }
    if (now >= next_sweep) {
      if (tcp_) tcp_->Sweep(s->max_tcp_connections, s->tcp_idle_timeout_ns, now);
      if (udp_) {
        udp_->PollDrops();
        stats_.kernel_drops.store(udp_->kernel_drops(), std::memory_order_relaxed);
      }
      next_sweep = now + kSweepNs;
    }
  }
  // Stopping: keep what the TCP peers already delivered.
  if (tcp_) {
    std::shared_ptr<const Settings> s = settings_.Load();
    builder_.BeginBatch(RealtimeNs());
    uint64_t before = ring_.PublishedTotal();
    closing_ = true;  // WaitForRoom now waits for the writer even though stop_ is set.
    tcp_->CloseAll(builder_, wait);
    AfterPublish(before, *s);
  }
  {
    std::lock_guard<std::mutex> l(mu_);
    intake_stopped_ = true;
    cv_.notify_all();
  }
}

}  // namespace paddock::logagg
