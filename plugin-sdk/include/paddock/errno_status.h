// The one place where errno becomes an absl::Status.
#pragma once

#include <string_view>

#include "absl/status/status.h"

namespace paddock {

// Returns a non-OK status for errno value `err`, with `context` (what was being done,
// e.g. "open /etc/x") and strerror in the message. The code follows absl's mapping
// (ENOENT -> NotFound, EACCES -> PermissionDenied, ...).
absl::Status ErrnoStatus(int err, std::string_view context);

}  // namespace paddock
