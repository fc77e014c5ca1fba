// Minimal JSON string encoding for the SDK's log lines and manifest printing.
#pragma once

#include <cstddef>
#include <limits>
#include <string>
#include <string_view>

namespace paddock::sdk {

// Appends `in` to `*out` as a quoted JSON string. `in` is arbitrary bytes: valid UTF-8
// passes through; each byte of an invalid sequence becomes \ufffd; control characters,
// DEL, U+2028 and U+2029 are escaped. At most `max_bytes` bytes (quotes included, at least
// 2) are appended; the string is cut at a character boundary, never inside an escape.
// Returns false if `in` had to be cut.
bool AppendJsonString(std::string* out, std::string_view in,
                      size_t max_bytes = std::numeric_limits<size_t>::max());

}  // namespace paddock::sdk
