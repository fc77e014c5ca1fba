#include "host/socket_address.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "host/json.h"
#include "host/string_view_compat.h"

namespace paddock::host {

std::string SocketAddress::ToString() const {
  char buf[INET6_ADDRSTRLEN] = {};
  if (family == AF_INET) {
    const auto* sin = reinterpret_cast<const sockaddr_in*>(&storage);
    inet_ntop(AF_INET, &sin->sin_addr, buf, sizeof(buf));
    return absl::StrCat(buf, ":", port);
  }
  if (family == AF_INET6) {
    const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(&storage);
    inet_ntop(AF_INET6, &sin6->sin6_addr, buf, sizeof(buf));
    return absl::StrCat("[", buf, "]:", port);
  }
  return "(none)";
}

absl::StatusOr<SocketAddress> ParseSocketAddress(std::string_view text) {
  std::string quoted;
  json::AppendQuoted(text.substr(0, 80), &quoted);
  const auto error = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat(quoted, ": ", why));
  };
  const size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) return error("expected host:port");
  std::string_view host = text.substr(0, colon);
  const std::string_view port_text = text.substr(colon + 1);
  uint32_t port = 0;
  if (port_text.empty() || port_text.size() > 5 ||
      !std::all_of(port_text.begin(), port_text.end(), absl::ascii_isdigit) ||
      !absl::SimpleAtoi(ToAbsl(port_text), &port) || port > 65535) {
    return error("port must be a number from 0 to 65535");
  }
  SocketAddress out;
  out.port = static_cast<uint16_t>(port);
  const bool bracketed = host.size() >= 2 && host.front() == '[' && host.back() == ']';
  if (bracketed) {
    const std::string ip(host.substr(1, host.size() - 2));
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(&out.storage);
    if (ip.find('%') != std::string::npos ||
        inet_pton(AF_INET6, ip.c_str(), &sin6->sin6_addr) != 1) {
      return error("not a numeric IPv6 address inside [] (zone ids are not supported)");
    }
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons(out.port);
    out.family = AF_INET6;
    out.length = sizeof(sockaddr_in6);
    return out;
  }
  if (host.find(':') != std::string_view::npos) {
    return error("an IPv6 address must be written in brackets, e.g. [::1]:5514");
  }
  const std::string ip(host);
  auto* sin = reinterpret_cast<sockaddr_in*>(&out.storage);
  if (inet_pton(AF_INET, ip.c_str(), &sin->sin_addr) != 1) {
    return error("host must be a numeric IPv4 address or a [bracketed] IPv6 address");
  }
  sin->sin_family = AF_INET;
  sin->sin_port = htons(out.port);
  out.family = AF_INET;
  out.length = sizeof(sockaddr_in);
  return out;
}

}  // namespace paddock::host
