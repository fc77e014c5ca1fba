#include "udp_reader.h"

#include <linux/sock_diag.h>

#include <cerrno>
#include <cstring>

#include "paddock/errno_status.h"

namespace paddock::logagg {

absl::StatusOr<std::unique_ptr<UdpReader>> UdpReader::Create(UniqueFd fd, Ring& ring,
                                                             uint32_t batch) {
  if (batch == 0 || batch > 1024) return absl::InvalidArgumentError("udp: batch not in 1..1024");
  std::unique_ptr<UdpReader> r(new UdpReader());
  r->fd_ = std::move(fd);
  r->ring_ = &ring;
  r->batch_ = batch;
  // A datagram carries at most 65535 bytes; what does not fit its slot goes here.
  r->overflow_stride_ =
      ring.slot_bytes() < 65536 ? ((65536 - ring.slot_bytes() + 4095) & ~4095u) : 4096;
  auto m = Mapping::Create(r->overflow_stride_ * batch);
  if (!m.ok()) return m.status();
  r->overflow_ = std::move(*m);
  r->msgs_.resize(batch);
  r->iovs_.resize(2 * batch);
  r->PollDrops();
  return r;
}

int UdpReader::Receive(uint32_t n) {
  const uint32_t slot = ring_->slot_bytes();
  for (uint32_t m = 0; m < n; ++m) {
    iovec* v = &iovs_[2 * m];
    v[0].iov_base = ring_->SlotLine(m);
    v[0].iov_len = slot;
    v[1].iov_base = overflow_.data() + static_cast<size_t>(m) * overflow_stride_;
    v[1].iov_len = overflow_stride_;
    msghdr& h = msgs_[m].msg_hdr;
    h.msg_name = nullptr;
    h.msg_namelen = 0;
    h.msg_iov = v;
    h.msg_iovlen = 2;
    h.msg_control = nullptr;
    h.msg_controllen = 0;
    h.msg_flags = 0;
    msgs_[m].msg_len = 0;
  }
  int k;
  do {
    k = recvmmsg(fd_.get(), msgs_.data(), n, MSG_DONTWAIT, nullptr);
  } while (k < 0 && errno == EINTR);
  if (k < 0) return (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -errno;
  return k;
}

}  // namespace paddock::logagg

namespace paddock::logagg {

void UdpReader::PollDrops() {
  uint32_t mem[SK_MEMINFO_VARS] = {};
  socklen_t len = sizeof(mem);
  if (getsockopt(fd_.get(), SOL_SOCKET, SO_MEMINFO, mem, &len) == 0 &&
      len > SK_MEMINFO_DROPS * sizeof(uint32_t) && mem[SK_MEMINFO_DROPS] > drops_) {
    drops_ = mem[SK_MEMINFO_DROPS];
  }
}

}  // namespace paddock::logagg
