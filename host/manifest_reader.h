// Reads a plugin's manifest out of its ELF binary without running it. The binary is
// untrusted: every offset, size and count in it is checked against the file before use.
//
// Only what is needed is parsed: the ELF header, the section header table and the section
// name table, to find the one section named ".paddock_manifest". Program headers are not
// looked at. Sections may overlap each other or the headers (the kernel does not care and
// neither does this reader: it only reads bytes that exist). Section names that are out of
// range or not NUL-terminated simply do not match.
//
// Content of ".paddock_manifest" (written by the SDK build tool):
//   8 bytes  ASCII "PADDOCK1"
//   uint32   format version, little-endian (1)
//   uint32   payload length N, little-endian (N <= 4 MiB)
//   N bytes  serialized paddock.v1.PluginManifest
//   padding  anything after the payload is ignored
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "paddock/v1/manifest.pb.h"

namespace paddock::host {

inline constexpr std::string_view kManifestSectionName = ".paddock_manifest";
inline constexpr std::string_view kManifestMagic = "PADDOCK1";
inline constexpr uint32_t kManifestFormatVersion = 1;
inline constexpr size_t kManifestHeaderBytes = 16;
inline constexpr size_t kMaxManifestPayloadBytes = size_t{4} << 20;

// Finds and decodes the manifest in `file_bytes` (a whole ELF64 little-endian file for
// this host's machine). Returns InvalidArgument with a message a user understands:
// "not an ELF file", "32-bit ELF is not supported", "truncated ELF: section headers end at
// byte X but file is Y bytes", "no .paddock_manifest section (not built with the Paddock
// SDK)", "manifest format version 7 is not supported (this host reads version 1)", ...
// Does not validate the manifest's fields (see manifest_validate.h).
absl::StatusOr<paddock::v1::PluginManifest> ReadManifestFromElf(std::string_view file_bytes);

// The section content for `manifest` in the format above (what the SDK build tool writes;
// used by tests and tools). `padding` zero bytes are appended.
std::string EncodeManifestSection(const paddock::v1::PluginManifest& manifest, size_t padding = 0);

}  // namespace paddock::host
