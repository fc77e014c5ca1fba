// UTF-8 checks and repair for text that comes from outside (plugin output, config files).
// Protobuf string fields must hold valid UTF-8, and a terminal must not be steered by a
// plugin's bytes, so everything shown to users passes through SanitizeText first.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace paddock::host {

// Returns the length (1-4) of the well-formed UTF-8 sequence starting at s[pos], or 0 when
// the bytes there are not one (overlong forms, surrogates and code points past U+10FFFF
// are not well-formed). pos must be < s.size().
size_t Utf8SequenceLength(std::string_view s, size_t pos);

// True when all of `s` is well-formed UTF-8.
bool IsValidUtf8(std::string_view s);

// Appends the UTF-8 encoding of code point `cp` (must be <= 0x10FFFF and not a surrogate).
void AppendUtf8(char32_t cp, std::string* out);

// Returns `s` made safe to store and print: every byte that is not part of well-formed
// UTF-8 becomes U+FFFD, and control characters other than tab (C0, DEL, C1, NUL
// included) are written as the four ASCII characters "\xNN". The result is valid UTF-8.
std::string SanitizeText(std::string_view s);

}  // namespace paddock::host
