#include "host/socket_opener.h"

#include <sys/socket.h>

#include <catch2/catch.hpp>

using paddock::host::LocalAddress;
using paddock::host::OpenHeldSocket;
namespace v1 = paddock::v1;

TEST_CASE("UDP and TCP sockets bind to loopback, v4 and v6", "[socket_opener]") {
  v1::SocketRequest udp;
  udp.set_kind(v1::SocketRequest::UDP);
  udp.set_receive_buffer_bytes(1 << 20);
  auto u = OpenHeldSocket(udp, "127.0.0.1:0");
  REQUIRE(u.ok());
  CHECK(LocalAddress(u->get()).rfind("127.0.0.1:", 0) == 0);
  int rcvbuf = 0;
  socklen_t len = sizeof(rcvbuf);
  getsockopt(u->get(), SOL_SOCKET, SO_RCVBUF, &rcvbuf, &len);
  CHECK(rcvbuf >= (1 << 20));

  v1::SocketRequest tcp;
  tcp.set_kind(v1::SocketRequest::TCP);
  auto t = OpenHeldSocket(tcp, "[::1]:0");
  REQUIRE(t.ok());
  CHECK(LocalAddress(t->get()).rfind("[::1]:", 0) == 0);
  int type = 0;
  len = sizeof(type);
  getsockopt(t->get(), SOL_SOCKET, SO_TYPE, &type, &len);
  CHECK(type == SOCK_STREAM);
}

TEST_CASE("malformed addresses are refused with the reason", "[socket_opener]") {
  v1::SocketRequest udp;
  for (const char* bad : {"", "127.0.0.1", "127.0.0.1:99999", "localhost:53", "[::1]53",
                          "1.2.3.4.5:1", "127.0.0.1:-1"}) {
    auto r = OpenHeldSocket(udp, bad);
    INFO(bad);
    CHECK(absl::IsInvalidArgument(r.status()));
  }
}

TEST_CASE("a port in use is reported, not crashed on", "[socket_opener]") {
  v1::SocketRequest tcp;
  tcp.set_kind(v1::SocketRequest::TCP);
  auto first = OpenHeldSocket(tcp, "127.0.0.1:0");
  REQUIRE(first.ok());
  auto second = OpenHeldSocket(tcp, LocalAddress(first->get()));
  CHECK_FALSE(second.ok());
  CHECK(second.status().message().find("bind") != std::string_view::npos);
}
