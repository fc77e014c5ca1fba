// Signal state around the clone: the parent blocks every signal across the clone so
// that the child never runs one of the host's handlers; the child resets every
// disposition to the default and then unblocks everything, so the plugin starts with a
// clean signal state (execve keeps ignored dispositions and the mask).
#pragma once

#include <signal.h>

#include "sandbox/child_result.h"

namespace paddock::sandbox {

// Blocks all signals in the calling thread for its lifetime, then restores the mask.
class ScopedBlockAllSignals {
 public:
  ScopedBlockAllSignals();
  ~ScopedBlockAllSignals();
  ScopedBlockAllSignals(const ScopedBlockAllSignals&) = delete;
  ScopedBlockAllSignals& operator=(const ScopedBlockAllSignals&) = delete;

 private:
  sigset_t saved_;
};

// Child side, async-signal-safe: every disposition to SIG_DFL, then an empty mask.
ChildResult ResetSignalsInChild();

}  // namespace paddock::sandbox
