#include "host/plugin_image.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <cstdio>
#include <string>

#include "host/plugin_fixture.h"
#include "host/sha256.h"

namespace paddock::host {
namespace {

using testing::ElfWithManifest;
using testing::TempDir;
using testing::ValidManifest;

std::string MemfdContents(int fd) {
  struct stat st {};
  REQUIRE(fstat(fd, &st) == 0);
  std::string out(static_cast<size_t>(st.st_size), '\0');
  REQUIRE(pread(fd, out.data(), out.size(), 0) == static_cast<ssize_t>(out.size()));
  return out;
}

std::string ErrorOf(const std::string& path) {
  auto image = PluginImage::Load(path);
  REQUIRE_FALSE(image.ok());
  return std::string(image.status().message());
}

TEST_CASE("Load reads, hashes, validates and seals a plugin", "[plugin_image]") {
  TempDir dir;
  const std::string bytes = ElfWithManifest(ValidManifest("alpha"));
  const std::string path = dir.Write("alpha", bytes);
  auto image = PluginImage::Load(path);
  REQUIRE(image.ok());
  const PluginImage& im = **image;
  CHECK(im.path() == path);
  CHECK(im.sha256_hex() == Sha256Hex(bytes));
  CHECK(im.size() == bytes.size());
  CHECK(im.manifest().name() == "alpha");
  REQUIRE(im.exec_fd() >= 0);
  CHECK((fcntl(im.exec_fd(), F_GETFD) & FD_CLOEXEC) != 0);
  CHECK(MemfdContents(im.exec_fd()) == bytes);
  auto id = PluginImage::StatIdentity(path);
  REQUIRE(id.ok());
  CHECK(*id == im.identity());
  CHECK(im.identity().size == static_cast<int64_t>(bytes.size()));
}

TEST_CASE("the sealed image cannot be changed, and ignores later file changes", "[plugin_image]") {
  TempDir dir;
  const std::string bytes = ElfWithManifest(ValidManifest());
  const std::string path = dir.Write("hello", bytes);
  auto image = PluginImage::Load(path);
  REQUIRE(image.ok());
  const int fd = (*image)->exec_fd();

  const int seals = fcntl(fd, F_GET_SEALS);
  CHECK((seals & F_SEAL_SEAL) != 0);
  CHECK((seals & F_SEAL_WRITE) != 0);
  CHECK((seals & F_SEAL_GROW) != 0);
  CHECK((seals & F_SEAL_SHRINK) != 0);
  CHECK(pwrite(fd, "X", 1, 0) == -1);
  CHECK(errno == EPERM);
  CHECK(ftruncate(fd, 1) == -1);
  CHECK(ftruncate(fd, static_cast<off_t>(bytes.size()) + 100) == -1);
  CHECK(fcntl(fd, F_ADD_SEALS, F_SEAL_FUTURE_WRITE) == -1);  // F_SEAL_SEAL holds.
  // Writable reopen through /proc is refused too (F_SEAL_WRITE applies to every open file).
  const int again = open(("/proc/self/fd/" + std::to_string(fd)).c_str(), O_RDWR | O_CLOEXEC);
  if (again >= 0) {
    CHECK(pwrite(again, "X", 1, 0) == -1);
    close(again);
  }

  // Rewrite the file in place, then replace it by rename: the image does not change.
  dir.Write("hello", std::string(bytes.size(), 'Z'));
  CHECK(MemfdContents(fd) == bytes);
  const std::string other = dir.Write("other", ElfWithManifest(ValidManifest("other")));
  REQUIRE(rename(other.c_str(), path.c_str()) == 0);
  CHECK(MemfdContents(fd) == bytes);
  CHECK((*image)->manifest().name() == "hello");
  auto id = PluginImage::StatIdentity(path);
  REQUIRE(id.ok());
  CHECK_FALSE(*id == (*image)->identity());
}

TEST_CASE("the sealed image of a real binary executes", "[plugin_image]") {
  TempDir dir;
  const std::string path = testing::RealPluginBinary(dir, "true-plugin", ValidManifest());
  if (path.empty()) {
    WARN("objcopy not available: skipping");
    return;
  }
  auto image = PluginImage::Load(path);
  REQUIRE(image.ok());
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    char* const argv[] = {const_cast<char*>("true"), nullptr};
    char* const envp[] = {nullptr};
    syscall(SYS_execveat, (*image)->exec_fd(), "", argv, envp, AT_EMPTY_PATH);
    _exit(127);
  }
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}

TEST_CASE("Load says which step failed", "[plugin_image]") {
  TempDir dir;
  const std::string missing = dir.path() + "/missing";
  auto m = PluginImage::Load(missing);
  REQUIRE_FALSE(m.ok());
  CHECK(m.status().code() == absl::StatusCode::kNotFound);
  CHECK(std::string(m.status().message()).find(missing) != std::string::npos);

  CHECK(ErrorOf(dir.path()) == dir.path() + ": is a directory, not a regular file");
  const std::string fifo = dir.path() + "/fifo";
  REQUIRE(mkfifo(fifo.c_str(), 0600) == 0);
  CHECK(ErrorOf(fifo) == fifo + ": is a FIFO, not a regular file");

  const std::string script = dir.Write("script", "#!/bin/sh\necho hi\n");
  CHECK(ErrorOf(script) == script + ": reading the manifest: not an ELF file");
  const std::string no_manifest = dir.Write("plain", testing::BuildElf({{".text", "x"}}).bytes);
  CHECK(ErrorOf(no_manifest) ==
        no_manifest +
            ": reading the manifest: no .paddock_manifest section (not built with the "
            "Paddock SDK)");
  paddock::v1::PluginManifest bad = ValidManifest();
  bad.set_name("Bad_Name");
  const std::string invalid = dir.Write("invalid", ElfWithManifest(bad));
  CHECK(ErrorOf(invalid) ==
        invalid + ": invalid manifest: name: \"Bad_Name\" must match [a-z][a-z0-9-]{0,62}");
  const std::string empty = dir.Write("empty", "");
  CHECK(ErrorOf(empty) == empty + ": reading the manifest: not an ELF file");
}

TEST_CASE("an unreadable file is reported as permission denied", "[plugin_image]") {
  TempDir dir;
  REQUIRE(chmod(dir.path().c_str(), 0755) == 0);
  const std::string path = dir.Write("secret", ElfWithManifest(ValidManifest()), 0000);
  if (geteuid() != 0) {
    auto image = PluginImage::Load(path);
    REQUIRE_FALSE(image.ok());
    CHECK(image.status().code() == absl::StatusCode::kPermissionDenied);
    return;
  }
  // Root reads anything: check from a child that dropped to nobody.
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    if (setresgid(65534, 65534, 65534) != 0 || setresuid(65534, 65534, 65534) != 0) _exit(2);
    auto image = PluginImage::Load(path);
    if (image.ok()) _exit(3);
    if (image.status().code() != absl::StatusCode::kPermissionDenied) _exit(4);
    if (std::string(image.status().message()).find(path) == std::string::npos) _exit(5);
    _exit(0);
  }
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}

}  // namespace
}  // namespace paddock::host

namespace paddock::host {
namespace {

TEST_CASE("the SDK-built hello plugin loads and validates", "[plugin_image]") {
  const std::string path = std::string(PADDOCK_BUILD_DIR) + "/lib/paddock/plugins/hello";
  if (access(path.c_str(), F_OK) != 0) {
    WARN("hello plugin not built (ninja hello): skipping");
    return;
  }
  auto image = PluginImage::Load(path);
  REQUIRE(image.ok());
  CHECK((*image)->manifest().name() == "hello");
  REQUIRE((*image)->manifest().services_size() >= 1);
}

}  // namespace
}  // namespace paddock::host
