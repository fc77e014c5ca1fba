// paddockctl's commands: each talks to the control socket and prints the answer.
#pragma once

#include <string>
#include <vector>

namespace paddock::host {

struct CtlOptions {
  std::string socket;    // Control socket path.
  bool json = false;     // Machine-readable output.
  double timeout_s = 0;  // Per-request deadline; 0 = the command's default.
};

// Runs one command (args[0] is its name). Returns the exit code: 0 success, 1 the host
// refused or the plugin failed, 2 usage error, 3 cannot reach the host.
int RunCtlCommand(const CtlOptions& options, const std::vector<std::string>& args);

// The default control socket: $PADDOCK_SOCKET, else /run/paddock/paddockd.sock.
std::string DefaultControlSocket();

extern const char kCtlUsage[];

}  // namespace paddock::host
