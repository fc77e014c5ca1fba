// Test fixtures for manifests and plugin binaries, built at test time: a valid manifest
// with real descriptors, a minimal ELF64 file with chosen sections, a real executable
// (/bin/true) with a manifest section added by objcopy, and temporary directories.
#pragma once

#include <elf.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "grpc/health/v1/health.pb.h"
#include "host/manifest_reader.h"
#include "paddock/v1/manifest.pb.h"

namespace paddock::host::testing {

// A manifest every check accepts: serves grpc.health.v1.Health, with its descriptors.
inline paddock::v1::PluginManifest ValidManifest(const std::string& name = "hello") {
  paddock::v1::PluginManifest m;
  m.set_name(name);
  m.set_version("1.2.3");
  m.set_sdk_protocol("1.0.0");
  m.set_description("says hello");
  m.add_services()->set_name("grpc.health.v1.Health");
  grpc::health::v1::HealthCheckRequest::descriptor()->file()->CopyTo(
      m.mutable_descriptors()->add_file());
  auto* sb = m.mutable_sandbox();
  sb->set_memory_bytes(64 << 20);
  sb->set_cpu_millis(250);
  sb->set_pids(16);
  auto* sock = sb->add_sockets();
  sock->set_name("udp");
  sock->set_kind(paddock::v1::SocketRequest::UDP);
  sock->set_default_address("127.0.0.1:5514");
  return m;
}

inline void Put16(std::string* b, uint64_t off, uint16_t v) {
  for (int i = 0; i < 2; ++i) (*b)[off + i] = static_cast<char>(v >> (8 * i));
}
inline void Put32(std::string* b, uint64_t off, uint32_t v) {
  for (int i = 0; i < 4; ++i) (*b)[off + i] = static_cast<char>(v >> (8 * i));
}
inline void Put64(std::string* b, uint64_t off, uint64_t v) {
  for (int i = 0; i < 8; ++i) (*b)[off + i] = static_cast<char>(v >> (8 * i));
}

// A minimal ELF64 little-endian x86_64 ET_DYN file: the header, each section's content,
// the section name table, then the section headers (null, each section, .shstrtab).
struct Elf {
  std::string bytes;
  uint64_t shoff = 0;
  std::vector<uint64_t> content_offset;  // Per section given, in order.
  uint16_t strtab_index = 0;
  // Offset of section header `index` (0 is the null section).
  uint64_t Shdr(uint64_t index) const { return shoff + index * sizeof(Elf64_Shdr); }
};

inline Elf BuildElf(const std::vector<std::pair<std::string, std::string>>& sections,
                    uint32_t manifest_type = SHT_PROGBITS) {
  Elf e;
  e.bytes.assign(sizeof(Elf64_Ehdr), '\0');
  std::string names(1, '\0');
  std::vector<uint32_t> name_offsets;
  for (const auto& [name, content] : sections) {
    e.content_offset.push_back(e.bytes.size());
    e.bytes += content;
    name_offsets.push_back(static_cast<uint32_t>(names.size()));
    names += name;
    names.push_back('\0');
  }
  const uint32_t strtab_name = static_cast<uint32_t>(names.size());
  names += ".shstrtab";
  names.push_back('\0');
  const uint64_t strtab_offset = e.bytes.size();
  e.bytes += names;
  while (e.bytes.size() % 8 != 0) e.bytes.push_back('\0');
  e.shoff = e.bytes.size();
  const uint16_t shnum = static_cast<uint16_t>(sections.size() + 2);
  e.strtab_index = static_cast<uint16_t>(sections.size() + 1);
  e.bytes.append(shnum * sizeof(Elf64_Shdr), '\0');
  for (size_t i = 0; i < sections.size(); ++i) {
    const uint64_t at = e.Shdr(i + 1);
    Put32(&e.bytes, at + offsetof(Elf64_Shdr, sh_name), name_offsets[i]);
    Put32(&e.bytes, at + offsetof(Elf64_Shdr, sh_type), manifest_type);
    Put64(&e.bytes, at + offsetof(Elf64_Shdr, sh_offset), e.content_offset[i]);
    Put64(&e.bytes, at + offsetof(Elf64_Shdr, sh_size), sections[i].second.size());
  }
  const uint64_t st = e.Shdr(e.strtab_index);
  Put32(&e.bytes, st + offsetof(Elf64_Shdr, sh_name), strtab_name);
  Put32(&e.bytes, st + offsetof(Elf64_Shdr, sh_type), SHT_STRTAB);
  Put64(&e.bytes, st + offsetof(Elf64_Shdr, sh_offset), strtab_offset);
  Put64(&e.bytes, st + offsetof(Elf64_Shdr, sh_size), names.size());

  std::memcpy(e.bytes.data(), ELFMAG, SELFMAG);
  e.bytes[EI_CLASS] = ELFCLASS64;
  e.bytes[EI_DATA] = ELFDATA2LSB;
  e.bytes[EI_VERSION] = EV_CURRENT;
  Put16(&e.bytes, offsetof(Elf64_Ehdr, e_type), ET_DYN);
  Put16(&e.bytes, offsetof(Elf64_Ehdr, e_machine), EM_X86_64);
  Put32(&e.bytes, offsetof(Elf64_Ehdr, e_version), EV_CURRENT);
  Put64(&e.bytes, offsetof(Elf64_Ehdr, e_shoff), e.shoff);
  Put16(&e.bytes, offsetof(Elf64_Ehdr, e_ehsize), sizeof(Elf64_Ehdr));
  Put16(&e.bytes, offsetof(Elf64_Ehdr, e_shentsize), sizeof(Elf64_Shdr));
  Put16(&e.bytes, offsetof(Elf64_Ehdr, e_shnum), shnum);
  Put16(&e.bytes, offsetof(Elf64_Ehdr, e_shstrndx), e.strtab_index);
  return e;
}

// A minimal ELF carrying `manifest` as its only section.
inline std::string ElfWithManifest(const paddock::v1::PluginManifest& manifest) {
  return BuildElf({{std::string(kManifestSectionName), EncodeManifestSection(manifest, 5)}}).bytes;
}

// A temporary directory, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/paddock-host-test-XXXXXX";
    if (::mkdtemp(tmpl) != nullptr) path_ = tmpl;
  }
  ~TempDir() {
    if (!path_.empty())
      std::system(("chmod -R u+rwx '" + path_ + "'; rm -rf '" + path_ + "'").c_str());
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  // Writes `content` to `name` in the directory and returns its path.
  std::string Write(const std::string& name, const std::string& content, mode_t mode = 0755) const {
    const std::string p = path_ + "/" + name;
    std::ofstream(p, std::ios::binary | std::ios::trunc) << content;
    ::chmod(p.c_str(), mode);
    return p;
  }

 private:
  std::string path_;
};

inline std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// /bin/true with `manifest` added as a .paddock_manifest section by objcopy, written to
// `dir`/`name`. Returns "" when objcopy (binutils) is not installed.
inline std::string RealPluginBinary(const TempDir& dir, const std::string& name,
                                    const paddock::v1::PluginManifest& manifest) {
  if (std::system("command -v objcopy >/dev/null 2>&1") != 0) return "";
  const std::string section = dir.Write(name + ".section", EncodeManifestSection(manifest, 3));
  const std::string out = dir.path() + "/" + name;
  const std::string cmd = "objcopy --add-section .paddock_manifest='" + section +
                          "' --set-section-flags .paddock_manifest=noload,readonly /bin/true '" +
                          out + "' && rm -f '" + section + "'";
  if (std::system(cmd.c_str()) != 0) return "";
  return out;
}

}  // namespace paddock::host::testing
