// paddockctl's offline commands for plugin signatures; none talks to paddockd.
//   keygen PREFIX                   new Ed25519 key pair: PREFIX.key (0600) and PREFIX.pub
//   sign --key KEY BINARY...        writes BINARY.sig for each binary
//   verify --key PUB BINARY...      checks BINARY.sig against PUB (a .pub file or a dir)
#pragma once

#include <string>
#include <vector>

namespace paddock::host {

// True for "keygen", "sign" and "verify".
bool IsSignCommand(const std::string& command);

// Runs one of them (args[0] is its name). Returns the exit code: 0 success, 1 failure
// (a message on stderr), 2 usage error.
int RunSignCommand(const std::vector<std::string>& args);

}  // namespace paddock::host
