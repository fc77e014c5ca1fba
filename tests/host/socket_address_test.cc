#include "host/socket_address.h"

#include <catch2/catch.hpp>

namespace paddock::host {
namespace {

TEST_CASE("socket addresses parse numeric IPv4 and bracketed IPv6", "[socket_address]") {
  absl::StatusOr<SocketAddress> a = ParseSocketAddress("127.0.0.1:5514");
  REQUIRE(a.ok());
  CHECK(a->family == AF_INET);
  CHECK(a->port == 5514);
  CHECK(a->length == sizeof(sockaddr_in));
  CHECK(a->ToString() == "127.0.0.1:5514");
  absl::StatusOr<SocketAddress> b = ParseSocketAddress("[::1]:0");
  REQUIRE(b.ok());
  CHECK(b->family == AF_INET6);
  CHECK(b->port == 0);
  CHECK(b->ToString() == "[::1]:0");
  CHECK(ParseSocketAddress("0.0.0.0:65535").ok());
}

TEST_CASE("bad socket addresses are refused with a reason", "[socket_address]") {
  const auto err = [](std::string_view s) {
    absl::StatusOr<SocketAddress> a = ParseSocketAddress(s);
    REQUIRE_FALSE(a.ok());
    return std::string(a.status().message());
  };
  CHECK(err("127.0.0.1") == "\"127.0.0.1\": expected host:port");
  CHECK(err("127.0.0.1:65536") == "\"127.0.0.1:65536\": port must be a number from 0 to 65535");
  CHECK(err("127.0.0.1:-1").find("port must be") != std::string::npos);
  CHECK(err("127.0.0.1:").find("port must be") != std::string::npos);
  CHECK(err("127.0.0.1:+80").find("port must be") != std::string::npos);
  CHECK(err("::1:80") ==
        "\"::1:80\": an IPv6 address must be written in brackets, e.g. [::1]:5514");
  CHECK(err("[::1%lo]:80").find("zone ids") != std::string::npos);
  CHECK(err("[127.0.0.1]:80").find("IPv6") != std::string::npos);
  CHECK(err("localhost:80").find("numeric IPv4") != std::string::npos);
  CHECK(err("127.1:80").find("numeric IPv4") != std::string::npos);
  CHECK(err("").find("expected host:port") != std::string::npos);
}

}  // namespace
}  // namespace paddock::host
