// Plugin signatures in the supervisor: every image a scan or `paddockctl reload NAME` finds
// is checked under its directory's policy (signature_policy.h) before it may run.
//
// Decisions:
//  - The check happens when an image is admitted (first found, or found replaced). A
//    generation that already runs is not stopped when its .sig later disappears or its key
//    stops being trusted; restarts after a crash re-run the admitted image.
//  - Under "require", a new plugin that fails is listed as invalid with the reason; a
//    replacement that fails leaves the running generation serving and says so in status.
//  - Trusted keys are read at every scan, so adding a key file takes effect at the next
//    scan (a reload, or a change in a plugin directory) without restarting the host.
#include "absl/strings/str_cat.h"
#include "host/host_log.h"
#include "host/signature_policy.h"
#include "host/supervisor.h"
#include "host/supervisor_slot.h"

namespace paddock::host {
namespace {

// Starts the slot error of a refused replacement (cleared once one is admitted).
constexpr char kRefusedPrefix[] = "replacement ";

}  // namespace

TrustedKeys Supervisor::LoadTrustedKeys() {
  if (!AnySignatureChecked(config_.config)) return TrustedKeys();
  const auto& paths = config_.config.signatures().trusted_keys();
  TrustedKeys keys = TrustedKeys::Load(std::vector<std::string>(paths.begin(), paths.end()));
  for (const std::string& problem : keys.problems()) {
    auto [it, inserted] = signature_logged_.emplace("trusted key: " + problem, problem);
    if (inserted) HostLog(LogLevel::kWarn, absl::StrCat("signatures: ", problem));
  }
  return keys;
}

bool Supervisor::AdmitSignature(const std::string& path, const PluginImage& image,
                                const TrustedKeys& keys,
                                std::map<std::string, paddock::v1::PluginInfo>* invalid) {
  const SignatureCheck check = CheckPluginSignature(config_.config, keys, path, image);
  const std::string& name = image.manifest().name();
  if (!check.refused()) {
    // A replacement refused earlier is admitted now (or the file was put back).
    if (Slot* slot = FindSlot(name); slot != nullptr && slot->error.starts_with(kRefusedPrefix)) {
      slot->error.clear();
    }
  }
  if (check.status.ok()) {
    signature_logged_.erase(path);
    return true;
  }
  const std::string why(check.status.message());
  const bool first = signature_logged_[path] != why;
  signature_logged_[path] = why;
  if (!check.refused()) {
    if (first) HostLog(LogLevel::kWarn, absl::StrCat(name, " (", path, "): ", why));
    return true;
  }
  if (Slot* slot = FindSlot(name); slot != nullptr) {
    const PluginImage* current = slot->next_image ? slot->next_image.get() : slot->image.get();
    slot->error =
        current->sha256_hex() == image.sha256_hex()
            ? std::string()  // What runs was admitted before; it keeps running.
            : absl::StrCat(kRefusedPrefix, path, " refused, this generation keeps serving: ", why);
    if (first)
      HostLog(LogLevel::kWarn, absl::StrCat(name, ": ", slot->error.empty() ? why : slot->error));
    return false;
  }
  paddock::v1::PluginInfo info;
  info.set_name(name);
  info.set_version(image.manifest().version());
  info.set_binary_path(path);
  info.set_binary_sha256(image.sha256_hex());
  info.set_state(paddock::v1::STATE_INVALID);
  info.set_error(why);
  if (first) HostLog(LogLevel::kWarn, absl::StrCat("plugin ", name, " refused: ", why));
  (*invalid)[path] = std::move(info);
  return false;
}

absl::Status Supervisor::CheckReloadSignature(const std::string& path, const PluginImage& image) {
  const SignatureCheck check = CheckPluginSignature(config_.config, LoadTrustedKeys(), path, image);
  if (check.refused()) return check.status;
  if (Slot* slot = FindSlot(image.manifest().name());
      slot != nullptr && slot->error.starts_with(kRefusedPrefix)) {
    slot->error.clear();  // The replacement refused earlier is admitted now.
  }
  if (!check.status.ok()) {
    HostLog(LogLevel::kWarn, absl::StrCat(image.manifest().name(), ": ", check.status.message()));
  }
  return absl::OkStatus();
}

}  // namespace paddock::host
