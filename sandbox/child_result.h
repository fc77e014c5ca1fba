// The result of one confinement step run in the child between clone and exec. It must
// be async-signal-safe to build and copy: a static step name and an errno value, no
// allocation. The launcher sends a failed result to the parent over the error pipe.
#pragma once

namespace paddock::sandbox {

struct ChildResult {
  const char* step = nullptr;  // Static string naming the failed step; nullptr = success.
  int err = 0;                 // errno of the failure.
  int detail = -1;             // Step-specific index (e.g. which mount), -1 = none.

  bool ok() const { return step == nullptr; }
  static ChildResult Ok() { return {}; }
  // `step` must be a string literal (it outlives everything in the child).
  static ChildResult Fail(const char* step, int err, int detail = -1) {
    return {step, err, detail};
  }
};

}  // namespace paddock::sandbox

// Returns the failed ChildResult of `expr` from the enclosing function.
#define PADDOCK_CHILD_TRY(expr)                          \
  do {                                                   \
    ::paddock::sandbox::ChildResult paddock_r_ = (expr); \
    if (!paddock_r_.ok()) return paddock_r_;             \
  } while (0)
