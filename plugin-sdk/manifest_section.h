// The manifest a plugin carries in its ELF section, its byte format and its validation.
// Shared by paddock-manifest-gen (writes it), the SDK (reads its own) and paddockd (reads
// it from binaries without running them). Include as "plugin-sdk/manifest_section.h".
//
// Section ".paddock_manifest" content, all integers little-endian:
//   bytes 0..7    ASCII magic "PADDOCK1"
//   bytes 8..11   uint32 format version, 1
//   bytes 12..15  uint32 payload length N (at most kMaxManifestBytes)
//   bytes 16..    N bytes: serialized paddock.v1.PluginManifest
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "paddock/v1/manifest.pb.h"

namespace paddock::sdk {

inline constexpr char kManifestSectionName[] = ".paddock_manifest";
inline constexpr std::string_view kManifestMagic = "PADDOCK1";
inline constexpr uint32_t kManifestFormatVersion = 1;
inline constexpr size_t kManifestHeaderBytes = 16;
inline constexpr size_t kMaxManifestBytes = size_t{4} << 20;

// Returns the section content for `manifest`. InvalidArgument if the serialized manifest
// is larger than kMaxManifestBytes.
absl::StatusOr<std::string> EncodeManifestSection(const v1::PluginManifest& manifest);

// Parses section content. Trailing zero bytes (section alignment padding) are allowed;
// anything else that does not match the format is InvalidArgument with the reason.
// Does not validate the manifest's fields (see ValidateManifest).
absl::StatusOr<v1::PluginManifest> DecodeManifestSection(std::string_view section);

// True for a valid plugin name: [a-z][a-z0-9-]{0,62}.
bool IsValidPluginName(std::string_view name);

// True for a semantic version (semver.org 2.0.0), e.g. "1.2.0", "1.0.0-rc.1+build.5".
bool IsValidSemver(std::string_view version);

// Checks the fields a host relies on: name, version, sdk_protocol (semver), non-empty
// unique service names, socket names ([a-z][a-z0-9_-]{0,31}, unique). InvalidArgument
// naming the offending field otherwise.
absl::Status ValidateManifest(const v1::PluginManifest& manifest);

// The manifest embedded in the running executable by paddock_add_plugin(), decoded.
// NotFound when the executable has none (it was not built with paddock_add_plugin).
absl::StatusOr<v1::PluginManifest> EmbeddedManifest();

}  // namespace paddock::sdk
