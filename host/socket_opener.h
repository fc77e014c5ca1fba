// Opens the sockets a plugin asked the host to hold for it (manifest sandbox.sockets),
// bound to the address the host config chose. The host keeps them across generations.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "paddock/fd.h"
#include "paddock/v1/manifest.pb.h"

namespace paddock::host {

// Binds (and for TCP listens on) `address` ("127.0.0.1:5514", "[::1]:5514", port 0 picks
// one). CLOEXEC; the spawner dups it into each generation. InvalidArgument for a malformed
// address, the errno otherwise.
absl::StatusOr<UniqueFd> OpenHeldSocket(const paddock::v1::SocketRequest& request,
                                        const std::string& address);

// The address a bound socket actually has, "127.0.0.1:40123".
std::string LocalAddress(int fd);

}  // namespace paddock::host
