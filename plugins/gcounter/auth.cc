#include "auth.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/params.h>

#include <cstring>

#include "absl/strings/str_cat.h"

namespace paddock::gcounter {
namespace {

struct EvpMacFree {
  void operator()(EVP_MAC* m) const { EVP_MAC_free(m); }
};

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Authenticator>> Authenticator::Create(
    std::vector<std::string> keys) {
  if (keys.empty()) return absl::InvalidArgumentError("no cluster key");
  std::unique_ptr<EVP_MAC, EvpMacFree> mac(EVP_MAC_fetch(nullptr, "HMAC", nullptr));
  if (!mac) return absl::InternalError("OpenSSL has no HMAC");
  std::vector<EvpMacCtxPtr> ctxs;
  for (size_t i = 0; i < keys.size(); ++i) {
    std::string& key = keys[i];
    if (key.size() < kMinKeyBytes) {
      return absl::InvalidArgumentError(absl::StrCat("cluster key ", i, " is ", key.size(),
                                                     " bytes; at least ", kMinKeyBytes,
                                                     " are required"));
    }
    EvpMacCtxPtr ctx(EVP_MAC_CTX_new(mac.get()));
    if (!ctx) return absl::InternalError("EVP_MAC_CTX_new failed");
    char digest[] = "SHA256";
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
        OSSL_PARAM_construct_end(),
    };
    int rc = EVP_MAC_init(ctx.get(), reinterpret_cast<const unsigned char*>(key.data()), key.size(),
                          params);
    OPENSSL_cleanse(key.data(), key.size());
    if (rc != 1) return absl::InternalError("EVP_MAC_init(HMAC-SHA256) failed");
    ctxs.push_back(std::move(ctx));
  }
  return std::unique_ptr<Authenticator>(new Authenticator(std::move(ctxs)));
}

bool Authenticator::Mac(size_t i, std::string_view data, unsigned char* out) {
  EVP_MAC_CTX* ctx = ctxs_[i].get();
  // A NULL key re-initialises HMAC with the key already set (OpenSSL 3.0 hmac_init).
  if (EVP_MAC_init(ctx, nullptr, 0, nullptr) != 1) return false;
  if (EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1) {
    return false;
  }
  size_t len = 0;
  return EVP_MAC_final(ctx, out, &len, 32) == 1 && len == 32;
}

void Authenticator::Sign(std::string* packet) {
  unsigned char tag[32];
  if (!Mac(0, *packet, tag)) {
    // Without a tag the packet is worthless; a zero tag makes every receiver drop it.
    std::memset(tag, 0, sizeof(tag));
  }
  packet->append(reinterpret_cast<const char*>(tag), kTagBytes);
}

bool Authenticator::Verify(std::string_view packet) {
  if (packet.size() < kTagBytes) return false;
  std::string_view body = packet.substr(0, packet.size() - kTagBytes);
  const char* tag = packet.data() + body.size();
  for (size_t i = 0; i < ctxs_.size(); ++i) {
    unsigned char want[32];
    if (!Mac(i, body, want)) continue;
    if (CRYPTO_memcmp(want, tag, kTagBytes) == 0) return true;
  }
  return false;
}

absl::StatusOr<std::string> ParseHexKey(std::string_view hex) {
  if (hex.size() % 2 != 0) return absl::InvalidArgumentError("hex key has an odd length");
  if (hex.size() < 2 * kMinKeyBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("hex key too short: at least ", 2 * kMinKeyBytes, " hex digits"));
  }
  std::string out(hex.size() / 2, '\0');
  for (size_t i = 0; i < out.size(); ++i) {
    int hi = HexValue(hex[2 * i]), lo = HexValue(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return absl::InvalidArgumentError("hex key has a non-hex character");
    out[i] = static_cast<char>(hi * 16 + lo);
  }
  return out;
}

}  // namespace paddock::gcounter
