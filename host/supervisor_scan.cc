// Keeping the set of plugins in step with the plugin directories: full rescans (start,
// SIGUSR2, `paddockctl reload`) and inotify events that settle before they are acted on.
#include <future>
#include <set>

#include "absl/strings/str_cat.h"
#include "host/host_log.h"
#include "host/supervisor.h"
#include "host/supervisor_slot.h"

namespace paddock::host {

std::vector<DiscoveredFile> Supervisor::Scan() {
  std::vector<std::string> dirs(config_.config.plugin_dirs().begin(),
                                config_.config.plugin_dirs().end());
  // Unchanged files (same inode, size and mtime) keep the image already loaded.
  auto reuse = [this](const std::string& path,
                      const PluginImage::FileIdentity& id) -> std::shared_ptr<const PluginImage> {
    for (const auto& [name, slot] : slots_) {
      for (const auto& img : {slot->image, slot->pending_image, slot->next_image}) {
        if (img && img->path() == path && img->identity() == id) return img;
      }
    }
    return nullptr;
  };
  std::vector<DiscoveredFile> files = ScanPluginDirs(dirs, reuse);
  MarkDuplicates(&files);
  return files;
}

Supervisor::Slot* Supervisor::AddSlot(const std::string& path,
                                      std::shared_ptr<const PluginImage> image) {
  const auto& manifest = image->manifest();
  auto slot = std::make_unique<Slot>();
  slot->name = manifest.name();
  slot->path = path;
  slot->image = std::move(image);
  slot->logs = std::make_shared<LogRing>(config_.config.log_ring_bytes());
  slot->restarts = std::make_unique<RestartTracker>(config_.config.restart());
  AssignIdentity(*slot);
  auto settings = config_.config.plugins().find(slot->name);
  slot->wanted = settings == config_.config.plugins().end() || !settings->second.disabled();
  if (auto st = PrepareSlot(*slot); !st.ok()) {
    slot->refusal = std::string(st.message());
    slot->error = slot->refusal;
    HostLog(LogLevel::kWarn, absl::StrCat("plugin ", slot->name, " refused: ", slot->refusal));
  }
  HostLog(LogLevel::kInfo,
          absl::StrCat("found plugin ", slot->name, " ", manifest.version(), " at ", path));
  Slot* raw = slot.get();
  slots_[raw->name] = std::move(slot);
  return raw;
}

void Supervisor::RemoveSlot(Slot& slot) {
  HostLog(LogLevel::kInfo,
          absl::StrCat(slot.name, ": binary removed from ", slot.path, "; stopping it"));
  StopSlot(slot);
  // The slot object stays alive (callbacks may still name it) but leaves the list.
  auto it = slots_.find(slot.name);
  if (it != slots_.end() && it->second.get() == &slot) {
    graveyard_.push_back(std::move(it->second));
    slots_.erase(it);
  }
}

void Supervisor::Reconcile(std::vector<DiscoveredFile> files, bool reload_replaced,
                           std::vector<Slot*>* reloading) {
  std::map<std::string, paddock::v1::PluginInfo> invalid;
  std::set<std::string> seen_names;
  const TrustedKeys keys = LoadTrustedKeys();
  for (auto& f : files) {
    if (!f.image.ok()) {
      paddock::v1::PluginInfo info;
      info.set_name(f.file_name.empty() ? f.path : f.file_name);
      info.set_binary_path(f.path);
      info.set_state(paddock::v1::STATE_INVALID);
      info.set_error(std::string(f.image.status().message()));
      if (!invalid_.count(f.path)) {
        HostLog(LogLevel::kWarn, absl::StrCat("invalid plugin file ", f.path, ": ", info.error()));
      }
      invalid[f.path] = std::move(info);
      continue;
    }
    std::shared_ptr<const PluginImage> image = *f.image;
    const std::string& name = image->manifest().name();
    if (!AdmitSignature(f.path, *image, keys, &invalid)) {
      if (FindSlot(name) != nullptr) seen_names.insert(name);  // It keeps running.
      continue;
    }
    seen_names.insert(name);
    Slot* slot = FindSlot(name);
    if (slot == nullptr) {
      slot = AddSlot(f.path, image);
      if (slot->wanted && slot->refusal.empty() && !shutting_down_) StartInstance(*slot);
      continue;
    }
    slot->path = f.path;
    const PluginImage* current = slot->next_image ? slot->next_image.get() : slot->image.get();
    if (current->sha256_hex() == image->sha256_hex()) continue;
    if (reload_replaced) {
      BeginReload(*slot, image, nullptr);
      if (reloading != nullptr) reloading->push_back(slot);
    } else if (!slot->pending_image || slot->pending_image->sha256_hex() != image->sha256_hex()) {
      slot->pending_image = image;
      HostLog(LogLevel::kInfo,
              absl::StrCat(slot->name, ": binary replaced on disk (", image->manifest().version(),
                           "); reload with SIGUSR2 or `paddockctl reload ", slot->name, "`"));
    }
  }
  invalid_ = std::move(invalid);
  std::vector<Slot*> gone;
  for (auto& [name, slot] : slots_) {
    if (!seen_names.count(name)) gone.push_back(slot.get());
  }
  for (Slot* s : gone) RemoveSlot(*s);
}

void Supervisor::ReloadAll(std::function<void(paddock::v1::ReloadResponse)> done) {
  if (reload_round_running_) {
    // Coalesce: everything asked during a round is served by exactly one more round.
    reload_round_again_ = true;
    if (done) next_round_waiters_.push_back(std::move(done));
    return;
  }
  if (done) reload_round_waiters_.push_back(std::move(done));
  RunReloadRound();
}

void Supervisor::RunReloadRound() {
  reload_round_running_ = true;
  HostLog(LogLevel::kInfo, "reload: rescanning the plugin directories");
  std::vector<Slot*> reloading;
  // Binaries replaced earlier and waiting for the signal are picked up by the rescan.
  Reconcile(Scan(), /*reload_replaced=*/true, &reloading);
  auto response = std::make_shared<paddock::v1::ReloadResponse>();
  auto left = std::make_shared<size_t>(reloading.size());
  auto finish = [this, response] {
    reload_round_running_ = false;
    std::vector<std::function<void(paddock::v1::ReloadResponse)>> waiters;
    waiters.swap(reload_round_waiters_);
    for (auto& w : waiters) w(*response);
    if (reload_round_again_ && !shutting_down_) {
      reload_round_again_ = false;
      reload_round_waiters_.swap(next_round_waiters_);
      RunReloadRound();
    }
  };
  if (reloading.empty()) {
    finish();
    return;
  }
  for (Slot* slot : reloading) {
    std::string name = slot->name;
    slot->reload_done.push_back(
        [response, left, finish, name](const paddock::v1::ReloadOutcome& o) {
          (*response->mutable_outcomes())[name] = o;
          if (--*left == 0) finish();
        });
    // A reload that already settled (refused at once) answered before we attached.
    if (!slot->next && slot->reload_old == nullptr && !slot->reload_done.empty()) {
      auto done = std::move(slot->reload_done);
      slot->reload_done.clear();
      for (auto& d : done) d(slot->last_reload);
    }
  }
}

absl::StatusOr<paddock::v1::ReloadResponse> Supervisor::Reload(const std::string& name) {
  auto p = std::make_shared<std::promise<absl::StatusOr<paddock::v1::ReloadResponse>>>();
  auto f = p->get_future();
  deps_.loop->Post([this, name, p] {
    auto reply = [p](absl::StatusOr<paddock::v1::ReloadResponse> r) { p->set_value(std::move(r)); };
    if (shutting_down_) return reply(absl::UnavailableError("the host is shutting down"));
    if (name.empty()) {
      ReloadAll([reply](paddock::v1::ReloadResponse r) { reply(std::move(r)); });
      return;
    }
    Slot* slot = FindSlot(name);
    if (slot == nullptr)
      return reply(absl::NotFoundError(absl::StrCat("no plugin named \"", name, "\"")));
    auto image = PluginImage::Load(slot->path);
    if (!image.ok()) {
      return reply(absl::FailedPreconditionError(
          absl::StrCat("cannot reload ", name, ": ", slot->path, ": ", image.status().message())));
    }
    if ((*image)->manifest().name() != name) {
      return reply(absl::FailedPreconditionError(absl::StrCat("cannot reload ", name, ": ",
                                                              slot->path, " now holds plugin \"",
                                                              (*image)->manifest().name(), "\"")));
    }
    if (absl::Status st = CheckReloadSignature(slot->path, **image); !st.ok()) {
      return reply(
          absl::FailedPreconditionError(absl::StrCat("cannot reload ", name, ": ", st.message())));
    }
    BeginReload(*slot, std::move(*image), [reply, name](const paddock::v1::ReloadOutcome& o) {
      paddock::v1::ReloadResponse r;
      (*r.mutable_outcomes())[name] = o;
      reply(std::move(r));
    });
  });
  absl::Duration wait =
      absl::Milliseconds(config_.config.reload().ready_deadline_ms() +
                         config_.config.reload().drain_ms() + config_.config.shutdown_grace_ms()) +
      absl::Seconds(30);
  if (f.wait_for(absl::ToChronoSeconds(wait)) != std::future_status::ready) {
    return absl::DeadlineExceededError("the reload did not settle in time");
  }
  return f.get();
}

void Supervisor::OnPluginDirChanged(const std::string& dir, const std::string& name) {
  if (shutting_down_) return;
  if (name.empty()) {
    // Lost events or the directory moved: reconcile with a full scan (replacements still
    // follow reload.mode).
    Reconcile(Scan(), config_.config.reload().mode() == paddock::v1::ReloadPolicy::AUTO, nullptr);
    return;
  }
  // A signature changed: judge its binary again (IsIgnoredFileName skips ".sig" files).
  if (name.ends_with(kSignatureSuffix) && name.size() > sizeof(kSignatureSuffix) - 1) {
    OnPluginDirChanged(dir, name.substr(0, name.size() - (sizeof(kSignatureSuffix) - 1)));
    return;
  }
  if (IsIgnoredFileName(name)) return;
  std::string path = dir + "/" + name;
  Settling& s = settling_[path];
  if (s.timer != 0) deps_.loop->Cancel(s.timer);
  auto id = PluginImage::StatIdentity(path);
  s.identity = id.ok() ? std::optional<PluginImage::FileIdentity>(*id) : std::nullopt;
  s.timer = deps_.loop->RunAfter(absl::Milliseconds(config_.config.reload().settle_ms()),
                                 [this, path] { CheckSettled(path); });
}

void Supervisor::CheckSettled(const std::string& path) {
  auto it = settling_.find(path);
  if (it == settling_.end()) return;
  auto id = PluginImage::StatIdentity(path);
  std::optional<PluginImage::FileIdentity> now =
      id.ok() ? std::optional<PluginImage::FileIdentity>(*id) : std::nullopt;
  if (now != it->second.identity) {
    // Still being written: wait for another quiet period.
    it->second.identity = now;
    it->second.timer = deps_.loop->RunAfter(absl::Milliseconds(config_.config.reload().settle_ms()),
                                            [this, path] { CheckSettled(path); });
    return;
  }
  settling_.erase(it);
  Reconcile(Scan(), config_.config.reload().mode() == paddock::v1::ReloadPolicy::AUTO, nullptr);
}

}  // namespace paddock::host
