// The executable image a plugin runs: the exact bytes the host read and validated, in a
// sealed memfd, so that replacing the file on disk between the check and the exec
// changes nothing. The launcher runs it with execveat(fd, "", AT_EMPTY_PATH).
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "paddock/fd.h"

namespace paddock::sandbox {

// Copies `bytes` into a new close-on-exec memfd named `name` (shown as
// /proc/PID/exe -> "/memfd:NAME (deleted)") and seals it against any change
// (F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL). Returns the memfd.
absl::StatusOr<UniqueFd> SealedImageFromBytes(std::string_view name, std::string_view bytes);

// Reads the whole regular file at `path` into memory. Bad input (missing file, not a
// regular file, larger than `max_bytes`) gives a clear error.
absl::StatusOr<std::string> ReadImageFile(const std::string& path,
                                          size_t max_bytes = size_t{1} << 30);

}  // namespace paddock::sandbox
