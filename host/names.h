// The naming rules shared by the host config, the manifest and the grant check, in one
// place so all three agree: plugin names, socket names, syscall group names and the Linux
// capability names the host knows.
#pragma once

#include <optional>
#include <string_view>

namespace paddock::host {

// Longest string field the host accepts from a manifest or a config name, in bytes.
inline constexpr size_t kMaxNameBytes = 256;

// [a-z][a-z0-9-]{0,62}: a plugin name (also a cgroup, uid and directory name component).
bool IsValidPluginName(std::string_view name);

// [a-z][a-z0-9_-]{0,31}: the name of a socket a plugin asks the host to pre-open.
bool IsValidSocketName(std::string_view name);

// [a-z0-9_-]{1,64}: the name of a seccomp syscall group.
bool IsValidSyscallGroupName(std::string_view name);

// Returns the number of the capability named `name` (e.g. "CAP_BPF" -> 39), or nullopt
// when the host does not know the name. Names are the uppercase ones of
// linux/capability.h, up to CAP_CHECKPOINT_RESTORE (40, Linux 5.9).
std::optional<int> CapabilityNumber(std::string_view name);

}  // namespace paddock::host
