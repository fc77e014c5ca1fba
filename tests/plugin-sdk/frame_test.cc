// Tests of the fd-3 frame codec: partial I/O, oversize, EOF, timeouts, garbage.
#include "plugin-sdk/frame.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>
#include <thread>

#include "paddock/fd.h"
#include "paddock/v1/bootstrap.pb.h"

namespace paddock::sdk {
namespace {

struct Pair {
  UniqueFd a, b;
  Pair() {
    int sv[2];
    REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
    a.Reset(sv[0]);
    b.Reset(sv[1]);
  }
};

void WriteRaw(int fd, const std::string& bytes) {
  REQUIRE(write(fd, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size()));
}

std::string Le32(uint32_t v) {
  std::string s(4, '\0');
  for (int i = 0; i < 4; ++i) s[i] = static_cast<char>((v >> (8 * i)) & 0xff);
  return s;
}

TEST_CASE("a frame round-trips", "[frame]") {
  Pair p;
  v1::Bootstrap out;
  out.set_plugin_name("hello");
  out.set_generation(42);
  REQUIRE(WriteFrame(p.a.get(), out).ok());
  v1::Bootstrap in;
  REQUIRE(ReadFrame(p.b.get(), &in, absl::Seconds(1)).ok());
  CHECK(in.plugin_name() == "hello");
  CHECK(in.generation() == 42);
}

TEST_CASE("the header is a little-endian length", "[frame]") {
  Pair p;
  v1::BootstrapReply reply;
  reply.set_ready(true);
  REQUIRE(WriteFrame(p.a.get(), reply).ok());
  char buf[16];
  ssize_t n = read(p.b.get(), buf, sizeof(buf));
  REQUIRE(n == 4 + static_cast<ssize_t>(reply.ByteSizeLong()));
  CHECK(std::string(buf, 4) == Le32(static_cast<uint32_t>(reply.ByteSizeLong())));
}

TEST_CASE("an empty message is a valid frame", "[frame]") {
  Pair p;
  REQUIRE(WriteFrame(p.a.get(), v1::BootstrapReply()).ok());
  v1::BootstrapReply in;
  REQUIRE(ReadFrame(p.b.get(), &in, absl::Seconds(1)).ok());
  CHECK_FALSE(in.ready());
}

TEST_CASE("a frame arriving byte by byte is reassembled", "[frame]") {
  Pair p;
  v1::Bootstrap out;
  out.set_listen_path(std::string(300, 'x'));
  std::string bytes = Le32(static_cast<uint32_t>(out.ByteSizeLong())) + out.SerializeAsString();
  std::thread writer([&] {
    for (char c : bytes) {
      (void)!write(p.a.get(), &c, 1);
      if (c == 'x') std::this_thread::yield();
    }
  });
  v1::Bootstrap in;
  absl::Status st = ReadFrame(p.b.get(), &in, absl::Seconds(5));
  writer.join();
  REQUIRE(st.ok());
  CHECK(in.listen_path() == out.listen_path());
}

TEST_CASE("large frames cross the socket buffer with partial writes", "[frame]") {
  Pair p;
  int small = 4096;
  setsockopt(p.a.get(), SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
  v1::Bootstrap out;
  out.set_certificate_pem(std::string(3 << 20, 'c'));
  absl::Status write_status;
  std::thread writer([&] { write_status = WriteFrame(p.a.get(), out); });
  v1::Bootstrap in;
  absl::Status st = ReadFrame(p.b.get(), &in, absl::Seconds(10));
  writer.join();
  REQUIRE(write_status.ok());
  REQUIRE(st.ok());
  CHECK(in.certificate_pem().size() == (3u << 20));
}

TEST_CASE("a non-blocking writer waits instead of failing", "[frame]") {
  Pair p;
  REQUIRE(fcntl(p.a.get(), F_SETFL, O_NONBLOCK) == 0);
  v1::Bootstrap out;
  out.set_certificate_pem(std::string(1 << 20, 'c'));
  absl::Status write_status;
  std::thread writer([&] { write_status = WriteFrame(p.a.get(), out); });
  v1::Bootstrap in;
  absl::Status st = ReadFrame(p.b.get(), &in, absl::Seconds(10));
  writer.join();
  CHECK(write_status.ok());
  CHECK(st.ok());
}

TEST_CASE("oversize frames are refused on both sides", "[frame]") {
  Pair p;
  v1::Bootstrap big;
  big.set_certificate_pem(std::string(kMaxFrameBytes + 1, 'c'));
  absl::Status st = WriteFrame(p.a.get(), big);
  CHECK(st.code() == absl::StatusCode::kInvalidArgument);

  WriteRaw(p.a.get(), Le32(static_cast<uint32_t>(kMaxFrameBytes + 1)));
  v1::Bootstrap in;
  st = ReadFrame(p.b.get(), &in, absl::Seconds(1));
  CHECK(st.code() == absl::StatusCode::kInvalidArgument);
  CHECK(std::string(st.message()).find("exceeds") != std::string::npos);
}

TEST_CASE("end of stream: clean before a frame, data loss inside one", "[frame]") {
  v1::Bootstrap in;
  SECTION("before the first byte") {
    Pair p;
    p.a.Reset();
    CHECK(ReadFrame(p.b.get(), &in, absl::Seconds(1)).code() == absl::StatusCode::kUnavailable);
  }
  SECTION("inside the header") {
    Pair p;
    WriteRaw(p.a.get(), std::string(2, '\x05'));
    p.a.Reset();
    CHECK(ReadFrame(p.b.get(), &in, absl::Seconds(1)).code() == absl::StatusCode::kDataLoss);
  }
  SECTION("inside the payload") {
    Pair p;
    WriteRaw(p.a.get(), Le32(10) + "abc");
    p.a.Reset();
    CHECK(ReadFrame(p.b.get(), &in, absl::Seconds(1)).code() == absl::StatusCode::kDataLoss);
  }
}

TEST_CASE("a frame that does not arrive in time times out", "[frame]") {
  Pair p;
  v1::Bootstrap in;
  SECTION("nothing at all") {
    const absl::Time t0 = absl::Now();
    CHECK(ReadFrame(p.b.get(), &in, absl::Milliseconds(50)).code() ==
          absl::StatusCode::kDeadlineExceeded);
    CHECK(absl::Now() - t0 >= absl::Milliseconds(50));
  }
  SECTION("half a frame: the timeout covers the whole frame") {
    WriteRaw(p.a.get(), Le32(100) + "partial");
    CHECK(ReadFrame(p.b.get(), &in, absl::Milliseconds(50)).code() ==
          absl::StatusCode::kDeadlineExceeded);
  }
  SECTION("zero timeout with nothing ready") {
    CHECK(ReadFrame(p.b.get(), &in, absl::ZeroDuration()).code() ==
          absl::StatusCode::kDeadlineExceeded);
  }
}

TEST_CASE("a payload that is not the message is InvalidArgument", "[frame]") {
  Pair p;
  WriteRaw(p.a.get(), Le32(4) + "\xff\xff\xff\xff");
  v1::Bootstrap in;
  absl::Status st = ReadFrame(p.b.get(), &in, absl::Seconds(1));
  CHECK(st.code() == absl::StatusCode::kInvalidArgument);
  CHECK(std::string(st.message()).find("paddock.v1.Bootstrap") != std::string::npos);
}

TEST_CASE("writing to a closed peer is an error, not SIGPIPE", "[frame]") {
  Pair p;
  p.b.Reset();
  absl::Status st = WriteFrame(p.a.get(), v1::BootstrapReply());
  CHECK_FALSE(st.ok());
  CHECK(std::string(st.message()).find("EPIPE") != std::string::npos);
}

TEST_CASE("frames work on pipes too", "[frame]") {
  int fds[2];
  REQUIRE(pipe2(fds, O_CLOEXEC) == 0);
  UniqueFd r(fds[0]), w(fds[1]);
  v1::BootstrapReply out;
  out.set_error("x");
  REQUIRE(WriteFrame(w.get(), out).ok());
  v1::BootstrapReply in;
  REQUIRE(ReadFrame(r.get(), &in, absl::Seconds(1)).ok());
  CHECK(in.error() == "x");
}

TEST_CASE("a bad descriptor is an error", "[frame]") {
  v1::BootstrapReply in;
  CHECK_FALSE(ReadFrame(-1, &in, absl::Seconds(1)).ok());
  CHECK_FALSE(WriteFrame(-1, in).ok());
}

}  // namespace
}  // namespace paddock::sdk
