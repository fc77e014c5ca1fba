// Network escapes: raw and packet sockets, netlink, the host's loopback services (TCP,
// abstract and path unix sockets). Without a network grant the plugin has its own network
// namespace with only its own loopback.
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <sstream>

#include "hostile_attempt.h"

namespace hostile {
namespace {

AttemptReply Socket(int domain, int type, int protocol, const std::string& what) {
  int fd = socket(domain, type | SOCK_CLOEXEC, protocol);
  int err = errno;
  if (fd >= 0) close(fd);
  errno = err;
  return Expect(fd, what);
}

// Interface names in /proc/net/dev (this network namespace's).
std::string Interfaces() {
  std::istringstream dev(ReadSmallFile("/proc/net/dev"));
  std::string out, line;
  while (std::getline(dev, line)) {
    size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name = line.substr(0, colon);
    name.erase(0, name.find_first_not_of(' '));
    out += (out.empty() ? "" : " ") + name;
  }
  return out;
}

AttemptReply ConnectHostTcp(const AttemptRequest& req) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Refused(errno, "socket(AF_INET)");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(req.port()));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  long rc = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  int err = errno;
  close(fd);
  errno = err;
  AttemptReply r = Expect(rc, "connect(127.0.0.1:" + std::to_string(req.port()) +
                                  "); interfaces here: " + Interfaces());
  return r;
}

AttemptReply ConnectUnix(const std::string& path, bool abstract) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Refused(errno, "socket(AF_UNIX)");
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  size_t len = std::min(path.size(), sizeof(addr.sun_path) - 2);
  std::memcpy(addr.sun_path + (abstract ? 1 : 0), path.data(), len);
  socklen_t size =
      static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + len + (abstract ? 1 : 0));
  long rc = connect(fd, reinterpret_cast<sockaddr*>(&addr), size);
  int err = errno;
  close(fd);
  errno = err;
  return Expect(rc, std::string("connect(") + (abstract ? "@" : "") + path + ")");
}

}  // namespace

void AddNetworkAttempts(Registry& r) {
  r["raw_socket"] = [](const AttemptRequest&) {
    return Socket(AF_INET, SOCK_RAW, IPPROTO_ICMP, "socket(AF_INET, SOCK_RAW, IPPROTO_ICMP)");
  };
  r["packet_socket"] = [](const AttemptRequest&) {
    return Socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL), "socket(AF_PACKET, SOCK_RAW)");
  };
  r["netlink_socket"] = [](const AttemptRequest&) {
    return Socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE, "socket(AF_NETLINK, NETLINK_ROUTE)");
  };
  r["connect_host_tcp"] = ConnectHostTcp;
  r["abstract_unix"] = [](const AttemptRequest& q) { return ConnectUnix(q.path(), true); };
  r["host_socket"] = [](const AttemptRequest& q) { return ConnectUnix(q.path(), false); };
  r["interfaces"] = [](const AttemptRequest&) {
    std::string ifs = Interfaces();
    return ifs == "lo" ? Contained("interfaces: " + ifs) : Escaped("interfaces: " + ifs);
  };
}

}  // namespace hostile
