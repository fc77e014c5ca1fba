// Range and name checks of a host config whose defaults are already filled
// (ParseHostConfig runs them; exposed for configs built in code, e.g. by tests).
#pragma once

#include <string_view>

#include "absl/status/status.h"
#include "paddock/v1/host_config.pb.h"

namespace paddock::host {

// Returns InvalidArgument naming the first bad field: "restart.jitter: must be in [0, 1],
// got 1.5", "plugins.\"Hello\": plugin name must match [a-z][a-z0-9-]{0,62}".
absl::Status ValidateHostConfig(const paddock::v1::HostConfig& config);

// Checks one grant (defaults filled); `path` prefixes the errors ("default_grant").
absl::Status ValidateGrant(const paddock::v1::Grant& grant, std::string_view path);

}  // namespace paddock::host
