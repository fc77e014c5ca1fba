// A peer's UDP address (numeric IPv4 or IPv6 and a port), as configured, resolved, or seen
// as the source of a packet.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace paddock::gcounter {

struct PeerAddr {
  int family = AF_INET;          // AF_INET or AF_INET6; IPv4-mapped IPv6 is stored as AF_INET.
  std::array<uint8_t, 16> ip{};  // First 4 bytes for AF_INET.
  uint16_t port = 0;             // Host byte order.

  // Parses "a.b.c.d:port" or "[ipv6]:port"; port 1..65535. Numeric only.
  static absl::StatusOr<PeerAddr> Parse(std::string_view text);
  // From a kernel address (AF_INET or AF_INET6); InvalidArgument for anything else.
  static absl::StatusOr<PeerAddr> FromSockaddr(const sockaddr* sa, socklen_t len);
  // For sendto() on a socket of `socket_family` (v4 addresses are mapped for AF_INET6
  // sockets). Returns the length, 0 if the address cannot be reached from such a socket.
  socklen_t ToSockaddr(int socket_family, sockaddr_storage* out) const;
  // "10.0.0.1:7946" or "[fe80::1]:7946".
  std::string ToString() const;
  // A 64-bit key for maps and sets (a hash of family, address and port).
  uint64_t Key() const;

  bool operator==(const PeerAddr& o) const {
    return family == o.family && ip == o.ip && port == o.port;
  }
};

}  // namespace paddock::gcounter
