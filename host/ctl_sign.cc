#include "host/ctl_sign.h"

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "host/file_util.h"
#include "host/plugin_image.h"
#include "host/plugin_signature.h"
#include "host/sha256.h"
#include "host/signing_key.h"

namespace paddock::host {
namespace {

int Fail(const std::string& why) {
  fprintf(stderr, "paddockctl: %s\n", why.c_str());
  return 1;
}

int Usage(const std::string& why) {
  fprintf(stderr,
          "paddockctl: %s\n"
          "usage: paddockctl keygen PREFIX\n"
          "       paddockctl sign --key PRIVATE_KEY BINARY...\n"
          "       paddockctl verify --key PUBLIC_KEY|KEY_DIR BINARY...\n",
          why.c_str());
  return 2;
}

// Splits "--key K" (or "--key=K") from the binaries.
bool ParseKeyAndFiles(const std::vector<std::string>& args, std::string* key,
                      std::vector<std::string>* files) {
  for (size_t i = 1; i < args.size(); ++i) {
    if (args[i] == "--key" && i + 1 < args.size()) {
      *key = args[++i];
    } else if (args[i].rfind("--key=", 0) == 0) {
      *key = args[i].substr(6);
    } else {
      files->push_back(args[i]);
    }
  }
  return !key->empty() && !files->empty();
}

int Keygen(const std::vector<std::string>& args) {
  if (args.size() != 2 || args[1].empty()) return Usage("keygen: which file prefix?");
  const std::string& prefix = args[1];
  if (absl::Status s = GenerateSigningKey(prefix); !s.ok()) return Fail(std::string(s.message()));
  absl::StatusOr<EvpPkeyPtr> key = LoadPublicKey(prefix + ".pub");
  if (!key.ok()) return Fail(std::string(key.status().message()));
  absl::StatusOr<std::string> id = KeyId(key->get());
  if (!id.ok()) return Fail(std::string(id.status().message()));
  printf(
      "key %s\n  private: %s.key (mode 0600; signs plugins, keep it secret)\n"
      "  public:  %s.pub (list it in the host config's signatures.trusted_keys)\n",
      id->c_str(), prefix.c_str(), prefix.c_str());
  return 0;
}

int Sign(const std::vector<std::string>& args) {
  std::string key;
  std::vector<std::string> files;
  if (!ParseKeyAndFiles(args, &key, &files)) return Usage("sign: --key KEY and a binary needed");
  absl::StatusOr<EvpPkeyPtr> pkey = LoadPrivateKey(key);
  if (!pkey.ok()) return Fail(std::string(pkey.status().message()));
  absl::StatusOr<std::string> id = KeyId(pkey->get());
  if (!id.ok()) return Fail(std::string(id.status().message()));
  for (const std::string& file : files) {
    absl::StatusOr<std::string> sig = SignPluginFile(key, file);
    if (!sig.ok()) return Fail(std::string(sig.status().message()));
    printf("signed %s with key %s: %s\n", file.c_str(), id->c_str(), sig->c_str());
  }
  return 0;
}

int Verify(const std::vector<std::string>& args) {
  std::string key;
  std::vector<std::string> files;
  if (!ParseKeyAndFiles(args, &key, &files)) return Usage("verify: --key KEY and a binary needed");
  TrustedKeys keys = TrustedKeys::Load({key});
  if (keys.size() == 0) {
    return Fail(keys.problems().empty() ? key + ": no public key found" : keys.problems().front());
  }
  int rc = 0;
  for (const std::string& file : files) {
    absl::StatusOr<std::string> bytes = ReadRegularFile(file, kMaxPluginFileBytes);
    absl::StatusOr<std::string> text =
        ReadRegularFile(file + kSignatureSuffix, kMaxSignatureFileBytes);
    absl::Status s = !bytes.ok()  ? bytes.status()
                     : !text.ok() ? text.status()
                                  : VerifySignature(*text, Sha256Hex(*bytes), keys);
    if (s.ok()) {
      printf("%s: good signature\n", file.c_str());
    } else {
      fprintf(stderr, "%s: %s\n", file.c_str(), std::string(s.message()).c_str());
      rc = 1;
    }
  }
  return rc;
}

}  // namespace

bool IsSignCommand(const std::string& command) {
  return command == "keygen" || command == "sign" || command == "verify";
}

int RunSignCommand(const std::vector<std::string>& args) {
  if (args[0] == "keygen") return Keygen(args);
  if (args[0] == "sign") return Sign(args);
  return Verify(args);
}

}  // namespace paddock::host
