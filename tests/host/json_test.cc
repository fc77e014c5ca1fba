#include "host/json.h"

#include <catch2/catch.hpp>
#include <string>

namespace paddock::host::json {
namespace {

std::string ErrorOf(std::string_view text) {
  absl::StatusOr<Value> v = Parse(text);
  REQUIRE_FALSE(v.ok());
  return std::string(v.status().message());
}

TEST_CASE("json parses every kind of value", "[json]") {
  absl::StatusOr<Value> v =
      Parse(R"( {"a": [1, -2.5e3, true, false, null], "s": "x\u00e9\ud83d\ude00\n", "o": {}} )");
  REQUIRE(v.ok());
  REQUIRE(v->kind == Value::Kind::kObject);
  const Value* a = v->Find("a");
  REQUIRE(a != nullptr);
  REQUIRE(a->array.size() == 5);
  CHECK(a->array[0].number == 1);
  CHECK(a->array[0].number_text == "1");
  CHECK(a->array[1].number == -2500);
  CHECK(a->array[2].boolean);
  CHECK(a->array[4].kind == Value::Kind::kNull);
  CHECK(v->Find("s")->string == "x\xc3\xa9\xf0\x9f\x98\x80\n");
  CHECK(v->Find("o")->kind == Value::Kind::kObject);
  CHECK(v->Find("missing") == nullptr);
  CHECK(a->line == 1);
  CHECK(a->column == 8);
}

TEST_CASE("json keeps big integers exact", "[json]") {
  absl::StatusOr<Value> v = Parse("18446744073709551615");
  REQUIRE(v.ok());
  CHECK(v->number_text == "18446744073709551615");
}

TEST_CASE("json syntax errors say line and column", "[json]") {
  CHECK(ErrorOf("{\n  \"a\": 1,\n  \"b\": }") ==
        "line 3, column 8: unexpected character '}': expected a JSON value");
  CHECK(ErrorOf("") == "line 1, column 1: empty input: expected a JSON value");
  CHECK(ErrorOf("{\"a\": 1,}") == "line 1, column 9: trailing comma in object");
  CHECK(ErrorOf("[1,]") == "line 1, column 4: trailing comma in array");
  CHECK(ErrorOf("{\"a\": 1 \"b\": 2}") ==
        "line 1, column 9: unexpected character '\"': expected ',' or '}'");
  CHECK(ErrorOf("{\"a\": 1, \"a\": 2}") == "line 1, column 10: duplicate member \"a\"");
  CHECK(ErrorOf("{a: 1}") ==
        "line 1, column 2: unexpected character 'a': expected a member name in double quotes");
  CHECK(ErrorOf("[1] x") == "line 1, column 5: unexpected text after the JSON value");
  CHECK(ErrorOf("\"abc") == "line 1, column 5: unterminated string");
  CHECK(ErrorOf("\"a\nb\"") == "line 1, column 3: unterminated string (newline inside a string)");
  CHECK(ErrorOf("\"\\x\"") == "line 1, column 3: invalid escape \\x");
  CHECK(ErrorOf("\"\\ud800\"") ==
        "line 1, column 8: UTF-16 high surrogate not followed by a low surrogate");
  CHECK(ErrorOf("\"\\udc00\"") == "line 1, column 8: lone UTF-16 low surrogate in \\u escape");
  CHECK(ErrorOf("\"\\u12G4\"") == "line 1, column 4: invalid \\u escape: expected 4 hex digits");
  CHECK(ErrorOf("\"\xff\"") == "line 1, column 2: invalid UTF-8 inside a string");
  CHECK(ErrorOf("\"\xc0\xaf\"") == "line 1, column 2: invalid UTF-8 inside a string");
  CHECK(ErrorOf("01") == "line 1, column 2: numbers must not have leading zeros");
  CHECK(ErrorOf("1.") == "line 1, column 3: expected a digit after the decimal point");
  CHECK(ErrorOf("1e") == "line 1, column 3: expected a digit in the exponent");
  CHECK(ErrorOf("-") == "line 1, column 2: expected a digit");
  CHECK(ErrorOf("1e999") == "line 1, column 1: number 1e999 is out of range");
  CHECK(ErrorOf("tru") == "line 1, column 1: invalid literal: expected 'true'");
  CHECK(ErrorOf("// c\n{}") == "line 1, column 1: unexpected character '/': expected a JSON value");
  CHECK(ErrorOf(std::string("\"a\0b\"", 5)) ==
        "line 1, column 3: control character inside a string (escape it as \\u00XX)");
  CHECK(ErrorOf("\x01") == "line 1, column 1: unexpected byte 0x01: expected a JSON value");
}

TEST_CASE("json bounds nesting instead of overflowing the stack", "[json]") {
  std::string deep(100000, '[');
  CHECK(ErrorOf(deep).find("nesting deeper than 64 levels") != std::string::npos);
  std::string ok(64, '[');
  ok += std::string(64, ']');
  CHECK(Parse(ok).ok());
  std::string too_deep(65, '[');
  too_deep += std::string(65, ']');
  CHECK_FALSE(Parse(too_deep).ok());
}

TEST_CASE("json never crashes on any prefix of a valid document", "[json]") {
  const std::string doc =
      R"({"a": [1, 2.5, {"b": "c\u0041\ud83d\ude00"}], "t": true, "n": null, "s": "\\\""})";
  for (size_t i = 0; i < doc.size(); ++i) CHECK_FALSE(Parse(doc.substr(0, i)).ok());
  CHECK(Parse(doc).ok());
}

TEST_CASE("json serializes and round-trips", "[json]") {
  const std::string doc = R"({"a":[1,-2.5,true,null],"s":"q\"\\\n\t\u0001é","o":{}})";
  absl::StatusOr<Value> v = Parse(doc);
  REQUIRE(v.ok());
  CHECK(Serialize(*v) == doc);
  absl::StatusOr<Value> again = Parse(Serialize(*v, 2));
  REQUIRE(again.ok());
  CHECK(Serialize(*again) == doc);
  CHECK(Serialize(Value::Object({{"k", Value::Array({Value::Integer(7)})}}), 2) ==
        "{\n  \"k\": [\n    7\n  ]\n}");
  CHECK(Serialize(Value::Number(0.1)) == "0.1");
}

TEST_CASE("json output is valid UTF-8 even for invalid input strings", "[json]") {
  std::string out;
  AppendQuoted(
      "a\xff"
      "b\x7f",
      &out);
  CHECK(out ==
        "\"a\xef\xbf\xbd"
        "b\\u007f\"");
}

}  // namespace
}  // namespace paddock::host::json
