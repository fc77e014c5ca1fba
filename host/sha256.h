// SHA-256 as lowercase hex, for config sources and plugin binaries (OpenSSL EVP).
#pragma once

#include <string>
#include <string_view>

namespace paddock::host {

// Returns the SHA-256 of `bytes` as 64 lowercase hex digits.
std::string Sha256Hex(std::string_view bytes);

}  // namespace paddock::host
