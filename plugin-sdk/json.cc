// JSON string encoding (see json.h).
#include "plugin-sdk/json.h"

#include <cstdint>

namespace paddock::sdk {
namespace {

bool IsContinuation(unsigned char c) { return (c & 0xC0) == 0x80; }

// Length of the valid UTF-8 sequence starting at in[0], or 0 if it is not valid
// (overlong forms, surrogates and code points above U+10FFFF are invalid).
size_t Utf8SequenceLength(std::string_view in) {
  const auto b = [&](size_t i) { return static_cast<unsigned char>(in[i]); };
  const unsigned char c = b(0);
  size_t len;
  unsigned char lo = 0x80, hi = 0xBF;  // Allowed range of the second byte.
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;  // Excludes UTF-16 surrogates.
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (in.size() < len || b(1) < lo || b(1) > hi) return 0;
  for (size_t i = 2; i < len; ++i) {
    if (!IsContinuation(b(i))) return 0;
  }
  return len;
}

}  // namespace

bool AppendJsonString(std::string* out, std::string_view in, size_t max_bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  // Room for the content between the quotes.
  size_t room = max_bytes < 2 ? 0 : max_bytes - 2;
  out->push_back('"');
  char esc[8];
  size_t i = 0;
  while (i < in.size()) {
    const unsigned char c = static_cast<unsigned char>(in[i]);
    std::string_view piece;
    size_t consumed = 1;
    if (c < 0x80) {
      switch (c) {
        case '"':
          piece = "\\\"";
          break;
        case '\\':
          piece = "\\\\";
          break;
        case '\n':
          piece = "\\n";
          break;
        case '\r':
          piece = "\\r";
          break;
        case '\t':
          piece = "\\t";
          break;
        case '\b':
          piece = "\\b";
          break;
        case '\f':
          piece = "\\f";
          break;
        default:
          if (c < 0x20 || c == 0x7F) {
            esc[0] = '\\', esc[1] = 'u', esc[2] = '0', esc[3] = '0';
            esc[4] = kHex[c >> 4], esc[5] = kHex[c & 0xF];
            piece = std::string_view(esc, 6);
          } else {
            piece = in.substr(i, 1);
          }
      }
    } else if (size_t len = Utf8SequenceLength(in.substr(i)); len == 0) {
      piece = "\\ufffd";
    } else {
      consumed = len;
      piece = in.substr(i, len);
      // U+2028/U+2029 are valid JSON but break JavaScript string literals.
      if (piece == "\xE2\x80\xA8") piece = "\\u2028";
      if (piece == "\xE2\x80\xA9") piece = "\\u2029";
    }
    if (piece.size() > room) {
      out->push_back('"');
      return false;
    }
    out->append(piece);
    room -= piece.size();
    i += consumed;
  }
  out->push_back('"');
  return true;
}

}  // namespace paddock::sdk
