#include "host/manifest_reader.h"

#include <elf.h>

#include <cstring>
#include <optional>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace paddock::host {
namespace {

// The e_machine of binaries this host can run; 0 skips the check on other architectures.
#if defined(__x86_64__)
constexpr uint16_t kHostMachine = EM_X86_64;
constexpr const char* kHostMachineName = "x86_64";
#elif defined(__aarch64__)
constexpr uint16_t kHostMachine = EM_AARCH64;
constexpr const char* kHostMachineName = "aarch64";
#else
constexpr uint16_t kHostMachine = 0;
constexpr const char* kHostMachineName = "";
#endif

absl::Status Bad(absl::string_view why) { return absl::InvalidArgumentError(why); }

// Little-endian reads at offsets the caller has checked against the size.
uint16_t U16(std::string_view b, uint64_t off) {
  return static_cast<uint16_t>(static_cast<uint8_t>(b[off]) | static_cast<uint8_t>(b[off + 1])
                                                                  << 8);
}
uint32_t U32(std::string_view b, uint64_t off) {
  return static_cast<uint32_t>(U16(b, off)) | static_cast<uint32_t>(U16(b, off + 2)) << 16;
}
uint64_t U64(std::string_view b, uint64_t off) {
  return static_cast<uint64_t>(U32(b, off)) | static_cast<uint64_t>(U32(b, off + 4)) << 32;
}

// True when [off, off + len) lies inside a file of `size` bytes (overflow-safe).
bool Inside(uint64_t off, uint64_t len, uint64_t size) { return off <= size && len <= size - off; }

struct Section {
  uint32_t name;
  uint32_t type;
  uint64_t offset;
  uint64_t size;
  uint32_t link;
};

Section ReadSection(std::string_view b, uint64_t shoff, uint64_t index) {
  const uint64_t at = shoff + index * sizeof(Elf64_Shdr);
  return Section{
      U32(b, at + offsetof(Elf64_Shdr, sh_name)), U32(b, at + offsetof(Elf64_Shdr, sh_type)),
      U64(b, at + offsetof(Elf64_Shdr, sh_offset)), U64(b, at + offsetof(Elf64_Shdr, sh_size)),
      U32(b, at + offsetof(Elf64_Shdr, sh_link))};
}

absl::Status CheckIdent(std::string_view b) {
  if (b.size() < EI_NIDENT || std::memcmp(b.data(), ELFMAG, SELFMAG) != 0) {
    return Bad("not an ELF file");
  }
  const auto cls = static_cast<uint8_t>(b[EI_CLASS]);
  if (cls == ELFCLASS32) return Bad("32-bit ELF is not supported (plugins are 64-bit)");
  if (cls != ELFCLASS64) return Bad(absl::StrCat("unknown ELF class ", cls));
  const auto data = static_cast<uint8_t>(b[EI_DATA]);
  if (data == ELFDATA2MSB) return Bad("big-endian ELF is not supported");
  if (data != ELFDATA2LSB) return Bad(absl::StrCat("unknown ELF data encoding ", data));
  if (static_cast<uint8_t>(b[EI_VERSION]) != EV_CURRENT) {
    return Bad(absl::StrCat("unknown ELF version ", static_cast<uint8_t>(b[EI_VERSION])));
  }
  if (b.size() < sizeof(Elf64_Ehdr)) {
    return Bad(absl::StrCat("truncated ELF: the header is ", sizeof(Elf64_Ehdr),
                            " bytes but file is ", b.size(), " bytes"));
  }
  const uint16_t type = U16(b, offsetof(Elf64_Ehdr, e_type));
  if (type != ET_EXEC && type != ET_DYN) {
    return Bad(
        absl::StrCat("ELF type ", type, " is not an executable (expected ET_EXEC or ET_DYN)"));
  }
  const uint16_t machine = U16(b, offsetof(Elf64_Ehdr, e_machine));
  if (kHostMachine != 0 && machine != kHostMachine) {
    return Bad(absl::StrCat("built for ELF machine ", machine, ", this host runs ",
                            kHostMachineName, " (", kHostMachine, ")"));
  }
  return absl::OkStatus();
}

// Decodes the section content (format in manifest_reader.h).
absl::StatusOr<paddock::v1::PluginManifest> DecodeSection(std::string_view content) {
  if (content.size() < kManifestHeaderBytes) {
    return Bad(absl::StrCat("manifest section is ", content.size(),
                            " bytes, shorter than its 16-byte header"));
  }
  if (content.substr(0, kManifestMagic.size()) != kManifestMagic) {
    return Bad("manifest section does not start with \"PADDOCK1\"");
  }
  const uint32_t version = U32(content, 8);
  if (version != kManifestFormatVersion) {
    return Bad(absl::StrCat("manifest format version ", version,
                            " is not supported (this host reads version ", kManifestFormatVersion,
                            ")"));
  }
  const uint32_t length = U32(content, 12);
  if (length > kMaxManifestPayloadBytes) {
    return Bad(absl::StrCat("manifest payload is ", length, " bytes, more than the limit of ",
                            kMaxManifestPayloadBytes));
  }
  if (length > content.size() - kManifestHeaderBytes) {
    return Bad(absl::StrCat("manifest payload length says ", length,
                            " bytes but the section holds only ",
                            content.size() - kManifestHeaderBytes, " after its header"));
  }
  paddock::v1::PluginManifest m;
  if (!m.ParseFromArray(content.data() + kManifestHeaderBytes, static_cast<int>(length))) {
    return Bad("manifest payload is not a valid serialized paddock.v1.PluginManifest");
  }
  return m;
}

}  // namespace

absl::StatusOr<paddock::v1::PluginManifest> ReadManifestFromElf(std::string_view b) {
  if (absl::Status s = CheckIdent(b); !s.ok()) return s;
  const uint64_t size = b.size();
  const uint64_t shoff = U64(b, offsetof(Elf64_Ehdr, e_shoff));
  const uint16_t shentsize = U16(b, offsetof(Elf64_Ehdr, e_shentsize));
  uint64_t shnum = U16(b, offsetof(Elf64_Ehdr, e_shnum));
  uint32_t shstrndx = U16(b, offsetof(Elf64_Ehdr, e_shstrndx));
  if (shoff == 0) {
    return Bad(
        "no .paddock_manifest section (the ELF file has no section headers; not built "
        "with the Paddock SDK, or stripped with --strip-sections)");
  }
  if (shentsize != sizeof(Elf64_Shdr)) {
    return Bad(absl::StrCat("section header entry size is ", shentsize, ", expected ",
                            sizeof(Elf64_Shdr)));
  }
  // Section 0 holds the real count and name table index when they do not fit in the
  // ELF header (e_shnum == 0, e_shstrndx == SHN_XINDEX); see elf(5).
  if (!Inside(shoff, sizeof(Elf64_Shdr), size)) {
    return Bad(absl::StrCat("truncated ELF: section headers start at byte ", shoff, " but file is ",
                            size, " bytes"));
  }
  const Section first = ReadSection(b, shoff, 0);
  if (shnum == 0) shnum = first.size;
  if (shstrndx == SHN_XINDEX) shstrndx = first.link;
  if (shnum == 0) return Bad("no .paddock_manifest section (the ELF file has no sections)");
  if (shnum > (size - shoff) / sizeof(Elf64_Shdr)) {
    // Written so that a huge count cannot overflow: report the end only when it fits.
    const bool fits = shnum <= UINT64_MAX / sizeof(Elf64_Shdr) &&
                      shoff <= UINT64_MAX - shnum * sizeof(Elf64_Shdr);
    return Bad(fits ? absl::StrCat("truncated ELF: section headers end at byte ",
                                   shoff + shnum * sizeof(Elf64_Shdr), " but file is ", size,
                                   " bytes")
                    : absl::StrCat("truncated ELF: ", shnum, " section headers at byte ", shoff,
                                   " do not fit in a file of ", size, " bytes"));
  }
  if (shstrndx == SHN_UNDEF || shstrndx >= shnum) {
    return Bad(absl::StrCat("bad section name table index ", shstrndx, " (the file has ", shnum,
                            " sections)"));
  }
  const Section strtab = ReadSection(b, shoff, shstrndx);
  if (strtab.type == SHT_NOBITS || !Inside(strtab.offset, strtab.size, size)) {
    return Bad(absl::StrCat("truncated ELF: the section name table (", strtab.size,
                            " bytes at byte ", strtab.offset, ") is not inside the file (", size,
                            " bytes)"));
  }
  const std::string_view names = b.substr(strtab.offset, strtab.size);

  std::optional<Section> found;
  for (uint64_t i = 1; i < shnum; ++i) {
    const Section s = ReadSection(b, shoff, i);
    // The name must be the whole string: kManifestSectionName followed by its NUL.
    if (s.name >= names.size() || names.size() - s.name < kManifestSectionName.size() + 1) continue;
    if (names.substr(s.name, kManifestSectionName.size()) != kManifestSectionName ||
        names[s.name + kManifestSectionName.size()] != '\0') {
      continue;
    }
    if (found) return Bad("more than one .paddock_manifest section");
    found = s;
  }
  if (!found) return Bad("no .paddock_manifest section (not built with the Paddock SDK)");
  if (found->type == SHT_NOBITS) {
    return Bad(".paddock_manifest section has no content in the file (SHT_NOBITS)");
  }
  if (!Inside(found->offset, found->size, size)) {
    const bool fits = found->offset <= UINT64_MAX - found->size;
    return Bad(fits ? absl::StrCat("truncated ELF: .paddock_manifest section ends at byte ",
                                   found->offset + found->size, " but file is ", size, " bytes")
                    : absl::StrCat("truncated ELF: .paddock_manifest section (", found->size,
                                   " bytes at byte ", found->offset, ") is not inside the file"));
  }
  return DecodeSection(b.substr(found->offset, found->size));
}

std::string EncodeManifestSection(const paddock::v1::PluginManifest& manifest, size_t padding) {
  const std::string payload = manifest.SerializeAsString();
  std::string out(kManifestMagic);
  const auto put32 = [&](uint32_t v) {
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
  };
  put32(kManifestFormatVersion);
  put32(static_cast<uint32_t>(payload.size()));
  out += payload;
  out.append(padding, '\0');
  return out;
}

}  // namespace paddock::host
