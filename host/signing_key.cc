#include "host/signing_key.h"

#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "host/file_util.h"
#include "host/sha256.h"
#include "host/string_view_compat.h"
#include "paddock/errno_status.h"
#include "paddock/fd.h"

namespace paddock::host {
namespace {

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;
struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
};
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree>;

// The most recent OpenSSL error as text (and clears the queue).
std::string OpenSslError() {
  unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "unknown OpenSSL error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof(buf));
  return buf;
}

std::string BioText(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  return n > 0 ? std::string(data, static_cast<size_t>(n)) : std::string();
}

absl::Status RequireEd25519(EVP_PKEY* key, std::string_view source) {
  if (EVP_PKEY_get_id(key) != EVP_PKEY_ED25519) {
    return absl::InvalidArgumentError(
        absl::StrCat(ToAbsl(source), ": not an Ed25519 key (paddock signs with Ed25519 only)"));
  }
  return absl::OkStatus();
}

// Creates `path` (never replacing a file) with `mode` and writes `text` to it.
absl::Status WriteNewFile(const std::string& path, const std::string& text, mode_t mode) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode));
  if (!fd) return ErrnoStatus(errno, absl::StrCat("create ", path));
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd.get(), text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoStatus(errno, absl::StrCat("write ", path));
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd.get()) != 0) return ErrnoStatus(errno, absl::StrCat("fsync ", path));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<EvpPkeyPtr> NewSigningKey() {
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nullptr));
  EVP_PKEY* raw = nullptr;
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1 || EVP_PKEY_keygen(ctx.get(), &raw) != 1) {
    return absl::InternalError(absl::StrCat("Ed25519 key generation: ", OpenSslError()));
  }
  return EvpPkeyPtr(raw);
}

absl::Status GenerateSigningKey(const std::string& prefix) {
  const std::string key_path = prefix + ".key";
  const std::string pub_path = prefix + ".pub";
  for (const std::string& p : {key_path, pub_path}) {
    if (::access(p.c_str(), F_OK) == 0) {
      return absl::AlreadyExistsError(absl::StrCat(p, " exists; not overwriting a key"));
    }
  }
  absl::StatusOr<EvpPkeyPtr> key = NewSigningKey();
  if (!key.ok()) return key.status();
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio ||
      PEM_write_bio_PrivateKey(bio.get(), key->get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return absl::InternalError(absl::StrCat("encoding the private key: ", OpenSslError()));
  }
  absl::StatusOr<std::string> pub = PublicKeyPem(key->get());
  if (!pub.ok()) return pub.status();
  if (absl::Status s = WriteNewFile(key_path, BioText(bio.get()), 0600); !s.ok()) return s;
  if (absl::Status s = WriteNewFile(pub_path, *pub, 0644); !s.ok()) {
    ::unlink(key_path.c_str());  // No private key without its public half.
    return s;
  }
  return absl::OkStatus();
}

absl::StatusOr<EvpPkeyPtr> LoadPrivateKey(const std::string& path) {
  absl::StatusOr<std::string> pem = ReadRegularFile(path, kMaxKeyFileBytes);
  if (!pem.ok()) return pem.status();
  BioPtr bio(BIO_new_mem_buf(pem->data(), static_cast<int>(pem->size())));
  EvpPkeyPtr key(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!key) {
    ERR_clear_error();
    return absl::InvalidArgumentError(absl::StrCat(path, ": not a PEM private key"));
  }
  if (absl::Status s = RequireEd25519(key.get(), path); !s.ok()) return s;
  return key;
}

absl::StatusOr<EvpPkeyPtr> ParsePublicKeyPem(std::string_view pem, std::string_view source) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  EvpPkeyPtr key(bio ? PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!key) {
    ERR_clear_error();
    return absl::InvalidArgumentError(
        absl::StrCat(ToAbsl(source), ": not a PEM public key (\"-----BEGIN PUBLIC KEY-----\")"));
  }
  if (absl::Status s = RequireEd25519(key.get(), source); !s.ok()) return s;
  return key;
}

absl::StatusOr<EvpPkeyPtr> LoadPublicKey(const std::string& path) {
  absl::StatusOr<std::string> pem = ReadRegularFile(path, kMaxKeyFileBytes);
  if (!pem.ok()) return pem.status();
  return ParsePublicKeyPem(*pem, path);
}

absl::StatusOr<std::string> PublicKeyPem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), key) != 1) {
    return absl::InternalError(absl::StrCat("encoding the public key: ", OpenSslError()));
  }
  return BioText(bio.get());
}

absl::StatusOr<std::string> KeyId(EVP_PKEY* key) {
  unsigned char raw[32];
  size_t len = sizeof(raw);
  if (EVP_PKEY_get_raw_public_key(key, raw, &len) != 1 || len != sizeof(raw)) {
    return absl::InvalidArgumentError(absl::StrCat("not an Ed25519 key: ", OpenSslError()));
  }
  return Sha256Hex(std::string_view(reinterpret_cast<const char*>(raw), len)).substr(0, 16);
}

}  // namespace paddock::host
