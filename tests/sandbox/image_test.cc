#include "sandbox/image.h"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>

namespace paddock::sandbox {
namespace {

TEST_CASE("a sealed image holds the bytes and refuses every change") {
  absl::StatusOr<UniqueFd> image = SealedImageFromBytes("img", "hello");
  REQUIRE(image.ok());
  int fd = image->get();
  REQUIRE((::fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
  int seals = ::fcntl(fd, F_GET_SEALS);
  REQUIRE((seals & (F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL)) ==
          (F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL));
  char buf[16] = {};
  REQUIRE(::pread(fd, buf, sizeof(buf), 0) == 5);
  REQUIRE(std::string(buf) == "hello");
  REQUIRE(::pwrite(fd, "x", 1, 0) == -1);
  REQUIRE(errno == EPERM);
  REQUIRE(::ftruncate(fd, 1) == -1);
}

TEST_CASE("reading an image file checks what it reads") {
  char dir_template[] = "/tmp/paddock-image-XXXXXX";
  REQUIRE(::mkdtemp(dir_template) != nullptr);
  std::string dir = dir_template;
  std::string file = dir + "/bin";
  std::ofstream(file) << "0123456789";

  absl::StatusOr<std::string> bytes = ReadImageFile(file);
  REQUIRE(bytes.ok());
  REQUIRE(*bytes == "0123456789");
  REQUIRE(ReadImageFile(file, 5).status().code() == absl::StatusCode::kInvalidArgument);
  REQUIRE(ReadImageFile(dir).status().code() == absl::StatusCode::kInvalidArgument);
  REQUIRE(ReadImageFile(dir + "/missing").status().code() == absl::StatusCode::kNotFound);
  ::unlink(file.c_str());
  ::rmdir(dir.c_str());
}

}  // namespace
}  // namespace paddock::sandbox
