// Batched UDP I/O for the engine's datagrams: sendmmsg(2) out, recvmmsg(2) in, with
// oversized datagrams detected (MSG_TRUNC) rather than silently cut.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "peer_addr.h"
#include "replica.h"

namespace paddock::gcounter {

// The address family of a socket (getsockname); an error for non-IP sockets.
absl::StatusOr<int> SocketFamily(int fd);

// Sends every datagram on `fd` (of family `family`), non-blocking. Datagrams the kernel
// refuses (full buffers, unreachable peers) are dropped, as a network would; returns how
// many were dropped.
size_t SendDatagrams(int fd, int family, const std::vector<Datagram>& datagrams);

// Receives from a non-blocking UDP socket in batches. Not thread-safe.
class UdpReceiver {
 public:
  // Datagrams longer than `max_bytes` are reported with `oversized` set and their real
  // length (the bytes given are cut).
  explicit UdpReceiver(size_t max_bytes, size_t batch = 32);

  struct Datagram {
    PeerAddr from;
    std::string_view bytes;  // Valid until the next Receive.
    size_t length = 0;       // Real length on the wire.
    bool oversized = false;
  };
  // Reads what is queued on `fd` (at most one batch) and calls fn for each datagram.
  // Returns how many were read (0 when none was queued); an error for real failures.
  absl::StatusOr<size_t> Receive(int fd, const std::function<void(const Datagram&)>& fn);

 private:
  size_t max_bytes_;
  size_t batch_;
  std::vector<char> buffer_;
  std::vector<sockaddr_storage> addrs_;
  std::vector<struct iovec> iovs_;
  std::vector<struct mmsghdr> msgs_;
};

}  // namespace paddock::gcounter
