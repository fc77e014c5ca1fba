#include "peer_addr.h"

#include <arpa/inet.h>

#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace paddock::gcounter {
namespace {

absl::Status Bad(std::string_view text, std::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("peer address \"", absl::string_view(text.data(), text.size()),
                   "\": ", absl::string_view(why.data(), why.size())));
}

}  // namespace

absl::StatusOr<PeerAddr> PeerAddr::Parse(std::string_view text) {
  std::string host;
  std::string_view port_text;
  if (!text.empty() && text[0] == '[') {
    size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return Bad(text, "expected [ipv6]:port");
    }
    host = std::string(text.substr(1, close - 1));
    port_text = text.substr(close + 2);
  } else {
    size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) return Bad(text, "expected host:port");
    host = std::string(text.substr(0, colon));
    port_text = text.substr(colon + 1);
  }
  uint32_t port = 0;
  if (port_text.empty() || port_text.size() > 5 || port_text[0] == '+' || port_text[0] == '-' ||
      !absl::SimpleAtoi(absl::string_view(port_text.data(), port_text.size()), &port) ||
      port == 0 || port > 65535) {
    return Bad(text, "port must be 1-65535");
  }
  PeerAddr a;
  a.port = static_cast<uint16_t>(port);
  in_addr v4;
  in6_addr v6;
  if (text[0] != '[' && inet_pton(AF_INET, host.c_str(), &v4) == 1) {
    a.family = AF_INET;
    std::memcpy(a.ip.data(), &v4, 4);
    return a;
  }
  if (text[0] == '[' && inet_pton(AF_INET6, host.c_str(), &v6) == 1) {
    sockaddr_in6 sa{};
    sa.sin6_family = AF_INET6;
    sa.sin6_addr = v6;
    sa.sin6_port = htons(a.port);
    return FromSockaddr(reinterpret_cast<sockaddr*>(&sa), sizeof(sa));
  }
  return Bad(text, "host must be a numeric IPv4 address or [IPv6] address");
}

absl::StatusOr<PeerAddr> PeerAddr::FromSockaddr(const sockaddr* sa, socklen_t len) {
  PeerAddr a;
  if (sa->sa_family == AF_INET && len >= sizeof(sockaddr_in)) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(sa);
    a.family = AF_INET;
    std::memcpy(a.ip.data(), &in->sin_addr, 4);
    a.port = ntohs(in->sin_port);
    return a;
  }
  if (sa->sa_family == AF_INET6 && len >= sizeof(sockaddr_in6)) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(sa);
    a.port = ntohs(in6->sin6_port);
    if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
      a.family = AF_INET;
      std::memcpy(a.ip.data(), in6->sin6_addr.s6_addr + 12, 4);
    } else {
      a.family = AF_INET6;
      std::memcpy(a.ip.data(), in6->sin6_addr.s6_addr, 16);
    }
    return a;
  }
  return absl::InvalidArgumentError("not an IPv4 or IPv6 address");
}

socklen_t PeerAddr::ToSockaddr(int socket_family, sockaddr_storage* out) const {
  std::memset(out, 0, sizeof(*out));
  if (socket_family == AF_INET) {
    if (family != AF_INET) return 0;
    auto* in = reinterpret_cast<sockaddr_in*>(out);
    in->sin_family = AF_INET;
    in->sin_port = htons(port);
    std::memcpy(&in->sin_addr, ip.data(), 4);
    return sizeof(sockaddr_in);
  }
  auto* in6 = reinterpret_cast<sockaddr_in6*>(out);
  in6->sin6_family = AF_INET6;
  in6->sin6_port = htons(port);
  if (family == AF_INET) {
    in6->sin6_addr.s6_addr[10] = 0xff;
    in6->sin6_addr.s6_addr[11] = 0xff;
    std::memcpy(in6->sin6_addr.s6_addr + 12, ip.data(), 4);
  } else {
    std::memcpy(in6->sin6_addr.s6_addr, ip.data(), 16);
  }
  return sizeof(sockaddr_in6);
}

std::string PeerAddr::ToString() const {
  char buf[INET6_ADDRSTRLEN] = {};
  if (family == AF_INET) {
    inet_ntop(AF_INET, ip.data(), buf, sizeof(buf));
    return absl::StrCat(buf, ":", port);
  }
  inet_ntop(AF_INET6, ip.data(), buf, sizeof(buf));
  return absl::StrCat("[", buf, "]:", port);
}

uint64_t PeerAddr::Key() const {
  uint64_t h = 1469598103934665603ull ^ static_cast<uint64_t>(family);
  auto mix = [&](uint8_t b) {
    h ^= b;
    h *= 1099511628211ull;
  };
  for (uint8_t b : ip) mix(b);
  mix(static_cast<uint8_t>(port));
  mix(static_cast<uint8_t>(port >> 8));
  return h;
}

}  // namespace paddock::gcounter
