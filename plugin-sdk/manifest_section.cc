// Manifest section format and validation (see manifest_section.h).
#include "plugin-sdk/manifest_section.h"

#include <set>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "plugin-sdk/semver.h"

// Defined by the .cc that paddock-manifest-gen writes for each plugin; weak, so the SDK
// links (and EmbeddedManifest reports NotFound) in executables that have no manifest.
extern "C" {
extern const unsigned char paddock_manifest_section[] __attribute__((weak));
extern const unsigned int paddock_manifest_section_size __attribute__((weak));
}

namespace paddock::sdk {
namespace {

uint32_t LoadLe32(std::string_view b) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= uint32_t{static_cast<unsigned char>(b[i])} << (8 * i);
  return v;
}

void AppendLe32(std::string* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

// [a-z] followed by up to `max_rest` of [a-z0-9] and `extra`.
bool IsLowerName(std::string_view s, size_t max_rest, std::string_view extra) {
  if (s.empty() || s.size() > max_rest + 1 || !(s[0] >= 'a' && s[0] <= 'z')) return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
          extra.find(c) != std::string_view::npos)) {
      return false;
    }
  }
  return true;
}

}  // namespace

absl::StatusOr<std::string> EncodeManifestSection(const v1::PluginManifest& manifest) {
  std::string payload;
  if (!manifest.SerializeToString(&payload)) {
    return absl::InternalError("could not serialize the manifest");
  }
  if (payload.size() > kMaxManifestBytes) {
    return absl::InvalidArgumentError(absl::StrCat("manifest of ", payload.size(),
                                                   " bytes exceeds the limit of ",
                                                   kMaxManifestBytes, " bytes"));
  }
  std::string out(kManifestMagic);
  AppendLe32(&out, kManifestFormatVersion);
  AppendLe32(&out, static_cast<uint32_t>(payload.size()));
  out.append(payload);
  return out;
}

absl::StatusOr<v1::PluginManifest> DecodeManifestSection(std::string_view section) {
  if (section.size() < kManifestHeaderBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("manifest section too short (", section.size(), " bytes)"));
  }
  if (section.substr(0, kManifestMagic.size()) != kManifestMagic) {
    return absl::InvalidArgumentError("manifest section lacks the PADDOCK1 magic");
  }
  const uint32_t format = LoadLe32(section.substr(8));
  if (format != kManifestFormatVersion) {
    return absl::InvalidArgumentError(absl::StrCat("manifest format version ", format,
                                                   " is not supported (expected ",
                                                   kManifestFormatVersion, ")"));
  }
  const uint32_t size = LoadLe32(section.substr(12));
  if (size > kMaxManifestBytes || size > section.size() - kManifestHeaderBytes) {
    return absl::InvalidArgumentError(absl::StrCat("manifest payload length ", size,
                                                   " does not fit the section of ", section.size(),
                                                   " bytes"));
  }
  for (char c : section.substr(kManifestHeaderBytes + size)) {
    if (c != '\0') return absl::InvalidArgumentError("manifest section has trailing bytes");
  }
  v1::PluginManifest manifest;
  if (!manifest.ParseFromArray(section.data() + kManifestHeaderBytes, static_cast<int>(size))) {
    return absl::InvalidArgumentError("manifest payload is not a valid paddock.v1.PluginManifest");
  }
  return manifest;
}

bool IsValidPluginName(std::string_view name) { return IsLowerName(name, 62, "-"); }

bool IsValidSemver(std::string_view version) { return ParseSemVer(version).ok(); }

absl::Status ValidateManifest(const v1::PluginManifest& m) {
  if (!IsValidPluginName(m.name())) {
    return absl::InvalidArgumentError(
        absl::StrCat("manifest name \"", absl::CEscape(m.name()),
                     "\" is invalid: it must match [a-z][a-z0-9-]{0,62}"));
  }
  if (!IsValidSemver(m.version())) {
    return absl::InvalidArgumentError(absl::StrCat(
        "manifest version \"", absl::CEscape(m.version()), "\" is not a semantic version"));
  }
  if (!IsValidSemver(m.sdk_protocol())) {
    return absl::InvalidArgumentError(absl::StrCat("manifest sdk_protocol \"",
                                                   absl::CEscape(m.sdk_protocol()),
                                                   "\" is not a semantic version"));
  }
  std::set<std::string> seen;
  for (const auto& s : m.services()) {
    if (s.name().empty()) return absl::InvalidArgumentError("manifest has an unnamed service");
    if (!seen.insert(s.name()).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("manifest lists service ", s.name(), " twice"));
    }
  }
  seen.clear();
  for (const auto& sock : m.sandbox().sockets()) {
    if (!IsLowerName(sock.name(), 31, "_-")) {
      return absl::InvalidArgumentError(
          absl::StrCat("manifest socket name \"", absl::CEscape(sock.name()),
                       "\" is invalid: it must match [a-z][a-z0-9_-]{0,31}"));
    }
    if (!seen.insert(sock.name()).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("manifest lists socket ", sock.name(), " twice"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::PluginManifest> EmbeddedManifest() {
  if (&paddock_manifest_section == nullptr || &paddock_manifest_section_size == nullptr) {
    return absl::NotFoundError(
        "this executable has no embedded manifest (build it with paddock_add_plugin)");
  }
  return DecodeManifestSection(std::string_view(
      reinterpret_cast<const char*>(paddock_manifest_section), paddock_manifest_section_size));
}

}  // namespace paddock::sdk
