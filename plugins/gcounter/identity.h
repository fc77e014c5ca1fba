// The node's identity in its data dir: the incarnation id (random, made with the data dir)
// and how many times it started (the boot count, which keeps packet sequence numbers
// growing across restarts). A node whose data dir is lost starts a new incarnation and so
// never reuses the entries of the old one.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "types.h"

namespace paddock::gcounter {

struct Identity {
  ReplicaId id = 0;
  uint64_t boot = 0;     // 0 on the first start of this incarnation.
  bool created = false;  // A new incarnation was made by this call.
  std::string reason;    // Why a new one was made ("no identity file", "unreadable: ...").
};

// A fresh random incarnation id (getrandom), never 0.
absl::StatusOr<ReplicaId> NewReplicaId();

// Reads <dir>/identity and increments its boot count, or makes a new incarnation when the
// file is missing or unreadable; then writes it back durably (temp file, fsync, rename,
// fsync of the directory) before returning. Errors only when the directory is unusable.
absl::StatusOr<Identity> LoadOrCreateIdentity(const std::string& dir);

// Writes `identity` to <dir>/identity durably (same steps as above).
absl::Status SaveIdentity(const std::string& dir, const Identity& identity);

// Writes `bytes` to <dir>/<name> atomically and durably: <name>.tmp, fsync, rename, fsync
// of the directory. Shared by the identity, the snapshot and the markers.
absl::Status WriteFileDurably(const std::string& dir, const std::string& name,
                              const std::string& bytes);
// fsync of a directory (after a rename or an unlink in it).
absl::Status SyncDir(const std::string& dir);

}  // namespace paddock::gcounter
