#include "sandbox/elf_deps.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>

#include "absl/strings/match.h"
#include "paddock/fd.h"
#include "sandbox/image.h"

namespace paddock::sandbox {
namespace {

UniqueFd OpenFile(const char* path) {
  UniqueFd fd(::open(path, O_RDONLY | O_CLOEXEC));
  REQUIRE(fd.valid());
  return fd;
}

bool Has(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

TEST_CASE("the probe's loader and library closure are found where ld.so looks") {
  UniqueFd fd = OpenFile(PADDOCK_SANDBOX_PROBE);
  absl::StatusOr<ElfDeps> deps = ResolveElfDeps(fd.get());
  REQUIRE(deps.ok());
  CHECK(deps->interpreter == "/lib64/ld-linux-x86-64.so.2");
  for (const char* lib : {"libstdc++.so.6", "libgcc_s.so.1", "libc.so.6", "libm.so.6"}) {
    INFO(lib);
    CHECK(Has(deps->libraries, std::string("/lib/x86_64-linux-gnu/") + lib));
  }
  // Breadth-first: the image's own DT_NEEDED come first, in order.
  REQUIRE(deps->libraries.size() >= 3);
  CHECK(deps->libraries[0] == "/lib/x86_64-linux-gnu/libstdc++.so.6");
  // No duplicates.
  std::vector<std::string> sorted = deps->libraries;
  std::sort(sorted.begin(), sorted.end());
  CHECK(std::adjacent_find(sorted.begin(), sorted.end()) == sorted.end());
  // The offset of the descriptor is untouched (pread only).
  CHECK(::lseek(fd.get(), 0, SEEK_CUR) == 0);
}

TEST_CASE("a static image needs nothing") {
  if (::access("/sbin/ldconfig", R_OK) != 0) {
    WARN("skipped: /sbin/ldconfig (static-pie on Debian) not present");
    return;
  }
  UniqueFd fd = OpenFile("/sbin/ldconfig");
  absl::StatusOr<ElfDeps> deps = ResolveElfDeps(fd.get());
  REQUIRE(deps.ok());
  CHECK(deps->interpreter.empty());
  CHECK(deps->libraries.empty());
}

TEST_CASE("a missing library names itself and who needs it") {
  UniqueFd fd = OpenFile(PADDOCK_SANDBOX_PROBE);
  ElfSearch search;
  search.system_dirs = {"/nonexistent"};
  absl::StatusOr<ElfDeps> deps = ResolveElfDeps(fd.get(), search);
  REQUIRE(deps.status().code() == absl::StatusCode::kNotFound);
  CHECK(absl::StrContains(deps.status().message(), "libstdc++.so.6 (needed by image)"));
}

TEST_CASE("files that are not well-formed ELF are refused") {
  for (const std::string& bytes : {std::string("#!/bin/sh\necho hi\n"),
                                   std::string("\x7f"
                                               "ELF",
                                               4),
                                   std::string("\x7f"
                                               "ELF\x01\x01\x01",
                                               7) +
                                       std::string(64, '\0')}) {
    absl::StatusOr<UniqueFd> image = SealedImageFromBytes("bad", bytes);
    REQUIRE(image.ok());
    CHECK(ResolveElfDeps(image->get()).status().code() == absl::StatusCode::kInvalidArgument);
  }
  // A truncated copy of a real image: the header promises more than there is.
  UniqueFd fd = OpenFile(PADDOCK_SANDBOX_PROBE);
  std::string head(64, '\0');
  REQUIRE(::pread(fd.get(), head.data(), head.size(), 0) == 64);
  absl::StatusOr<UniqueFd> truncated = SealedImageFromBytes("truncated", head);
  REQUIRE(truncated.ok());
  CHECK(ResolveElfDeps(truncated->get()).status().code() == absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace paddock::sandbox
