#include "host/plugin_image.h"

#include <sys/mman.h>
#include <sys/stat.h>

#include <cerrno>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "host/file_util.h"
#include "host/manifest_reader.h"
#include "host/manifest_validate.h"
#include "host/sha256.h"
#include "paddock/errno_status.h"
#include "sandbox/image.h"

namespace paddock::host {
namespace {

absl::Status Step(const std::string& path, absl::string_view step, const absl::Status& s) {
  return absl::Status(s.code(), absl::StrCat(path, ": ", step, ": ", s.message()));
}

// SHA-256 of the `size` bytes of memfd `fd`, read through a private read-only mapping.
absl::StatusOr<std::string> SealedDigest(int fd, size_t size) {
  void* p = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  if (p == MAP_FAILED) return ErrnoStatus(errno, "mmap the sealed image");
  std::string hex = Sha256Hex(std::string_view(static_cast<const char*>(p), size));
  ::munmap(p, size);
  return hex;
}

}  // namespace

absl::StatusOr<std::shared_ptr<const PluginImage>> PluginImage::Load(const std::string& path) {
  struct stat st {};
  absl::StatusOr<std::string> bytes = ReadRegularFile(path, kMaxPluginFileBytes, &st);
  if (!bytes.ok()) return bytes.status();

  std::shared_ptr<PluginImage> image(new PluginImage());
  image->path_ = path;
  image->size_ = bytes->size();
  image->identity_ = IdentityFromStat(st);

  absl::StatusOr<paddock::v1::PluginManifest> manifest = ReadManifestFromElf(*bytes);
  if (!manifest.ok()) return Step(path, "reading the manifest", manifest.status());
  if (absl::Status s = ValidateManifest(*manifest); !s.ok()) {
    return Step(path, "invalid manifest", s);
  }
  image->manifest_ = std::move(*manifest);

  // The memfd name shows in /proc/PID/exe as "/memfd:paddock:<name> (deleted)".
  absl::StatusOr<UniqueFd> fd =
      sandbox::SealedImageFromBytes(absl::StrCat("paddock:", image->manifest_.name()), *bytes);
  if (!fd.ok()) return Step(path, "sealing the image", fd.status());
  image->exec_fd_ = std::move(*fd);
  // The digest is taken from the sealed memfd itself, not from the buffer it was copied
  // from: the bytes a signature is checked against are the bytes execveat runs.
  absl::StatusOr<std::string> digest = SealedDigest(image->exec_fd_.get(), image->size_);
  if (!digest.ok()) return Step(path, "hashing the sealed image", digest.status());
  image->sha256_hex_ = std::move(*digest);
  return std::shared_ptr<const PluginImage>(std::move(image));
}

PluginImage::FileIdentity PluginImage::IdentityFromStat(const struct stat& st) {
  return FileIdentity{st.st_dev, st.st_ino, static_cast<int64_t>(st.st_size),
                      static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec};
}

absl::StatusOr<PluginImage::FileIdentity> PluginImage::StatIdentity(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return ErrnoStatus(errno, absl::StrCat("stat ", path));
  return IdentityFromStat(st);
}

}  // namespace paddock::host
