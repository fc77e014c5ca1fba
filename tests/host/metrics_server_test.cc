// Tests of the metrics HTTP server: GET /metrics answers with the handler's text, other
// paths and methods get 404/405, a taken port is an error, and scrapes run concurrently.
#include "host/metrics_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <thread>

#include "absl/strings/numbers.h"

namespace paddock::host {
namespace {

// Sends `request` to `address` ("127.0.0.1:port") and returns everything the server sent
// until it closed the connection.
std::string Exchange(const std::string& address, const std::string& request) {
  size_t colon = address.rfind(':');
  uint32_t port = 0;
  REQUIRE(absl::SimpleAtoi(address.substr(colon + 1), &port));
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0);
  REQUIRE(write(fd, request.data(), request.size()) == static_cast<ssize_t>(request.size()));
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof(buf))) > 0) out.append(buf, static_cast<size_t>(n));
  close(fd);
  return out;
}

std::string Get(const std::string& address, const std::string& path,
                const std::string& method = "GET") {
  return Exchange(address, method + " " + path +
                               " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                               "Content-Length: 0\r\n\r\n");
}

TEST_CASE("GET /metrics serves the handler's text with the exposition content type",
          "[metrics_server]") {
  std::atomic<int> calls{0};
  auto server = MetricsServer::Start("127.0.0.1:0", [&] {
    ++calls;
    return std::string("# HELP a A.\n# TYPE a gauge\na 1\n");
  });
  REQUIRE(server.ok());
  CHECK((*server)->address().rfind("127.0.0.1:", 0) == 0);
  CHECK((*server)->address() != "127.0.0.1:0");
  std::string r = Get((*server)->address(), "/metrics");
  CHECK(r.rfind("HTTP/1.1 200", 0) == 0);
  CHECK(r.find("Content-Type: text/plain; version=0.0.4; charset=utf-8") != std::string::npos);
  CHECK(r.find("\r\n\r\n# HELP a A.\n# TYPE a gauge\na 1\n") != std::string::npos);
  CHECK(calls == 1);

  CHECK(Get((*server)->address(), "/nope").rfind("HTTP/1.1 404", 0) == 0);
  CHECK(Get((*server)->address(), "/").rfind("HTTP/1.1 200", 0) == 0);
  std::string post = Get((*server)->address(), "/metrics", "POST");
  CHECK(post.rfind("HTTP/1.1 405", 0) == 0);
  CHECK(post.find("Allow: GET, HEAD") != std::string::npos);
  CHECK(calls == 1);
  // Garbage is the library's to refuse; the server keeps serving.
  Exchange((*server)->address(), "\x01\x02 garbage\r\n\r\n");
  CHECK(Get((*server)->address(), "/metrics").rfind("HTTP/1.1 200", 0) == 0);
}

TEST_CASE("a taken or malformed address is an error", "[metrics_server]") {
  auto first = MetricsServer::Start("127.0.0.1:0", [] { return std::string(); });
  REQUIRE(first.ok());
  auto second = MetricsServer::Start((*first)->address(), [] { return std::string(); });
  REQUIRE_FALSE(second.ok());
  CHECK(std::string(second.status().message()).find("EADDRINUSE") != std::string::npos);
  CHECK_FALSE(MetricsServer::Start("localhost:9464", [] { return std::string(); }).ok());
  CHECK_FALSE(MetricsServer::Start("127.0.0.1", [] { return std::string(); }).ok());
}

TEST_CASE("slow scrapes do not wait for each other", "[metrics_server]") {
  auto server = MetricsServer::Start("127.0.0.1:0", [] {
    std::this_thread::sleep_for(std::chrono::milliseconds(400));
    return std::string("a 1\n");
  });
  REQUIRE(server.ok());
  auto start = std::chrono::steady_clock::now();
  std::thread t1([&] { Get((*server)->address(), "/metrics"); });
  std::thread t2([&] { Get((*server)->address(), "/metrics"); });
  std::thread t3([&] { Get((*server)->address(), "/metrics"); });
  t1.join();
  t2.join();
  t3.join();
  auto took = std::chrono::steady_clock::now() - start;
  CHECK(took < std::chrono::milliseconds(1100));  // Serial would be 1200 ms.
}

}  // namespace
}  // namespace paddock::host
