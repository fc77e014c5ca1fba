// Start-up recovery of the data dir: seals what dead instances left behind and accounts
// what they lost.
//
// For every dead instance (see instance_state.h) and every segment without an index whose
// instance is not alive: the segment is scanned, a torn tail (a record cut short or failing
// its CRC, e.g. from kill -9 in the middle of a write or a full disk) is truncated off, and
// the index is written. The dead instance's lost lines are its received count minus the
// last sequence number in its segments. Each recovery is appended to "ledger.log" in the
// data dir ("<unix ns> instance=<id> lost=<n> torn_bytes=<n>"), so the totals survive
// restarts and are reported by Stats.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace paddock::logagg {

struct RecoveryReport {
  uint64_t instances = 0;        // Dead instances recovered now.
  uint64_t segments_sealed = 0;  // Segments indexed now.
  uint64_t lost = 0;             // Lines lost by the instances recovered now.
  uint64_t torn_bytes = 0;       // Bytes truncated now.
  uint64_t ledger_lost = 0;      // Totals over the ledger (now included).
  uint64_t ledger_torn_bytes = 0;
};

// Recovers `data_dir` (which holds "segments/" and "instances/", created if missing) as
// instance `self`. Errors only when the directories cannot be used.
absl::StatusOr<RecoveryReport> Recover(const std::string& data_dir, uint64_t self);

// Sums the ledger in `data_dir` (missing file: zeros; malformed lines are skipped).
void ReadLedger(const std::string& data_dir, uint64_t* lost, uint64_t* torn_bytes);

}  // namespace paddock::logagg
