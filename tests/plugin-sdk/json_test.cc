// Tests of the JSON string encoder behind the log lines.
#include "plugin-sdk/json.h"

#include <catch2/catch.hpp>
#include <string>

namespace paddock::sdk {
namespace {

std::string Json(std::string_view in, size_t max = std::string::npos) {
  std::string out;
  AppendJsonString(&out, in, max);
  return out;
}

TEST_CASE("plain text and valid UTF-8 pass through", "[json]") {
  CHECK(Json("hello") == R"("hello")");
  CHECK(Json("") == R"("")");
  CHECK(Json("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x90\x8E") ==
        "\"caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x90\x8E\"");
}

TEST_CASE("quotes, backslashes and control characters are escaped", "[json]") {
  CHECK(Json("a\"b\\c") == R"("a\"b\\c")");
  CHECK(Json("\n\r\t\b\f") == R"("\n\r\t\b\f")");
  CHECK(Json(std::string("\0\x01\x1f\x7f", 4)) == R"("\u0000\u0001\u001f\u007f")");
  CHECK(Json("\xE2\x80\xA8\xE2\x80\xA9") == R"("\u2028\u2029")");
}

TEST_CASE("invalid UTF-8 becomes U+FFFD per bad byte", "[json]") {
  CHECK(Json("\xff") == R"("\ufffd")");
  CHECK(Json("a\x80z") == R"("a\ufffdz")");
  CHECK(Json("\xC3") == R"("\ufffd")");                                // Truncated sequence.
  CHECK(Json("\xC0\xAF") == R"("\ufffd\ufffd")");                      // Overlong '/'.
  CHECK(Json("\xED\xA0\x80") == R"("\ufffd\ufffd\ufffd")");            // UTF-16 surrogate.
  CHECK(Json("\xF4\x90\x80\x80") == R"("\ufffd\ufffd\ufffd\ufffd")");  // > U+10FFFF.
  CHECK(Json("\xE2\x82z") == R"("\ufffd\ufffdz")");
}

TEST_CASE("every byte value yields valid, escaped output", "[json]") {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  std::string out = Json(all);
  REQUIRE(out.front() == '"');
  REQUIRE(out.back() == '"');
  for (size_t i = 1; i + 1 < out.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(out[i]);
    CHECK(c >= 0x20);
    CHECK(c < 0x80);  // Everything above ASCII in this input is invalid UTF-8 on its own.
    if (c == '"') CHECK(out[i - 1] == '\\');
  }
}

TEST_CASE("cutting stops at a character boundary", "[json]") {
  std::string out;
  CHECK_FALSE(AppendJsonString(&out, "abcdef", 5));
  CHECK(out == R"("abc")");
  out.clear();
  CHECK_FALSE(AppendJsonString(&out, "a\nb", 4));  // "\n" would not fit after 'a'.
  CHECK(out == R"("a")");
  out.clear();
  CHECK_FALSE(AppendJsonString(&out, "\xE2\x82\xAC\xE2\x82\xAC", 6));
  CHECK(out == "\"\xE2\x82\xAC\"");
  out.clear();
  CHECK(AppendJsonString(&out, "abc", 5));
  CHECK(out == R"("abc")");
}

}  // namespace
}  // namespace paddock::sdk
