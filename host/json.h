// A small, strict JSON reader and writer for the host's own inputs (the config file and the
// structured log lines plugins write). Why not protobuf's JSON parser: it reports neither
// line nor column, accepts duplicate keys and a bare string for a list, and names map
// entries "plugins[0].value"; the host owes its users better errors than that.
//
// Strict RFC 8259: one value, no comments, no trailing commas, no duplicate keys, strings
// must be valid UTF-8 (escapes included: lone surrogates are refused), nesting is bounded.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace paddock::host::json {

struct Member;

// One JSON value. Plain data; copyable.
struct Value {
  enum class Kind { kNull, kBool, kNumber, kString, kArray, kObject };

  Kind kind = Kind::kNull;
  bool boolean = false;
  // kNumber: the value as a double, and its exact source text (so 64-bit integers survive).
  double number = 0;
  std::string number_text;
  // kString: the decoded string (valid UTF-8, may contain NUL).
  std::string string;
  std::vector<Value> array;
  // kObject: members in source order; keys are unique.
  std::vector<Member> object;
  // 1-based position of the value's first character in the source (0 when built in code).
  uint32_t line = 0;
  uint32_t column = 0;

  // Returns the member named `key`, or nullptr (also when this is not an object).
  const Value* Find(std::string_view key) const;
  // "null", "a boolean", "a number", "a string", "an array", "an object".
  std::string_view KindName() const;
  // "line L, column C", or "" when the position is unknown.
  std::string Where() const;

  static Value Null();
  static Value Bool(bool b);
  static Value Number(double d);
  // An integral number written exactly (no double rounding).
  static Value Integer(uint64_t u);
  static Value String(std::string s);
  // (Overloads, not default arguments: a `= {}` default of a vector of the incomplete
  // Member makes clang 14 with libstdc++ 12 instantiate ~Member too early.)
  static Value Array();
  static Value Array(std::vector<Value> items);
  static Value Object();
  static Value Object(std::vector<Member> members);
};

// One member of an object.
struct Member {
  std::string key;
  Value value;
};

// Limits on what Parse accepts.
struct ParseOptions {
  size_t max_depth = 64;  // Nesting of arrays and objects.
};

// Parses exactly one JSON value (surrounded by optional whitespace). Errors say where:
// "line 3, column 7: expected ',' or '}' after an object member".
absl::StatusOr<Value> Parse(std::string_view text, const ParseOptions& options = {});

// Writes `v` as JSON. indent == 0 writes one line with no spaces; indent > 0 pretty-prints
// with that many spaces per level. Strings are escaped so the output is valid UTF-8 JSON.
std::string Serialize(const Value& v, int indent = 0);

// Appends `s` as a quoted JSON string to `out`. Bytes that are not valid UTF-8 become
// U+FFFD, so the output is always valid.
void AppendQuoted(std::string_view s, std::string* out);

}  // namespace paddock::host::json
