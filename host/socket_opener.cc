#include "host/socket_opener.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "paddock/errno_status.h"

namespace paddock::host {
namespace {

absl::StatusOr<sockaddr_storage> ParseAddress(const std::string& address, socklen_t* len) {
  sockaddr_storage ss{};
  std::string host, port;
  if (!address.empty() && address[0] == '[') {
    size_t close = address.find("]:");
    if (close == std::string::npos) {
      return absl::InvalidArgumentError("address \"" + address + "\": expected [ipv6]:port");
    }
    host = address.substr(1, close - 1);
    port = address.substr(close + 2);
  } else {
    size_t colon = address.rfind(':');
    if (colon == std::string::npos) {
      return absl::InvalidArgumentError("address \"" + address + "\": expected ip:port");
    }
    host = address.substr(0, colon);
    port = address.substr(colon + 1);
  }
  uint32_t p;
  if (!absl::SimpleAtoi(port, &p) || p > 65535) {
    return absl::InvalidArgumentError("address \"" + address + "\": bad port");
  }
  auto* v4 = reinterpret_cast<sockaddr_in*>(&ss);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&ss);
  if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(p));
    *len = sizeof(sockaddr_in);
  } else if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(p));
    *len = sizeof(sockaddr_in6);
  } else {
    return absl::InvalidArgumentError("address \"" + address + "\": not a numeric IP address");
  }
  return ss;
}

}  // namespace

absl::StatusOr<UniqueFd> OpenHeldSocket(const paddock::v1::SocketRequest& request,
                                        const std::string& address) {
  socklen_t len = 0;
  auto ss = ParseAddress(address, &len);
  if (!ss.ok()) return ss.status();
  bool tcp = request.kind() == paddock::v1::SocketRequest::TCP;
  UniqueFd fd(socket(ss->ss_family, (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC, 0));
  if (!fd) return ErrnoStatus(errno, "socket");
  int one = 1;
  if (tcp) setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (request.receive_buffer_bytes() > 0) {
    int size = static_cast<int>(request.receive_buffer_bytes());
    // SO_RCVBUFFORCE (root) lifts net.core.rmem_max; fall back to the capped option.
    if (setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) != 0) {
      setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
    }
  }
  if (bind(fd.get(), reinterpret_cast<sockaddr*>(&*ss), len) != 0) {
    return ErrnoStatus(errno, "bind " + address);
  }
  if (tcp && listen(fd.get(), 1024) != 0) return ErrnoStatus(errno, "listen " + address);
  return fd;
}

std::string LocalAddress(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof(ss);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return "?";
  char buf[INET6_ADDRSTRLEN] = {};
  if (ss.ss_family == AF_INET) {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    inet_ntop(AF_INET, &a->sin_addr, buf, sizeof(buf));
    return absl::StrCat(buf, ":", ntohs(a->sin_port));
  }
  auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
  inet_ntop(AF_INET6, &a->sin6_addr, buf, sizeof(buf));
  return absl::StrCat("[", buf, "]:", ntohs(a->sin6_port));
}

}  // namespace paddock::host
