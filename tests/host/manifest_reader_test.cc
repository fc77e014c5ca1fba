#include "host/manifest_reader.h"

#include <catch2/catch.hpp>
#include <random>
#include <string>

#include "google/protobuf/stubs/logging.h"
#include "google/protobuf/util/message_differencer.h"
#include "host/plugin_fixture.h"

namespace paddock::host {
namespace {

using testing::BuildElf;
using testing::Elf;
using testing::Put16;
using testing::Put32;
using testing::Put64;
using testing::ValidManifest;

const std::string kName(kManifestSectionName);

std::string ErrorOf(std::string_view bytes) {
  absl::StatusOr<paddock::v1::PluginManifest> m = ReadManifestFromElf(bytes);
  REQUIRE_FALSE(m.ok());
  CHECK(m.status().code() == absl::StatusCode::kInvalidArgument);
  return std::string(m.status().message());
}

Elf ManifestElf(std::string content = EncodeManifestSection(ValidManifest(), 7)) {
  return BuildElf({{".text", "\xc3"}, {kName, std::move(content)}, {".comment", "x"}});
}

TEST_CASE("a manifest section is found and decoded", "[manifest_reader]") {
  const Elf e = ManifestElf();
  absl::StatusOr<paddock::v1::PluginManifest> m = ReadManifestFromElf(e.bytes);
  REQUIRE(m.ok());
  CHECK(google::protobuf::util::MessageDifferencer::Equals(*m, ValidManifest()));
}

TEST_CASE("files that are not 64-bit little-endian executables are refused", "[manifest_reader]") {
  CHECK(ErrorOf("") == "not an ELF file");
  CHECK(ErrorOf("#!/bin/sh\necho hi\n") == "not an ELF file");
  CHECK(ErrorOf("\x7f"
                "ELF") == "not an ELF file");
  Elf e = ManifestElf();
  std::string b = e.bytes;
  b[EI_CLASS] = ELFCLASS32;
  CHECK(ErrorOf(b) == "32-bit ELF is not supported (plugins are 64-bit)");
  b = e.bytes;
  b[EI_CLASS] = 9;
  CHECK(ErrorOf(b) == "unknown ELF class 9");
  b = e.bytes;
  b[EI_DATA] = ELFDATA2MSB;
  CHECK(ErrorOf(b) == "big-endian ELF is not supported");
  b = e.bytes;
  b[EI_VERSION] = 0;
  CHECK(ErrorOf(b) == "unknown ELF version 0");
  b = e.bytes;
  Put16(&b, offsetof(Elf64_Ehdr, e_type), ET_REL);
  CHECK(ErrorOf(b) == "ELF type 1 is not an executable (expected ET_EXEC or ET_DYN)");
  b = e.bytes;
  Put16(&b, offsetof(Elf64_Ehdr, e_machine), EM_AARCH64);
  CHECK(ErrorOf(b) == "built for ELF machine 183, this host runs x86_64 (62)");
  CHECK(ErrorOf(e.bytes.substr(0, 40)) ==
        "truncated ELF: the header is 64 bytes but file is 40 bytes");
}

TEST_CASE("section header table problems are reported, never read past the end",
          "[manifest_reader]") {
  const Elf e = ManifestElf();
  const uint64_t size = e.bytes.size();
  std::string b = e.bytes;
  Put64(&b, offsetof(Elf64_Ehdr, e_shoff), 0);
  CHECK(
      ErrorOf(b).starts_with("no .paddock_manifest section (the ELF file has no section headers"));

  b = e.bytes;
  Put64(&b, offsetof(Elf64_Ehdr, e_shoff), size + 100);
  CHECK(ErrorOf(b) == "truncated ELF: section headers start at byte " + std::to_string(size + 100) +
                          " but file is " + std::to_string(size) + " bytes");

  b = e.bytes;
  Put64(&b, offsetof(Elf64_Ehdr, e_shoff), UINT64_MAX - 10);
  CHECK(ErrorOf(b).starts_with("truncated ELF: section headers start at byte"));

  b = e.bytes;
  Put16(&b, offsetof(Elf64_Ehdr, e_shnum), 0xffff);
  CHECK(ErrorOf(b) == "truncated ELF: section headers end at byte " +
                          std::to_string(e.shoff + 0xffffull * 64) + " but file is " +
                          std::to_string(size) + " bytes");

  // e_shnum == 0: the count is in section 0's sh_size; a huge one must not overflow.
  b = e.bytes;
  Put16(&b, offsetof(Elf64_Ehdr, e_shnum), 0);
  Put64(&b, e.Shdr(0) + offsetof(Elf64_Shdr, sh_size), UINT64_MAX / 2);
  CHECK(ErrorOf(b).starts_with("truncated ELF: 9223372036854775807 section headers at byte"));
  Put64(&b, e.Shdr(0) + offsetof(Elf64_Shdr, sh_size), 5);  // The real count.
  CHECK(ReadManifestFromElf(b).ok());
  Put64(&b, e.Shdr(0) + offsetof(Elf64_Shdr, sh_size), 0);
  CHECK(ErrorOf(b) == "no .paddock_manifest section (the ELF file has no sections)");

  b = e.bytes;
  Put16(&b, offsetof(Elf64_Ehdr, e_shentsize), 40);
  CHECK(ErrorOf(b) == "section header entry size is 40, expected 64");

  b = e.bytes;
  Put16(&b, offsetof(Elf64_Ehdr, e_shstrndx), 5);
  CHECK(ErrorOf(b) == "bad section name table index 5 (the file has 5 sections)");
  Put16(&b, offsetof(Elf64_Ehdr, e_shstrndx), 0);
  CHECK(ErrorOf(b) == "bad section name table index 0 (the file has 5 sections)");

  // SHN_XINDEX: the real index is in section 0's sh_link.
  b = e.bytes;
  Put16(&b, offsetof(Elf64_Ehdr, e_shstrndx), SHN_XINDEX);
  Put32(&b, e.Shdr(0) + offsetof(Elf64_Shdr, sh_link), e.strtab_index);
  CHECK(ReadManifestFromElf(b).ok());
  Put32(&b, e.Shdr(0) + offsetof(Elf64_Shdr, sh_link), 0xfffffff0);
  CHECK(ErrorOf(b) == "bad section name table index 4294967280 (the file has 5 sections)");

  b = e.bytes;
  Put64(&b, e.Shdr(e.strtab_index) + offsetof(Elf64_Shdr, sh_offset), size - 2);
  CHECK(ErrorOf(b).starts_with("truncated ELF: the section name table ("));
  b = e.bytes;
  Put64(&b, e.Shdr(e.strtab_index) + offsetof(Elf64_Shdr, sh_size), UINT64_MAX);
  CHECK(ErrorOf(b).starts_with("truncated ELF: the section name table ("));
}

TEST_CASE("section names must match exactly, NUL included", "[manifest_reader]") {
  CHECK(ErrorOf(BuildElf({{".paddock_manifest2", "x"}}).bytes) ==
        "no .paddock_manifest section (not built with the Paddock SDK)");
  CHECK(ErrorOf(BuildElf({{".paddock_manifes", "x"}}).bytes) ==
        "no .paddock_manifest section (not built with the Paddock SDK)");
  CHECK(ErrorOf(BuildElf({{".text", "x"}}).bytes) ==
        "no .paddock_manifest section (not built with the Paddock SDK)");

  // A name table cut right before the manifest name's NUL: the name is not terminated.
  Elf e = BuildElf({{kName, EncodeManifestSection(ValidManifest())}});
  const uint64_t strtab_hdr = e.Shdr(e.strtab_index);
  std::string b = e.bytes;
  Put64(&b, strtab_hdr + offsetof(Elf64_Shdr, sh_size), 1 + kName.size());
  CHECK(ErrorOf(b) == "no .paddock_manifest section (not built with the Paddock SDK)");
  // Name offsets outside the table.
  b = e.bytes;
  Put32(&b, e.Shdr(1) + offsetof(Elf64_Shdr, sh_name), 0xffffffff);
  CHECK(ErrorOf(b) == "no .paddock_manifest section (not built with the Paddock SDK)");

  CHECK(ErrorOf(BuildElf({{kName, EncodeManifestSection(ValidManifest())},
                          {kName, EncodeManifestSection(ValidManifest())}})
                    .bytes) == "more than one .paddock_manifest section");
  CHECK(ErrorOf(BuildElf({{kName, EncodeManifestSection(ValidManifest())}}, SHT_NOBITS).bytes) ==
        ".paddock_manifest section has no content in the file (SHT_NOBITS)");
}

TEST_CASE("the manifest section must lie inside the file", "[manifest_reader]") {
  const Elf e = ManifestElf();
  const uint64_t hdr = e.Shdr(2);
  std::string b = e.bytes;
  Put64(&b, hdr + offsetof(Elf64_Shdr, sh_size), b.size());
  CHECK(ErrorOf(b) == "truncated ELF: .paddock_manifest section ends at byte " +
                          std::to_string(e.content_offset[1] + b.size()) + " but file is " +
                          std::to_string(b.size()) + " bytes");
  Put64(&b, hdr + offsetof(Elf64_Shdr, sh_offset), UINT64_MAX - 3);
  CHECK(ErrorOf(b).starts_with("truncated ELF: .paddock_manifest section ("));
  // Overlapping the ELF header: read as it is, and it is not a manifest.
  b = e.bytes;
  Put64(&b, hdr + offsetof(Elf64_Shdr, sh_offset), 0);
  CHECK(ErrorOf(b) == "manifest section does not start with \"PADDOCK1\"");
  // Overlapping the section header table itself.
  Put64(&b, hdr + offsetof(Elf64_Shdr, sh_offset), e.shoff);
  Put64(&b, hdr + offsetof(Elf64_Shdr, sh_size), 64);
  CHECK(ErrorOf(b) == "manifest section does not start with \"PADDOCK1\"");
}

TEST_CASE("the manifest section content is checked", "[manifest_reader]") {
  const std::string good = EncodeManifestSection(ValidManifest());
  CHECK(ErrorOf(ManifestElf("PADDOCK1").bytes) ==
        "manifest section is 8 bytes, shorter than its 16-byte header");
  std::string c = good;
  c[7] = '2';
  CHECK(ErrorOf(ManifestElf(c).bytes) == "manifest section does not start with \"PADDOCK1\"");
  c = good;
  Put32(&c, 8, 7);
  CHECK(ErrorOf(ManifestElf(c).bytes) ==
        "manifest format version 7 is not supported (this host reads version 1)");
  c = good;
  Put32(&c, 12, (4u << 20) + 1);
  CHECK(ErrorOf(ManifestElf(c).bytes) ==
        "manifest payload is 4194305 bytes, more than the limit of 4194304");
  c = good;
  Put32(&c, 12, static_cast<uint32_t>(good.size()));
  CHECK(ErrorOf(ManifestElf(c).bytes) ==
        "manifest payload length says " + std::to_string(good.size()) +
            " bytes but the section holds only " + std::to_string(good.size() - 16) +
            " after its header");
  c = std::string("PADDOCK1") + std::string("\x01\0\0\0\x04\0\0\0", 8) + "\xff\xff\xff\xff";
  CHECK(ErrorOf(ManifestElf(c).bytes) ==
        "manifest payload is not a valid serialized paddock.v1.PluginManifest");
  // Padding after the payload is fine; an empty payload is a (blank) manifest.
  CHECK(ReadManifestFromElf(ManifestElf(good + std::string(100, '\xAA')).bytes).ok());
  absl::StatusOr<paddock::v1::PluginManifest> empty =
      ReadManifestFromElf(ManifestElf(EncodeManifestSection(paddock::v1::PluginManifest())).bytes);
  REQUIRE(empty.ok());
  CHECK(empty->name().empty());
}

TEST_CASE("every prefix of a real binary with a manifest fails cleanly", "[manifest_reader]") {
  testing::TempDir dir;
  const std::string path = testing::RealPluginBinary(dir, "true-plugin", ValidManifest());
  if (path.empty()) {
    WARN("objcopy not available: skipping the real-binary test");
    return;
  }
  const std::string bytes = testing::ReadAll(path);
  absl::StatusOr<paddock::v1::PluginManifest> full = ReadManifestFromElf(bytes);
  REQUIRE(full.ok());
  CHECK(full->name() == "hello");
  size_t failures = 0;
  for (size_t n = 0; n < bytes.size(); ++n) {
    // The section headers are at the end, so no proper prefix can hold the manifest.
    if (!ReadManifestFromElf(std::string_view(bytes).substr(0, n)).ok()) ++failures;
  }
  CHECK(failures == bytes.size());
}

TEST_CASE("random corruption of a small ELF never crashes the reader", "[manifest_reader]") {
  const Elf e = ManifestElf();
  // Corrupted payload strings are refused later (ValidateManifest); keep protobuf's
  // "invalid UTF-8" log lines out of the test output.
  google::protobuf::LogHandler* previous = google::protobuf::SetLogHandler(nullptr);
  std::mt19937 rng(12345);
  std::uniform_int_distribution<size_t> pos(0, e.bytes.size() - 1);
  std::uniform_int_distribution<int> byte(0, 255);
  int ok = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string b = e.bytes;
    for (int j = 0; j < 1 + i % 4; ++j) b[pos(rng)] = static_cast<char>(byte(rng));
    if (ReadManifestFromElf(b).ok()) ++ok;
  }
  google::protobuf::SetLogHandler(previous);
  CHECK(ok > 0);  // Some corruptions hit bytes nobody reads.
}

}  // namespace
}  // namespace paddock::host
