#include "host/names.h"

#include "plugin-sdk/manifest_section.h"
#include "sandbox/caps.h"

namespace paddock::host {
namespace {

bool IsLowerOrDigit(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

}  // namespace

bool IsValidPluginName(std::string_view name) {
  return sdk::IsValidPluginName(name);  // One rule for the SDK's build tool and the host.
}

bool IsValidSocketName(std::string_view name) {
  if (name.empty() || name.size() > 32 || !(name[0] >= 'a' && name[0] <= 'z')) return false;
  for (char c : name) {
    if (!IsLowerOrDigit(c) && c != '-' && c != '_') return false;
  }
  return true;
}

bool IsValidSyscallGroupName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    if (!IsLowerOrDigit(c) && c != '-' && c != '_') return false;
  }
  return true;
}

std::optional<int> CapabilityNumber(std::string_view name) {
  // One table of names (the sandbox's); configs and manifests must spell them exactly, where
  // the sandbox's parser also takes "bpf" or "cap_bpf".
  absl::StatusOr<int> number = sandbox::CapabilityFromName(name);
  if (!number.ok() || sandbox::CapabilityName(*number) != name) return std::nullopt;
  return *number;
}

}  // namespace paddock::host
