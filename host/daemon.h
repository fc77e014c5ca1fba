// paddockd as a whole: loads the config, creates the CA, the event loop, the supervisor
// and the control server, runs until SIGINT/SIGTERM, then stops every plugin.
#pragma once

#include <string>
#include <vector>

namespace paddock::host {

struct DaemonOptions {
  std::string config_path;               // "" = the embedded default config.
  std::vector<std::string> plugin_dirs;  // Replace the config's plugin_dirs when non-empty.
  std::string control_socket;            // Overrides the config when non-empty.
  std::string runtime_dir;               // Overrides the config when non-empty.
  std::string data_dir;                  // Overrides the config when non-empty.
  std::string log_level;                 // Overrides the config when non-empty.
  bool unconfined = false;               // Forces sandbox.unconfined (development).
};

// Runs the daemon in the foreground. Returns the process exit code.
int RunDaemon(const DaemonOptions& options);

}  // namespace paddock::host
