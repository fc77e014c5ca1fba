// Tests of bootstrap validation and the Context built from it.
#include "plugin-sdk/bootstrap.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>

#include "paddock/fd.h"
#include "plugin-sdk/context_impl.h"

namespace paddock::sdk {
namespace {

constexpr char kPem[] = "-----BEGIN PRIVATE KEY-----\nx\n-----END PRIVATE KEY-----\n";
constexpr char kCert[] = "-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n";

v1::Bootstrap Valid() {
  v1::Bootstrap b;
  b.set_protocol(1);
  b.set_plugin_name("hello");
  b.set_generation(2);
  b.set_listen_path("/run/plugin.sock");
  b.set_private_key_pem(kPem);
  b.set_certificate_pem(kCert);
  b.set_ca_certificate_pem(kCert);
  b.set_host_identity("paddockd.host.paddock");
  b.set_plugin_identity("hello.g2.plugin.paddock");
  return b;
}

std::string Error(const v1::Bootstrap& b) {
  absl::Status st = ValidateBootstrap(b, "hello");
  CHECK(st.code() == absl::StatusCode::kInvalidArgument);
  return std::string(st.message());
}

TEST_CASE("a complete bootstrap validates", "[bootstrap]") {
  CHECK(ValidateBootstrap(Valid(), "hello").ok());
}

TEST_CASE("each missing or wrong field is named", "[bootstrap]") {
  auto b = Valid();
  b.set_protocol(2);
  CHECK(Error(b).find("protocol") != std::string::npos);
  b = Valid();
  CHECK(std::string(ValidateBootstrap(b, "other").message()).find("plugin_name") !=
        std::string::npos);
  b = Valid();
  b.clear_listen_path();
  CHECK(Error(b).find("listen_path") != std::string::npos);
  b.set_listen_path("/" + std::string(120, 'x'));
  CHECK(Error(b).find("listen_path") != std::string::npos);
  b = Valid();
  b.set_private_key_pem("secret-not-pem");
  std::string e = Error(b);
  CHECK(e.find("private_key_pem") != std::string::npos);
  CHECK(e.find("secret") == std::string::npos);  // Never echo key material.
  b = Valid();
  b.clear_ca_certificate_pem();
  CHECK(Error(b).find("ca_certificate_pem") != std::string::npos);
  b = Valid();
  b.clear_host_identity();
  CHECK(Error(b).find("host_identity") != std::string::npos);
  b = Valid();
  b.set_log_level("loud");
  CHECK(Error(b).find("log_level") != std::string::npos);
}

TEST_CASE("passed descriptors must be named, unique, open and above fd 3", "[bootstrap]") {
  int fds[2];
  REQUIRE(pipe2(fds, O_CLOEXEC) == 0);
  UniqueFd w(fds[1]);
  // Above fd 3 (which a test process may have free), as the host would number it.
  UniqueFd r(fcntl(fds[0], F_DUPFD_CLOEXEC, 10));
  close(fds[0]);
  auto b = Valid();
  auto* f = b.add_fds();
  f->set_name("syslog");
  f->set_fd(r.get());
  CHECK(ValidateBootstrap(b, "hello").ok());

  auto dup = b;
  dup.add_fds()->CopyFrom(*f);
  CHECK(Error(dup).find("twice") != std::string::npos);
  auto low = Valid();
  low.add_fds()->set_name("x");
  low.mutable_fds(0)->set_fd(3);
  CHECK(Error(low).find("invalid number") != std::string::npos);
  auto closed = Valid();
  closed.add_fds()->set_name("x");
  closed.mutable_fds(0)->set_fd(1000);
  CHECK(Error(closed).find("not open") != std::string::npos);
  auto unnamed = Valid();
  unnamed.add_fds()->set_fd(r.get());
  CHECK(Error(unnamed).find("no name") != std::string::npos);
}

TEST_CASE("the context hands each passed socket out once", "[bootstrap]") {
  int sv[2];
  REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
  UniqueFd peer(sv[1]);
  const int moved = fcntl(sv[0], F_DUPFD, 10);  // Not CLOEXEC: the context must set it.
  close(sv[0]);
  sv[0] = moved;
  auto b = Valid();
  auto* f = b.add_fds();
  f->set_name("probe");
  f->set_fd(sv[0]);  // Owned by the context from here on.
  b.set_data_dir("/data");
  b.mutable_config()->set_version(4);
  ContextImpl ctx(b);
  CHECK(ctx.name() == "hello");
  CHECK(ctx.generation() == 2);
  CHECK(ctx.data_dir() == "/data");
  CHECK(ctx.config()->version() == 4);
  CHECK(ctx.config()->json() == "{}");
  CHECK((fcntl(sv[0], F_GETFD) & FD_CLOEXEC) != 0);

  auto sock = ctx.TakeSocket("probe");
  REQUIRE(sock.ok());
  CHECK(sock->get() == sv[0]);
  REQUIRE(write(sock->get(), "x", 1) == 1);
  char c = 0;
  REQUIRE(read(peer.get(), &c, 1) == 1);
  CHECK(c == 'x');
  CHECK(ctx.TakeSocket("probe").status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK(ctx.TakeSocket("nope").status().code() == absl::StatusCode::kNotFound);
}

TEST_CASE("the host socket path is optional, and checked when given", "[bootstrap]") {
  auto b = Valid();
  b.set_host_socket_path("/host/invoke.sock");
  CHECK(ValidateBootstrap(b, "hello").ok());
  b.set_host_socket_path("/" + std::string(120, 'x'));
  CHECK(Error(b).find("host_socket_path") != std::string::npos);
  b.set_host_socket_path(std::string("/host/a\0b", 9));
  CHECK(Error(b).find("host_socket_path") != std::string::npos);
}

TEST_CASE("without a host socket, Invoke and CheckInvoke say so", "[bootstrap]") {
  ContextImpl ctx(Valid());
  absl::StatusOr<std::string> r = ctx.Invoke("hello/Greet", "{}", absl::Seconds(1));
  CHECK(r.status().code() == absl::StatusCode::kUnavailable);
  CHECK(std::string(r.status().message()).find("host_socket_path") != std::string::npos);
  CHECK(ctx.CheckInvoke("hello/Greet", absl::Seconds(1)).code() == absl::StatusCode::kUnavailable);
}

TEST_CASE("only a SOCK_STREAM socket is a bootstrap socket", "[bootstrap]") {
  int fds[2];
  REQUIRE(pipe2(fds, O_CLOEXEC) == 0);
  UniqueFd r(fds[0]), w(fds[1]);
  CHECK(CheckBootstrapSocket(r.get()).code() == absl::StatusCode::kFailedPrecondition);
  int sv[2];
  REQUIRE(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0);
  UniqueFd a(sv[0]), bb(sv[1]);
  CHECK(CheckBootstrapSocket(a.get()).code() == absl::StatusCode::kFailedPrecondition);
  REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
  UniqueFd c(sv[0]), d(sv[1]);
  CHECK(CheckBootstrapSocket(c.get()).ok());
}

}  // namespace
}  // namespace paddock::sdk
