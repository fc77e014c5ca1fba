// Zombie children of a process, read from a proc file system.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace paddock::sdk {

// The pids under `proc_root` (normally "/proc") whose stat says state Z and ppid `parent`.
// Processes that vanish while being read are skipped. Errors only when `proc_root` cannot
// be listed.
absl::StatusOr<std::vector<pid_t>> ZombieChildren(const std::string& proc_root, pid_t parent);

// Parses one /proc/<pid>/stat line: state letter and ppid. The command name may contain
// spaces and parentheses, so fields are taken after the last ')'. False if malformed.
bool ParseProcStat(const std::string& stat, char* state, pid_t* ppid);

}  // namespace paddock::sdk
