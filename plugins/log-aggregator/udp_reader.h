// Batched UDP receive with recvmmsg straight into ring slots. Each datagram gets two
// buffers: its ring slot, and an overflow area only a datagram longer than a slot reaches
// (such a datagram is then joined into the large ring: its one extra copy).
//
// Kernel drops: the socket's drop counter (sk_drops) is read with getsockopt(SO_MEMINFO)
// after every burst and once a second, not with SO_RXQ_OVFL. SO_RXQ_OVFL delivers the same
// counter as a control message with every datagram, which cost ~5% of the receiver's CPU
// per line in a profile (put_cmsg per datagram), and it cannot report drops that happen
// after the last datagram delivered.
//
// Not thread-safe: the receiver thread owns it.
#pragma once

#include <sys/socket.h>
#include <sys/uio.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "paddock/fd.h"
#include "record.h"
#include "record_builder.h"
#include "ring.h"

namespace paddock::logagg {

class UdpReader {
 public:
  // `fd` is a bound UDP socket (the host's; the same open file may be shared with another
  // generation, so the reader never changes its file status flags and reads with
  // MSG_DONTWAIT). `batch` datagrams per recvmmsg (1..1024).
  static absl::StatusOr<std::unique_ptr<UdpReader>> Create(UniqueFd fd, Ring& ring, uint32_t batch);

  int fd() const { return fd_.get(); }

  // Reads up to min(batch, ring free slots) datagrams without blocking and commits them with
  // `builder`, publishing them. Returns the number read (0 when the socket is empty), or a
  // negative errno. `stop` is polled when the large ring is full (then this waits for the
  // writer via `wait_for_room`, which must return false to give up).
  template <typename WaitForRoom>
  int ReadBatch(RecordBuilder& builder, WaitForRoom&& wait_for_room);

  // Datagrams the kernel dropped on this socket since it was created (as of PollDrops).
  uint64_t kernel_drops() const { return drops_; }
  // Reads the socket's drop counter (SO_MEMINFO, SK_MEMINFO_DROPS). One syscall.
  void PollDrops();

 private:
  UdpReader() = default;
  int Receive(uint32_t n);

  UniqueFd fd_;
  Ring* ring_ = nullptr;
  uint32_t batch_ = 0;
  Mapping overflow_;
  size_t overflow_stride_ = 0;
  std::vector<mmsghdr> msgs_;
  std::vector<iovec> iovs_;
  uint64_t drops_ = 0;
};

template <typename WaitForRoom>
int UdpReader::ReadBatch(RecordBuilder& builder, WaitForRoom&& wait_for_room) {
  uint32_t free = ring_->FreeSlots();
  uint32_t want = free < batch_ ? free : batch_;
  if (want == 0) return 0;
  int k = Receive(want);
  if (k <= 0) return k;
  uint32_t published = 0;  // Messages [0, published) are already visible to the writer.
  const uint32_t slot = ring_->slot_bytes();
  for (uint32_t m = 0; m < static_cast<uint32_t>(k); ++m) {
    uint32_t len = msgs_[m].msg_len;
    uint8_t flags = (msgs_[m].msg_hdr.msg_flags & MSG_TRUNC) ? kFlagTruncated : 0;
    uint32_t rel = m - published;
    if (len <= slot) {
      builder.CommitInSlot(rel, len, flags);
      continue;
    }
    const char* over = overflow_.data() + static_cast<size_t>(m) * overflow_stride_;
    while (!builder.CommitCopy(rel, ring_->SlotLine(rel), slot, over, len - slot, flags)) {
      // The large ring is full: let the writer drain what is done, then retry.
      ring_->Publish(rel);
      published = m;
      rel = 0;
      if (!wait_for_room()) {
        // Giving up (stopping): the rest of this batch is dropped, unpublished.
        return static_cast<int>(m);
      }
    }
  }
  ring_->Publish(static_cast<uint32_t>(k) - published);
  return k;
}

}  // namespace paddock::logagg
