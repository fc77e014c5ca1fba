#include "host/utf8.h"

#include <cstdint>

namespace paddock::host {

size_t Utf8SequenceLength(std::string_view s, size_t pos) {
  const auto byte = [&](size_t i) { return static_cast<uint8_t>(s[i]); };
  const size_t left = s.size() - pos;
  const uint8_t b0 = byte(pos);
  if (b0 < 0x80) return 1;
  const auto cont = [&](size_t i) { return (byte(pos + i) & 0xC0) == 0x80; };
  if (b0 >= 0xC2 && b0 <= 0xDF) return left >= 2 && cont(1) ? 2 : 0;
  if (b0 >= 0xE0 && b0 <= 0xEF) {
    if (left < 3) return 0;
    const uint8_t b1 = byte(pos + 1);
    // E0 needs A0..BF (no overlong forms), ED needs 80..9F (no UTF-16 surrogates).
    const uint8_t lo = b0 == 0xE0 ? 0xA0 : 0x80;
    const uint8_t hi = b0 == 0xED ? 0x9F : 0xBF;
    return b1 >= lo && b1 <= hi && cont(2) ? 3 : 0;
  }
  if (b0 >= 0xF0 && b0 <= 0xF4) {
    if (left < 4) return 0;
    const uint8_t b1 = byte(pos + 1);
    // F0 needs 90..BF (no overlong forms), F4 needs 80..8F (nothing past U+10FFFF).
    const uint8_t lo = b0 == 0xF0 ? 0x90 : 0x80;
    const uint8_t hi = b0 == 0xF4 ? 0x8F : 0xBF;
    return b1 >= lo && b1 <= hi && cont(2) && cont(3) ? 4 : 0;
  }
  return 0;
}

bool IsValidUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const size_t n = Utf8SequenceLength(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

void AppendUtf8(char32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

std::string SanitizeText(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  const auto append_escape = [](unsigned v, std::string* out) {
    out->append("\\x");
    out->push_back(kHex[(v >> 4) & 0xF]);
    out->push_back(kHex[v & 0xF]);
  };
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    const size_t n = Utf8SequenceLength(s, i);
    const auto b0 = static_cast<uint8_t>(s[i]);
    if (n == 0) {
      AppendUtf8(0xFFFD, &out);
      ++i;
      continue;
    }
    if (n == 1) {
      if ((b0 < 0x20 && b0 != '\t') || b0 == 0x7F) {
        append_escape(b0, &out);
      } else {
        out.push_back(static_cast<char>(b0));
      }
    } else if (n == 2 && b0 == 0xC2 && static_cast<uint8_t>(s[i + 1]) < 0xA0) {
      // C1 controls U+0080..U+009F (U+009B is a CSI on some terminals).
      append_escape(static_cast<uint8_t>(s[i + 1]), &out);
    } else {
      out.append(s.substr(i, n));
    }
    i += n;
  }
  return out;
}

}  // namespace paddock::host
