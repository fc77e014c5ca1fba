// The plugin's side of the bootstrap handshake on fd 3 (see proto/paddock/v1/bootstrap.proto).
#pragma once

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "paddock/v1/bootstrap.pb.h"

namespace paddock::sdk {

// FailedPrecondition (with a message meant for a human who ran the binary by hand) unless
// `fd` is a SOCK_STREAM socket.
absl::Status CheckBootstrapSocket(int fd);

// Reads the Bootstrap frame from `fd`, waiting at most `timeout`.
absl::StatusOr<v1::Bootstrap> ReadBootstrap(int fd, absl::Duration timeout);

// Checks that `b` is complete and meant for the plugin named `plugin_name`: known protocol,
// names, listen path that fits a sockaddr_un, PEM material, log level, and passed
// descriptors (named uniquely, open, above fd 3). InvalidArgument naming the field
// otherwise. Never puts secret material in the message.
absl::Status ValidateBootstrap(const v1::Bootstrap& b, std::string_view plugin_name);

// Writes the one BootstrapReply frame: ready, or not ready with `error`.
absl::Status WriteBootstrapReply(int fd, bool ready, std::string_view error);

}  // namespace paddock::sdk
