#include "host/json.h"

#include <charconv>
#include <cmath>
#include <string>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "host/string_view_compat.h"
#include "host/utf8.h"

namespace paddock::host::json {
namespace {

class Parser {
 public:
  Parser(std::string_view text, const ParseOptions& options) : text_(text), options_(options) {}

  absl::StatusOr<Value> ParseDocument() {
    SkipWhitespace();
    if (AtEnd()) return Error("empty input: expected a JSON value");
    Value v;
    if (absl::Status s = ParseValue(0, &v); !s.ok()) return s;
    SkipWhitespace();
    if (!AtEnd()) return Error("unexpected text after the JSON value");
    return v;
  }

 private:
  bool AtEnd() const { return pos_ >= text_.size(); }
  char Peek() const { return text_[pos_]; }
  uint32_t Column() const { return static_cast<uint32_t>(pos_ - line_start_ + 1); }

  absl::Status Error(absl::string_view what) const {
    return absl::InvalidArgumentError(
        absl::StrCat("line ", line_, ", column ", Column(), ": ", what));
  }

  void SkipWhitespace() {
    while (!AtEnd()) {
      const char c = Peek();
      if (c == '\n') {
        ++line_;
        line_start_ = pos_ + 1;
      } else if (c != ' ' && c != '\t' && c != '\r') {
        return;
      }
      ++pos_;
    }
  }

  absl::Status ParseValue(size_t depth, Value* out) {
    out->line = line_;
    out->column = Column();
    switch (Peek()) {
      case 'n':
        return ParseLiteral("null", out, Value::Kind::kNull, false);
      case 't':
        return ParseLiteral("true", out, Value::Kind::kBool, true);
      case 'f':
        return ParseLiteral("false", out, Value::Kind::kBool, false);
      case '"':
        out->kind = Value::Kind::kString;
        return ParseString(&out->string);
      case '[':
        return ParseArray(depth + 1, out);
      case '{':
        return ParseObject(depth + 1, out);
      default:
        if (Peek() == '-' || (Peek() >= '0' && Peek() <= '9')) return ParseNumber(out);
        return Error(absl::StrCat("unexpected ", Describe(Peek()), ": expected a JSON value"));
    }
  }

  static std::string Describe(char c) {
    const auto u = static_cast<unsigned char>(c);
    if (u > 0x20 && u < 0x7F) return absl::StrCat("character '", std::string(1, c), "'");
    return absl::StrCat("byte 0x", absl::Hex(u, absl::kZeroPad2));
  }

  absl::Status ParseLiteral(absl::string_view word, Value* out, Value::Kind kind, bool b) {
    if (ToAbsl(text_.substr(pos_, word.size())) != word) {
      return Error(absl::StrCat("invalid literal: expected '", word, "'"));
    }
    pos_ += word.size();
    out->kind = kind;
    out->boolean = b;
    return absl::OkStatus();
  }

  absl::Status ParseNumber(Value* out) {
    const size_t start = pos_;
    const auto digits = [&] {
      const size_t from = pos_;
      while (!AtEnd() && Peek() >= '0' && Peek() <= '9') ++pos_;
      return pos_ - from;
    };
    if (Peek() == '-') ++pos_;
    if (AtEnd() || !(Peek() >= '0' && Peek() <= '9')) return Error("expected a digit");
    if (Peek() == '0') {
      ++pos_;
      if (!AtEnd() && Peek() >= '0' && Peek() <= '9') {
        return Error("numbers must not have leading zeros");
      }
    } else {
      digits();
    }
    if (!AtEnd() && Peek() == '.') {
      ++pos_;
      if (digits() == 0) return Error("expected a digit after the decimal point");
    }
    if (!AtEnd() && (Peek() == 'e' || Peek() == 'E')) {
      ++pos_;
      if (!AtEnd() && (Peek() == '+' || Peek() == '-')) ++pos_;
      if (digits() == 0) return Error("expected a digit in the exponent");
    }
    const std::string_view literal = text_.substr(start, pos_ - start);
    double d = 0;
    const auto [end, ec] = std::from_chars(literal.data(), literal.data() + literal.size(), d);
    if (ec != std::errc() || end != literal.data() + literal.size() || !std::isfinite(d)) {
      pos_ = start;
      return Error(absl::StrCat("number ", ToAbsl(literal), " is out of range"));
    }
    out->kind = Value::Kind::kNumber;
    out->number = d;
    out->number_text = std::string(literal);
    return absl::OkStatus();
  }

  // Reads 4 hex digits after "\u".
  absl::Status ParseHex4(char32_t* out) {
    if (text_.size() - pos_ < 4) return Error("truncated \\u escape");
    char32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = text_[pos_ + i];
      v <<= 4;
      if (c >= '0' && c <= '9') {
        v |= static_cast<char32_t>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        v |= static_cast<char32_t>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        v |= static_cast<char32_t>(c - 'A' + 10);
      } else {
        return Error("invalid \\u escape: expected 4 hex digits");
      }
    }
    pos_ += 4;
    *out = v;
    return absl::OkStatus();
  }

  absl::Status ParseEscape(std::string* out) {
    if (AtEnd()) return Error("unterminated string");
    const char c = Peek();
    ++pos_;
    switch (c) {
      case '"':
      case '\\':
      case '/':
        out->push_back(c);
        return absl::OkStatus();
      case 'b':
        out->push_back('\b');
        return absl::OkStatus();
      case 'f':
        out->push_back('\f');
        return absl::OkStatus();
      case 'n':
        out->push_back('\n');
        return absl::OkStatus();
      case 'r':
        out->push_back('\r');
        return absl::OkStatus();
      case 't':
        out->push_back('\t');
        return absl::OkStatus();
      case 'u':
        break;
      default:
        --pos_;
        return Error(absl::StrCat("invalid escape \\", std::string(1, c)));
    }
    char32_t cp = 0;
    if (absl::Status s = ParseHex4(&cp); !s.ok()) return s;
    if (cp >= 0xDC00 && cp <= 0xDFFF) return Error("lone UTF-16 low surrogate in \\u escape");
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      if (text_.substr(pos_, 2) != "\\u") {
        return Error("UTF-16 high surrogate not followed by a low surrogate");
      }
      pos_ += 2;
      char32_t low = 0;
      if (absl::Status s = ParseHex4(&low); !s.ok()) return s;
      if (low < 0xDC00 || low > 0xDFFF) {
        return Error("UTF-16 high surrogate not followed by a low surrogate");
      }
      cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
    }
    AppendUtf8(cp, out);
    return absl::OkStatus();
  }

  // At the opening quote; leaves pos_ after the closing quote.
  absl::Status ParseString(std::string* out) {
    ++pos_;
    while (true) {
      if (AtEnd()) return Error("unterminated string");
      const auto c = static_cast<unsigned char>(Peek());
      if (c == '"') {
        ++pos_;
        return absl::OkStatus();
      }
      if (c == '\\') {
        ++pos_;
        if (absl::Status s = ParseEscape(out); !s.ok()) return s;
        continue;
      }
      if (c < 0x20) {
        return Error(c == '\n' ? "unterminated string (newline inside a string)"
                               : "control character inside a string (escape it as \\u00XX)");
      }
      const size_t n = Utf8SequenceLength(text_, pos_);
      if (n == 0) return Error("invalid UTF-8 inside a string");
      out->append(text_.substr(pos_, n));
      pos_ += n;
    }
  }

  absl::Status CheckDepth(size_t depth) const {
    if (depth > options_.max_depth) {
      return Error(absl::StrCat("nesting deeper than ", options_.max_depth, " levels"));
    }
    return absl::OkStatus();
  }

  absl::Status ParseArray(size_t depth, Value* out) {
    if (absl::Status s = CheckDepth(depth); !s.ok()) return s;
    out->kind = Value::Kind::kArray;
    ++pos_;
    SkipWhitespace();
    if (!AtEnd() && Peek() == ']') {
      ++pos_;
      return absl::OkStatus();
    }
    while (true) {
      SkipWhitespace();
      if (AtEnd()) return Error("unterminated array: expected a value");
      if (Peek() == ']') return Error("trailing comma in array");
      Value item;
      if (absl::Status s = ParseValue(depth, &item); !s.ok()) return s;
      out->array.push_back(std::move(item));
      SkipWhitespace();
      if (AtEnd()) return Error("unterminated array: expected ',' or ']'");
      if (Peek() == ']') {
        ++pos_;
        return absl::OkStatus();
      }
      if (Peek() != ',') {
        return Error(absl::StrCat("unexpected ", Describe(Peek()), ": expected ',' or ']'"));
      }
      ++pos_;
    }
  }

  absl::Status ParseObject(size_t depth, Value* out) {
    if (absl::Status s = CheckDepth(depth); !s.ok()) return s;
    out->kind = Value::Kind::kObject;
    ++pos_;
    absl::flat_hash_set<std::string> keys;
    SkipWhitespace();
    if (!AtEnd() && Peek() == '}') {
      ++pos_;
      return absl::OkStatus();
    }
    while (true) {
      SkipWhitespace();
      if (AtEnd()) return Error("unterminated object: expected a member name");
      if (Peek() == '}') return Error("trailing comma in object");
      if (Peek() != '"') {
        return Error(absl::StrCat("unexpected ", Describe(Peek()),
                                  ": expected a member name in double quotes"));
      }
      const uint32_t key_line = line_;
      const uint32_t key_column = Column();
      Member m;
      if (absl::Status s = ParseString(&m.key); !s.ok()) return s;
      if (!keys.insert(m.key).second) {
        return absl::InvalidArgumentError(absl::StrCat("line ", key_line, ", column ", key_column,
                                                       ": duplicate member \"", SanitizeText(m.key),
                                                       "\""));
      }
      SkipWhitespace();
      if (AtEnd() || Peek() != ':') return Error("expected ':' after the member name");
      ++pos_;
      SkipWhitespace();
      if (AtEnd()) return Error("unterminated object: expected a value");
      if (absl::Status s = ParseValue(depth, &m.value); !s.ok()) return s;
      out->object.push_back(std::move(m));
      SkipWhitespace();
      if (AtEnd()) return Error("unterminated object: expected ',' or '}'");
      if (Peek() == '}') {
        ++pos_;
        return absl::OkStatus();
      }
      if (Peek() != ',') {
        return Error(absl::StrCat("unexpected ", Describe(Peek()), ": expected ',' or '}'"));
      }
      ++pos_;
    }
  }

  std::string_view text_;
  const ParseOptions& options_;
  size_t pos_ = 0;
  uint32_t line_ = 1;
  size_t line_start_ = 0;
};

void AppendNumber(const Value& v, std::string* out) {
  if (!v.number_text.empty()) {
    out->append(v.number_text);
    return;
  }
  if (!std::isfinite(v.number)) {
    out->append("null");  // JSON has no NaN or infinity.
    return;
  }
  char buf[64];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v.number);
  out->append(buf, ec == std::errc() ? end : buf);
}

void Write(const Value& v, int indent, int level, std::string* out) {
  const auto newline = [&](int lvl) {
    if (indent <= 0) return;
    out->push_back('\n');
    out->append(static_cast<size_t>(indent * lvl), ' ');
  };
  switch (v.kind) {
    case Value::Kind::kNull:
      out->append("null");
      return;
    case Value::Kind::kBool:
      out->append(v.boolean ? "true" : "false");
      return;
    case Value::Kind::kNumber:
      AppendNumber(v, out);
      return;
    case Value::Kind::kString:
      AppendQuoted(v.string, out);
      return;
    case Value::Kind::kArray:
      if (v.array.empty()) {
        out->append("[]");
        return;
      }
      out->push_back('[');
      for (size_t i = 0; i < v.array.size(); ++i) {
        if (i > 0) out->push_back(',');
        newline(level + 1);
        Write(v.array[i], indent, level + 1, out);
      }
      newline(level);
      out->push_back(']');
      return;
    case Value::Kind::kObject:
      if (v.object.empty()) {
        out->append("{}");
        return;
      }
      out->push_back('{');
      for (size_t i = 0; i < v.object.size(); ++i) {
        if (i > 0) out->push_back(',');
        newline(level + 1);
        AppendQuoted(v.object[i].key, out);
        out->append(indent > 0 ? ": " : ":");
        Write(v.object[i].value, indent, level + 1, out);
      }
      newline(level);
      out->push_back('}');
      return;
  }
}

}  // namespace

const Value* Value::Find(std::string_view key) const {
  for (const Member& m : object) {
    if (m.key == key) return &m.value;
  }
  return nullptr;
}

std::string_view Value::KindName() const {
  switch (kind) {
    case Kind::kNull:
      return "null";
    case Kind::kBool:
      return "a boolean";
    case Kind::kNumber:
      return "a number";
    case Kind::kString:
      return "a string";
    case Kind::kArray:
      return "an array";
    case Kind::kObject:
      return "an object";
  }
  return "?";
}

std::string Value::Where() const {
  if (line == 0) return "";
  return absl::StrCat("line ", line, ", column ", column);
}

Value Value::Null() { return Value(); }

Value Value::Bool(bool b) {
  Value v;
  v.kind = Kind::kBool;
  v.boolean = b;
  return v;
}

Value Value::Number(double d) {
  Value v;
  v.kind = Kind::kNumber;
  v.number = d;
  return v;
}

Value Value::Integer(uint64_t u) {
  Value v = Number(static_cast<double>(u));
  v.number_text = absl::StrCat(u);
  return v;
}

Value Value::String(std::string s) {
  Value v;
  v.kind = Kind::kString;
  v.string = std::move(s);
  return v;
}

Value Value::Array() { return Array(std::vector<Value>()); }

Value Value::Object() { return Object(std::vector<Member>()); }

Value Value::Array(std::vector<Value> items) {
  Value v;
  v.kind = Kind::kArray;
  v.array = std::move(items);
  return v;
}

Value Value::Object(std::vector<Member> members) {
  Value v;
  v.kind = Kind::kObject;
  v.object = std::move(members);
  return v;
}

absl::StatusOr<Value> Parse(std::string_view text, const ParseOptions& options) {
  return Parser(text, options).ParseDocument();
}

std::string Serialize(const Value& v, int indent) {
  std::string out;
  Write(v, indent, 0, &out);
  return out;
}

void AppendQuoted(std::string_view s, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      const size_t n = Utf8SequenceLength(s, i);
      if (n == 0) {
        AppendUtf8(0xFFFD, out);
        ++i;
      } else {
        out->append(s.substr(i, n));
        i += n;
      }
      continue;
    }
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        if (c < 0x20 || c == 0x7F) {
          out->append("\\u00");
          out->push_back(kHex[c >> 4]);
          out->push_back(kHex[c & 0xF]);
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
    ++i;
  }
  out->push_back('"');
}

}  // namespace paddock::host::json
