// The exact bytes a plugin runs: read once, hashed, checked, and sealed in a memfd, so
// that replacing or editing the file on disk after the check changes nothing that runs.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "paddock/fd.h"
#include "paddock/v1/manifest.pb.h"

namespace paddock::host {

// Largest plugin binary the host loads.
inline constexpr size_t kMaxPluginFileBytes = size_t{512} << 20;

// An immutable, validated plugin binary. Thread-safe (const after Load); share it with
// shared_ptr. The memfd stays open as long as the image lives.
class PluginImage {
 public:
  // What a file looked like when it was read, for cheap change detection: a file whose
  // identity still equals this one has not been replaced or rewritten (modulo timestamp
  // granularity; a forced reload by name should re-Load instead of trusting it).
  struct FileIdentity {
    dev_t dev = 0;
    ino_t ino = 0;
    int64_t size = 0;
    int64_t mtime_ns = 0;
    bool operator==(const FileIdentity&) const = default;
  };

  // Reads the regular file at `path` once (at most kMaxPluginFileBytes; symlinks are
  // followed, anything but a regular file is refused without blocking), computes its
  // SHA-256, reads and validates the manifest from those bytes, and copies them into a
  // sealed memfd (F_SEAL_SEAL|SHRINK|GROW|WRITE, close-on-exec, MFD_EXEC when the kernel
  // has it). Errors say which step failed: "<path>: reading the manifest: no
  // .paddock_manifest section (not built with the Paddock SDK)", "<path>: invalid
  // manifest: name: ...", "<path>: sealing the image: ...", or the read error (which
  // names the path).
  static absl::StatusOr<std::shared_ptr<const PluginImage>> Load(const std::string& path);

  // stat(2) of `path` (following symlinks) as a FileIdentity, to compare with identity().
  static absl::StatusOr<FileIdentity> StatIdentity(const std::string& path);
  // The FileIdentity of a struct stat.
  static FileIdentity IdentityFromStat(const struct stat& st);

  PluginImage(const PluginImage&) = delete;
  PluginImage& operator=(const PluginImage&) = delete;

  // Path the bytes were read from.
  const std::string& path() const { return path_; }
  // SHA-256 of the bytes, lowercase hex, computed from the sealed memfd (what runs).
  const std::string& sha256_hex() const { return sha256_hex_; }
  // Number of bytes.
  uint64_t size() const { return size_; }
  // The validated manifest.
  const paddock::v1::PluginManifest& manifest() const { return manifest_; }
  // The sealed memfd holding the bytes (close-on-exec; execute it with
  // execveat(fd, "", AT_EMPTY_PATH)). Owned by the image: valid while the image lives.
  int exec_fd() const { return exec_fd_.get(); }
  // fstat of the file at the time it was read.
  const FileIdentity& identity() const { return identity_; }

 private:
  PluginImage() = default;

  std::string path_;
  std::string sha256_hex_;
  uint64_t size_ = 0;
  paddock::v1::PluginManifest manifest_;
  UniqueFd exec_fd_;
  FileIdentity identity_;
};

}  // namespace paddock::host
