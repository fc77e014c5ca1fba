// Reading whole files the host was pointed at (config, plugin binaries) safely: regular
// files only, bounded size, one open, identity taken from the same descriptor.
#pragma once

#include <sys/stat.h>

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"

namespace paddock::host {

// Reads all of the regular file at `path`. Refuses anything else (directory, FIFO, socket,
// device) without blocking on it, and files larger than `max_bytes` (also when the file
// grows while it is read). When `st` is not null it receives fstat of the descriptor the
// bytes came from. Errors start with the path.
absl::StatusOr<std::string> ReadRegularFile(const std::string& path, size_t max_bytes,
                                            struct stat* st = nullptr);

// "a directory", "a FIFO", "a socket", ... for st_mode; used in error messages.
const char* FileTypeName(mode_t mode);

}  // namespace paddock::host
