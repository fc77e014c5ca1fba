#include "tcp_server.h"

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <limits>
#include <vector>

#include "record.h"

namespace paddock::logagg {
namespace {

constexpr size_t kScratch = 64 << 10;
constexpr int kReadsPerTurn = 4;  // Fairness between connections.

}  // namespace

TcpServer::TcpServer(UniqueFd listen_fd, int epoll_fd, Ring& ring, Stats& stats,
                     uint32_t max_message_bytes)
    : listen_(std::move(listen_fd)),
      epoll_fd_(epoll_fd),
      max_message_bytes_(max_message_bytes),
      ring_(ring),
      stats_(stats),
      scratch_(new char[kScratch]) {
  int fl = fcntl(listen_.get(), F_GETFL);
  if (fl >= 0) fcntl(listen_.get(), F_SETFL, fl | O_NONBLOCK);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = listen_.get();
  epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, listen_.get(), &ev);
}

TcpServer::~TcpServer() {
  for (auto& [fd, c] : conns_) epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
  if (accepting_) epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, listen_.get(), nullptr);
  stats_.tcp_connections.store(0, std::memory_order_relaxed);
}

void TcpServer::UpdateGauge() {
  stats_.tcp_connections.store(static_cast<uint32_t>(conns_.size()), std::memory_order_relaxed);
}

void TcpServer::Close(int fd) {
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
  conns_.erase(fd);  // Closes it.
}

bool TcpServer::ShedIdlest() {
  int victim = -1;
  int64_t oldest = std::numeric_limits<int64_t>::max();
  for (const auto& [fd, c] : conns_) {
    if (c->last_active_ns < oldest) {
      oldest = c->last_active_ns;
      victim = fd;
    }
  }
  if (victim < 0) return false;
  Close(victim);
  Add(stats_.tcp_shed, 1);
  return true;
}

void TcpServer::Accept(uint32_t max_conns, int64_t now_ns) {
  if (!accepting_ || listen_paused_) return;
  for (int i = 0; i < 64; ++i) {
    int fd = accept4(listen_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if ((errno == EMFILE || errno == ENFILE) && ShedIdlest()) continue;
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        // Nothing to shed (descriptors are held by queries): pause until the next sweep
        // instead of spinning on a listening socket that stays readable.
        epoll_event ev{};
        ev.data.fd = listen_.get();
        epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, listen_.get(), &ev);
        listen_paused_ = true;
      }
      break;
    }
    UniqueFd owned(fd);
    while (conns_.size() >= max_conns && ShedIdlest()) {
    }
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) continue;  // Closed by `owned`.
    auto c = std::make_unique<Conn>(std::move(owned), max_message_bytes_);
    c->last_active_ns = now_ns;
    conns_[fd] = std::move(c);
    Add(stats_.tcp_accepted, 1);
  }
  UpdateGauge();
}

bool TcpServer::CommitOne(const TcpFramer::Frame& f, RecordBuilder& b) {
  if (ring_.FreeSlots() == 0) return false;
  uint8_t flags = kFlagTcp | (f.truncated ? kFlagTruncated : 0);
  if (!b.CommitCopy(0, f.data, f.len, nullptr, 0, flags)) return false;
  ring_.Publish(1);
  return true;
}

size_t TcpServer::Frame(Conn& c, const char* data, size_t n, RecordBuilder& b, bool* error,
                        bool* full) {
  return c.framer.Feed(
      data, n,
      [&](const TcpFramer::Frame& f) {
        if (CommitOne(f, b)) return true;
        *full = true;
        return false;
      },
      error);
}

TcpServer::Outcome TcpServer::Drain(Conn& c, RecordBuilder& b, const WaitForRoom& wait_for_room,
                                    bool final) {
  const int fd = c.fd.get();
  int reads = 0;
  for (;;) {
    bool error = false, full = false;
    if (!c.pending.empty()) {
      size_t used = Frame(c, c.pending.data(), c.pending.size(), b, &error, &full);
      c.pending.erase(0, used);
      if (error) {
        Add(stats_.tcp_framing_errors, 1);
        Close(fd);
        return Outcome::kClosed;
      }
      if (full) {
        if (!wait_for_room()) return Outcome::kOpen;
        continue;
      }
    }
    if (reads >= (final ? 16 * kReadsPerTurn : kReadsPerTurn)) return Outcome::kOpen;
    ssize_t r = read(fd, scratch_.get(), kScratch);
    if (r < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return Outcome::kOpen;
      Close(fd);
      return Outcome::kClosed;
    }
    if (r == 0) {  // End of stream: a last line without its LF still counts.
      TcpFramer::Frame f;
      if (c.framer.Finish(c.pending.data(), c.pending.size(), &f)) {
        while (!CommitOne(f, b) && wait_for_room()) {
        }
      }
      Close(fd);
      return Outcome::kClosed;
    }
    ++reads;
    size_t n = static_cast<size_t>(r);
    size_t used;
    if (c.pending.empty()) {
      used = Frame(c, scratch_.get(), n, b, &error, &full);
      c.pending.assign(scratch_.get() + used, n - used);
    } else {
      c.pending.append(scratch_.get(), n);
      used = Frame(c, c.pending.data(), c.pending.size(), b, &error, &full);
      c.pending.erase(0, used);
    }
    if (error) {
      Add(stats_.tcp_framing_errors, 1);
      Close(fd);
      return Outcome::kClosed;
    }
    if (full && !wait_for_room()) return Outcome::kOpen;
  }
}

bool TcpServer::Read(int fd, RecordBuilder& builder, int64_t now_ns,
                     const WaitForRoom& wait_for_room) {
  auto it = conns_.find(fd);
  if (it == conns_.end()) return false;
  it->second->last_active_ns = now_ns;
  Drain(*it->second, builder, wait_for_room, false);
  UpdateGauge();
  return true;
}

void TcpServer::Sweep(uint32_t max_conns, int64_t idle_ns, int64_t now_ns) {
  std::vector<int> idle;
  for (const auto& [fd, c] : conns_) {
    if (now_ns - c->last_active_ns >= idle_ns) idle.push_back(fd);
  }
  for (int fd : idle) Close(fd);
  Add(stats_.tcp_idle_closed, idle.size());
  while (conns_.size() > max_conns && ShedIdlest()) {
  }
  if (listen_paused_ && accepting_) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = listen_.get();
    epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, listen_.get(), &ev);
    listen_paused_ = false;
  }
  UpdateGauge();
}

void TcpServer::StopAccepting() {
  if (!accepting_) return;
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, listen_.get(), nullptr);
  accepting_ = false;
}

void TcpServer::CloseAll(RecordBuilder& builder, const WaitForRoom& wait_for_room) {
  std::vector<int> fds;
  for (const auto& [fd, c] : conns_) fds.push_back(fd);
  for (int fd : fds) {
    auto it = conns_.find(fd);
    if (it == conns_.end()) continue;
    if (Drain(*it->second, builder, wait_for_room, true) == Outcome::kOpen) Close(fd);
  }
  UpdateGauge();
}

}  // namespace paddock::logagg
