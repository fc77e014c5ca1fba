// Packet authentication: HMAC-SHA256 truncated to 128 bits (as in RFC 4868's
// HMAC-SHA-256-128) with the cluster key, computed by OpenSSL 3's EVP_MAC.
#pragma once

#include <openssl/evp.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace paddock::gcounter {

// Bytes of the tag appended to every packet.
inline constexpr size_t kTagBytes = 16;
// Shortest accepted cluster key, in bytes.
inline constexpr size_t kMinKeyBytes = 16;

struct EvpMacCtxFree {
  void operator()(EVP_MAC_CTX* c) const { EVP_MAC_CTX_free(c); }
};
using EvpMacCtxPtr = std::unique_ptr<EVP_MAC_CTX, EvpMacCtxFree>;

// Signs with the first key and verifies against every key, so a cluster can rotate keys:
// add the new key second everywhere, then first everywhere, then drop the old one.
// Not thread-safe (each key keeps one reusable OpenSSL context).
class Authenticator {
 public:
  // `keys` are raw key bytes (each at least kMinKeyBytes). InvalidArgument when empty or
  // short; Internal when OpenSSL cannot set up HMAC-SHA256.
  static absl::StatusOr<std::unique_ptr<Authenticator>> Create(std::vector<std::string> keys);

  // Appends the tag of `packet` (everything written so far) to it.
  void Sign(std::string* packet);
  // True when the last kTagBytes of `packet` are a valid tag, under any key, of the bytes
  // before them. Constant-time comparison.
  bool Verify(std::string_view packet);

 private:
  explicit Authenticator(std::vector<EvpMacCtxPtr> ctxs) : ctxs_(std::move(ctxs)) {}
  // Computes the full tag of `data` under key `i` into `out` (32 bytes). False on an
  // OpenSSL failure (treated as "does not verify").
  bool Mac(size_t i, std::string_view data, unsigned char* out);

  std::vector<EvpMacCtxPtr> ctxs_;
};

// Parses a key given as hex (even number of digits, at least 2*kMinKeyBytes).
absl::StatusOr<std::string> ParseHexKey(std::string_view hex);

}  // namespace paddock::gcounter
