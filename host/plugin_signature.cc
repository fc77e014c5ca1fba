#include "host/plugin_signature.h"

#include <dirent.h>
#include <openssl/err.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "host/file_util.h"
#include "host/plugin_image.h"
#include "host/sha256.h"
#include "host/string_view_compat.h"

namespace paddock::host {
namespace {

constexpr char kMagic[] = "paddock-signature v1";
constexpr char kDomain[] = "paddock-plugin-signature-v1\n";
constexpr size_t kEd25519SignatureBytes = 64;

struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;

std::string SignedMessage(std::string_view sha256_hex) {
  return absl::StrCat(kDomain, "sha256 ", ToAbsl(sha256_hex), "\n");
}

bool IsLowerHex(absl::string_view s, size_t len) {
  return s.size() == len && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

absl::Status Denied(absl::string_view why) { return absl::PermissionDeniedError(why); }

}  // namespace

absl::StatusOr<std::string> SignDigest(EVP_PKEY* key, std::string_view sha256_hex) {
  if (!IsLowerHex(ToAbsl(sha256_hex), 64)) {
    return absl::InvalidArgumentError("the digest must be 64 lowercase hex digits");
  }
  absl::StatusOr<std::string> id = KeyId(key);
  if (!id.ok()) return id.status();
  const std::string msg = SignedMessage(sha256_hex);
  MdCtxPtr ctx(EVP_MD_CTX_new());
  unsigned char sig[kEd25519SignatureBytes];
  size_t sig_len = sizeof(sig);
  // Ed25519 is "one-shot": no digest name, the whole message at once (RFC 8032 PureEdDSA).
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key) != 1 ||
      EVP_DigestSign(ctx.get(), sig, &sig_len, reinterpret_cast<const unsigned char*>(msg.data()),
                     msg.size()) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError("signing failed (is the key an Ed25519 private key?)");
  }
  return absl::StrCat(kMagic, "\nkey ", *id, "\nsha256 ", ToAbsl(sha256_hex), "\nsig ",
                      absl::Base64Escape(absl::string_view(reinterpret_cast<char*>(sig), sig_len)),
                      "\n");
}

absl::StatusOr<std::string> SignPluginFile(const std::string& key_path,
                                           const std::string& binary_path) {
  absl::StatusOr<EvpPkeyPtr> key = LoadPrivateKey(key_path);
  if (!key.ok()) return key.status();
  absl::StatusOr<std::string> bytes = ReadRegularFile(binary_path, kMaxPluginFileBytes);
  if (!bytes.ok()) return bytes.status();
  absl::StatusOr<std::string> text = SignDigest(key->get(), Sha256Hex(*bytes));
  if (!text.ok()) return text.status();
  const std::string sig_path = binary_path + kSignatureSuffix;
  // ".tmp" is a name plugin directory scans skip, so a half-written file is never judged.
  const std::string tmp = sig_path + ".tmp";
  FILE* f = fopen(tmp.c_str(), "we");
  if (f == nullptr) return absl::PermissionDeniedError(absl::StrCat("cannot create ", tmp));
  const bool written = fwrite(text->data(), 1, text->size(), f) == text->size();
  if (fclose(f) != 0 || !written) {
    std::remove(tmp.c_str());
    return absl::DataLossError(absl::StrCat("cannot write ", tmp));
  }
  if (std::rename(tmp.c_str(), sig_path.c_str()) != 0) {
    std::remove(tmp.c_str());
    return absl::PermissionDeniedError(absl::StrCat("cannot rename ", tmp, " to ", sig_path));
  }
  return sig_path;
}

absl::StatusOr<PluginSignature> ParseSignature(std::string_view text_in) {
  absl::string_view text = ToAbsl(text_in);
  if (!absl::EndsWith(text, "\n")) {
    return absl::InvalidArgumentError("malformed signature file: must end with a newline");
  }
  text.remove_suffix(1);
  std::vector<absl::string_view> lines = absl::StrSplit(text, '\n');
  if (lines.size() != 4 || lines[0] != kMagic) {
    return absl::InvalidArgumentError(
        absl::StrCat("malformed signature file: expected 4 lines starting with \"", kMagic, "\""));
  }
  PluginSignature sig;
  auto field = [&](absl::string_view line, absl::string_view name,
                   std::string* out) -> absl::Status {
    if (!absl::StartsWith(line, absl::StrCat(name, " "))) {
      return absl::InvalidArgumentError(
          absl::StrCat("malformed signature file: expected a \"", name, "\" line"));
    }
    *out = std::string(line.substr(name.size() + 1));
    return absl::OkStatus();
  };
  std::string sig_b64;
  if (absl::Status s = field(lines[1], "key", &sig.key_id); !s.ok()) return s;
  if (absl::Status s = field(lines[2], "sha256", &sig.sha256_hex); !s.ok()) return s;
  if (absl::Status s = field(lines[3], "sig", &sig_b64); !s.ok()) return s;
  if (!IsLowerHex(sig.key_id, 16)) {
    return absl::InvalidArgumentError("malformed signature file: key id is not 16 hex digits");
  }
  if (!IsLowerHex(sig.sha256_hex, 64)) {
    return absl::InvalidArgumentError("malformed signature file: sha256 is not 64 hex digits");
  }
  if (!absl::Base64Unescape(sig_b64, &sig.signature) ||
      sig.signature.size() != kEd25519SignatureBytes) {
    return absl::InvalidArgumentError(
        "malformed signature file: sig is not a base64 Ed25519 signature (64 bytes)");
  }
  return sig;
}

TrustedKeys TrustedKeys::Load(const std::vector<std::string>& paths) {
  TrustedKeys keys;
  auto add_file = [&keys](const std::string& file) {
    absl::StatusOr<EvpPkeyPtr> key = LoadPublicKey(file);
    absl::Status s = key.ok() ? keys.Add(std::move(*key)) : key.status();
    if (!s.ok()) keys.problems_.push_back(std::string(s.message()));
  };
  for (const std::string& path : paths) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
      keys.problems_.push_back(absl::StrCat(path, ": no such key file or directory"));
      continue;
    }
    if (!S_ISDIR(st.st_mode)) {
      add_file(path);
      continue;
    }
    std::vector<std::string> names;
    if (DIR* d = ::opendir(path.c_str()); d != nullptr) {
      while (const dirent* e = ::readdir(d)) {
        std::string name = e->d_name;
        if (name[0] != '.' && absl::EndsWith(name, ".pub")) names.push_back(std::move(name));
      }
      ::closedir(d);
    } else {
      keys.problems_.push_back(absl::StrCat(path, ": cannot list the key directory"));
    }
    std::sort(names.begin(), names.end());
    for (const std::string& name : names) add_file(absl::StrCat(path, "/", name));
  }
  return keys;
}

absl::Status TrustedKeys::Add(EvpPkeyPtr key) {
  absl::StatusOr<std::string> id = KeyId(key.get());
  if (!id.ok()) return id.status();
  keys_[*id] = std::move(key);
  return absl::OkStatus();
}

EVP_PKEY* TrustedKeys::Find(const std::string& key_id) const {
  auto it = keys_.find(key_id);
  return it == keys_.end() ? nullptr : it->second.get();
}

absl::Status VerifySignature(std::string_view sig_text, std::string_view sha256_hex,
                             const TrustedKeys& keys) {
  absl::StatusOr<PluginSignature> sig = ParseSignature(sig_text);
  if (!sig.ok()) return Denied(sig.status().message());
  if (sig->sha256_hex != ToAbsl(sha256_hex)) {
    return Denied(absl::StrCat("signed bytes differ (the signature is for sha256 ",
                               sig->sha256_hex.substr(0, 16), "..., the binary is ",
                               ToAbsl(sha256_hex).substr(0, 16), "...)"));
  }
  EVP_PKEY* key = keys.Find(sig->key_id);
  if (key == nullptr) {
    std::string why = absl::StrCat("signed by key ", sig->key_id,
                                   ", which this host does not trust (signatures.trusted_keys "
                                   "holds ",
                                   keys.size(), keys.size() == 1 ? " key" : " keys");
    if (!keys.problems().empty()) absl::StrAppend(&why, "; ", keys.problems().front());
    return Denied(absl::StrCat(why, ")"));
  }
  const std::string msg = SignedMessage(sha256_hex);
  MdCtxPtr ctx(EVP_MD_CTX_new());
  const bool ok =
      ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key) == 1 &&
      EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(sig->signature.data()),
                       sig->signature.size(), reinterpret_cast<const unsigned char*>(msg.data()),
                       msg.size()) == 1;
  ERR_clear_error();
  if (!ok) return Denied(absl::StrCat("the signature by key ", sig->key_id, " does not verify"));
  return absl::OkStatus();
}

}  // namespace paddock::host
