// Tests of the errno -> Status mapping.
#include "paddock/errno_status.h"

#include <errno.h>

#include <catch2/catch.hpp>
#include <string>

namespace paddock {
namespace {

TEST_CASE("errno maps to absl codes with context, text and name", "[errno]") {
  absl::Status st = ErrnoStatus(ENOENT, "open /etc/x");
  CHECK(st.code() == absl::StatusCode::kNotFound);
  CHECK(std::string(st.message()) == "open /etc/x: No such file or directory (ENOENT)");
  CHECK(ErrnoStatus(EACCES, "x").code() == absl::StatusCode::kPermissionDenied);
  CHECK(ErrnoStatus(EAGAIN, "x").code() == absl::StatusCode::kUnavailable);
}

TEST_CASE("errno 0 and unknown values are still errors", "[errno]") {
  CHECK_FALSE(ErrnoStatus(0, "x").ok());
  absl::Status st = ErrnoStatus(99999, "x");
  CHECK_FALSE(st.ok());
  CHECK(std::string(st.message()).find("99999") != std::string::npos);
}

}  // namespace
}  // namespace paddock
