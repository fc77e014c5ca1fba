// Durable state in the data dir: a write-ahead log ("wal") of entry values and a snapshot
// ("snapshot") that compacts it. Every record holds absolute entry values (never
// increments), so replaying any record twice, or replaying the log on top of a newer
// snapshot after a crash between the two steps of a checkpoint, changes nothing: recovery
// is simply the join of everything readable.
//
// Record: u32 LE payload length | u32 LE CRC-32C of the payload | payload, where payload is
// varint count, then per entry: origin u64 | varint name length, name | kind u8 |
// p varint | n varint | version varint.
// A torn last record (crash in the middle of a write, never acknowledged) is cut off.
// Not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "paddock/fd.h"
#include "types.h"

namespace paddock::gcounter {

struct WalEntry {
  ReplicaId origin = 0;
  std::string name;
  EntryValue value;
};

struct Recovered {
  std::vector<WalEntry> entries;  // Snapshot first, then the log, in file order.
  uint64_t records = 0;
  bool cut_tail = false;  // A torn record at the end of the log was removed.
  bool damaged = false;   // The snapshot was unreadable: some durable state may be lost.
  std::string damage;     // What was wrong.
};

// CRC-32C (Castagnoli), as used by the record format.
uint32_t Crc32c(std::string_view data);
// Encodes one record (for tests and the snapshot writer).
std::string EncodeRecord(const std::vector<WalEntry>& entries);

class Wal {
 public:
  // Opens (creating if needed) the log in `dir` and reads the snapshot and the log into
  // `out`. Errors only when the directory or files cannot be used at all.
  static absl::StatusOr<std::unique_ptr<Wal>> Open(const std::string& dir, Recovered* out);

  // Appends one record with `entries` (written with one write(2); not yet durable).
  absl::Status Append(const std::vector<WalEntry>& entries);
  // Makes everything appended so far durable (fdatasync).
  absl::Status Sync();
  // Writes `all` as the new snapshot (durably, atomically) and empties the log.
  absl::Status Checkpoint(const std::vector<WalEntry>& all);

  // Bytes in the log since the last checkpoint.
  uint64_t log_bytes() const { return log_bytes_; }
  uint64_t syncs() const { return syncs_; }

 private:
  Wal(std::string dir, UniqueFd fd, uint64_t bytes)
      : dir_(std::move(dir)), fd_(std::move(fd)), log_bytes_(bytes) {}

  std::string dir_;
  UniqueFd fd_;
  uint64_t log_bytes_ = 0;
  uint64_t syncs_ = 0;
};

}  // namespace paddock::gcounter
