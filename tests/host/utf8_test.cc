#include "host/utf8.h"

#include <catch2/catch.hpp>
#include <string>

namespace paddock::host {
namespace {

TEST_CASE("utf8 validation follows RFC 3629", "[utf8]") {
  CHECK(IsValidUtf8(""));
  CHECK(IsValidUtf8("plain ascii"));
  CHECK(IsValidUtf8("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"));
  CHECK(IsValidUtf8(std::string("a\0b", 3)));    // NUL is valid UTF-8.
  CHECK_FALSE(IsValidUtf8("\xc0\xaf"));          // Overlong '/'.
  CHECK_FALSE(IsValidUtf8("\xe0\x80\xaf"));      // Overlong 3-byte.
  CHECK_FALSE(IsValidUtf8("\xed\xa0\x80"));      // UTF-16 surrogate.
  CHECK_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // Past U+10FFFF.
  CHECK_FALSE(IsValidUtf8("\xf5\x80\x80\x80"));
  CHECK_FALSE(IsValidUtf8("\xe2\x82"));  // Truncated.
  CHECK_FALSE(IsValidUtf8("\x80"));      // Lone continuation.
}

TEST_CASE("SanitizeText always yields valid UTF-8 without control characters", "[utf8]") {
  CHECK(SanitizeText("hello\tworld") == "hello\tworld");
  CHECK(SanitizeText(std::string("a\0b", 3)) == "a\\x00b");
  CHECK(SanitizeText("\x1b[31mred") == "\\x1b[31mred");
  CHECK(SanitizeText("bad\xff") == "bad\xef\xbf\xbd");
  CHECK(SanitizeText("\xc2\x9b") == "\\x9b");  // C1 CSI.
  CHECK(SanitizeText("\xc3\xa9") == "\xc3\xa9");
  CHECK(SanitizeText("\xe2\x82") == "\xef\xbf\xbd\xef\xbf\xbd");
  // Every single byte and every pair of bytes sanitizes to valid UTF-8.
  for (int a = 0; a < 256; ++a) {
    for (int b = 0; b < 256; b += 7) {
      const std::string in{static_cast<char>(a), static_cast<char>(b)};
      const std::string out = SanitizeText(in);
      REQUIRE(IsValidUtf8(out));
    }
  }
}

}  // namespace
}  // namespace paddock::host
