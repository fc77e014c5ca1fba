// Parsing of the bind addresses of pre-opened sockets ("127.0.0.1:5514", "[::1]:5514").
// Numeric only: the host never resolves names (no DNS inside the daemon's decisions).
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace paddock::host {

// A numeric IPv4 or IPv6 address with a port, ready for bind(2).
struct SocketAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;
  int family = AF_UNSPEC;  // AF_INET or AF_INET6.
  uint16_t port = 0;       // Host byte order; 0 lets the kernel pick one.
  // Canonical text: "127.0.0.1:5514" or "[::1]:5514".
  std::string ToString() const;
};

// Parses "a.b.c.d:port" or "[ipv6]:port" (port 0-65535, decimal, no sign). Errors say what
// is wrong: "\"localhost:80\": host must be a numeric IPv4 address or [IPv6] address".
absl::StatusOr<SocketAddress> ParseSocketAddress(std::string_view text);

}  // namespace paddock::host
