#include "udp_io.h"

#include <errno.h>
#include <sys/uio.h>

#include <cstring>

#include "paddock/errno_status.h"

namespace paddock::gcounter {

absl::StatusOr<int> SocketFamily(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof(ss);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) {
    return ErrnoStatus(errno, "getsockname of the gossip socket");
  }
  if (ss.ss_family != AF_INET && ss.ss_family != AF_INET6) {
    return absl::FailedPreconditionError("the gossip socket is not an IPv4/IPv6 socket");
  }
  return static_cast<int>(ss.ss_family);
}

size_t SendDatagrams(int fd, int family, const std::vector<Datagram>& datagrams) {
  constexpr size_t kBatch = 64;
  size_t dropped = 0;
  sockaddr_storage addrs[kBatch];
  iovec iovs[kBatch];
  mmsghdr msgs[kBatch];
  for (size_t base = 0; base < datagrams.size(); base += kBatch) {
    size_t n = 0;
    for (size_t i = base; i < datagrams.size() && n < kBatch; ++i) {
      socklen_t len = datagrams[i].to.ToSockaddr(family, &addrs[n]);
      if (len == 0) {
        ++dropped;  // An IPv6 peer on an IPv4 socket.
        continue;
      }
      iovs[n].iov_base = const_cast<char*>(datagrams[i].bytes.data());
      iovs[n].iov_len = datagrams[i].bytes.size();
      std::memset(&msgs[n], 0, sizeof(msgs[n]));
      msgs[n].msg_hdr.msg_name = &addrs[n];
      msgs[n].msg_hdr.msg_namelen = len;
      msgs[n].msg_hdr.msg_iov = &iovs[n];
      msgs[n].msg_hdr.msg_iovlen = 1;
      ++n;
    }
    size_t done = 0;
    while (done < n) {
      int rc = sendmmsg(fd, msgs + done, static_cast<unsigned>(n - done), MSG_DONTWAIT);
      if (rc > 0) {
        done += static_cast<size_t>(rc);
        continue;
      }
      if (rc < 0 && errno == EINTR) continue;
      // The first message failed (EAGAIN, ENOBUFS, ECONNREFUSED from an earlier ICMP, ...):
      // drop it and go on with the rest.
      ++dropped;
      ++done;
    }
  }
  return dropped;
}

UdpReceiver::UdpReceiver(size_t max_bytes, size_t batch)
    : max_bytes_(max_bytes),
      batch_(batch),
      buffer_((max_bytes + 1) * batch),
      addrs_(batch),
      iovs_(batch),
      msgs_(batch) {}

absl::StatusOr<size_t> UdpReceiver::Receive(int fd,
                                            const std::function<void(const Datagram&)>& fn) {
  for (size_t i = 0; i < batch_; ++i) {
    iovs_[i].iov_base = buffer_.data() + i * (max_bytes_ + 1);
    iovs_[i].iov_len = max_bytes_ + 1;
    std::memset(&msgs_[i], 0, sizeof(msgs_[i]));
    msgs_[i].msg_hdr.msg_name = &addrs_[i];
    msgs_[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
    msgs_[i].msg_hdr.msg_iov = &iovs_[i];
    msgs_[i].msg_hdr.msg_iovlen = 1;
  }
  int rc;
  do {
    // MSG_TRUNC: msg_len is the datagram's real length even when it did not fit.
    rc = recvmmsg(fd, msgs_.data(), static_cast<unsigned>(batch_), MSG_DONTWAIT | MSG_TRUNC,
                  nullptr);
  } while (rc < 0 && errno == EINTR);
  if (rc < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
    // ICMP errors from earlier sends surface here on some kernels; they are not fatal.
    if (errno == ECONNREFUSED || errno == EHOSTUNREACH || errno == ENETUNREACH) return 0;
    return ErrnoStatus(errno, "recvmmsg");
  }
  for (int i = 0; i < rc; ++i) {
    absl::StatusOr<PeerAddr> from = PeerAddr::FromSockaddr(reinterpret_cast<sockaddr*>(&addrs_[i]),
                                                           msgs_[i].msg_hdr.msg_namelen);
    if (!from.ok()) continue;
    Datagram d;
    d.from = *from;
    d.length = msgs_[i].msg_len;
    d.oversized = d.length > max_bytes_ || (msgs_[i].msg_hdr.msg_flags & MSG_TRUNC);
    d.bytes = std::string_view(static_cast<const char*>(iovs_[i].iov_base),
                               std::min(d.length, max_bytes_));
    fn(d);
  }
  return static_cast<size_t>(rc);
}

}  // namespace paddock::gcounter
