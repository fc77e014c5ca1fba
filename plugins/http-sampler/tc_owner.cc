#include "tc_owner.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "paddock/errno_status.h"
#include "paddock/log.h"

namespace paddock::http_sampler {
namespace {

std::string LockPath(const std::string& dir, int slot) {
  return absl::StrCat(dir, "/tc-slot-", slot, ".lock");
}

// Opens (creating) the lock file of `slot` and tries to lock it. An invalid fd means the
// slot is held by a live instance.
absl::StatusOr<UniqueFd> TryLock(const std::string& dir, int slot) {
  std::string path = LockPath(dir, slot);
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd.valid()) return ErrnoStatus(errno, absl::StrCat("tc owner: open ", path));
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) < 0) {
    if (errno == EWOULDBLOCK) return UniqueFd();
    return ErrnoStatus(errno, absl::StrCat("tc owner: flock ", path));
  }
  return fd;
}

}  // namespace

absl::StatusOr<int> RemoveRecordedFilters(const std::string& path) {
  std::ifstream in(path);
  if (!in) return 0;  // No record: nothing was attached.
  int removed = 0;
  std::string line;
  absl::Status first;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    absl::StatusOr<TcFilter> f = TcFilter::Parse(line);
    if (!f.ok()) {
      paddock::log::Warn("tc owner: ignoring a bad record line", {{"path", path}, {"line", line}});
      continue;
    }
    if (!FilterPresent(*f)) continue;
    absl::Status s = DetachFilter(*f);
    if (s.ok()) {
      ++removed;
      paddock::log::Info("removed a stale filter", {{"filter", f->ToString()}});
    } else if (first.ok()) {
      first = s;
    }
  }
  if (!first.ok()) return first;
  if (::unlink(path.c_str()) < 0 && errno != ENOENT) {
    return ErrnoStatus(errno, absl::StrCat("tc owner: remove ", path));
  }
  return removed;
}

absl::StatusOr<std::unique_ptr<TcOwner>> TcOwner::Acquire(const std::string& state_dir) {
  std::unique_ptr<TcOwner> owner(new TcOwner());
  owner->dir_ = state_dir;
  for (int slot = 0; slot < kSlots; ++slot) {
    absl::StatusOr<UniqueFd> fd = TryLock(state_dir, slot);
    if (!fd.ok()) return fd.status();
    if (!fd->valid()) continue;  // Held by a live instance: its filters are its own.
    if (owner->slot_ < 0) {
      owner->slot_ = slot;
      owner->lock_ = std::move(*fd);
    }
    // Free (or now ours): whatever its record lists belongs to an instance that is gone.
    absl::StatusOr<int> removed = RemoveRecordedFilters(owner->RecordPath(slot));
    if (!removed.ok()) return removed.status();
  }
  if (owner->slot_ < 0) {
    return absl::FailedPreconditionError(absl::StrCat("tc owner: all ", kSlots, " owner slots in ",
                                                      state_dir, " are held by live instances"));
  }
  return owner;
}

TcOwner::~TcOwner() {
  if (absl::Status s = DetachAll(); !s.ok()) {
    paddock::log::Error("tc owner: detach on exit failed", {{"error", std::string(s.message())}});
  }
}

std::string TcOwner::RecordPath(int slot) const {
  return absl::StrCat(dir_, "/tc-slot-", slot, ".filters");
}

absl::Status TcOwner::WriteRecord() const {
  std::string path = RecordPath(slot_);
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    for (const auto& [name, filters] : attached_) {
      for (const TcFilter& f : filters) out << f.ToString() << "\n";
    }
    out.flush();
    if (!out) return absl::InternalError(absl::StrCat("tc owner: write ", tmp));
  }
  if (::rename(tmp.c_str(), path.c_str()) < 0) {
    return ErrnoStatus(errno, absl::StrCat("tc owner: rename ", tmp));
  }
  return absl::OkStatus();
}

absl::Status TcOwner::SetInterfaces(const std::vector<std::string>& names,
                                    const TcPrograms& programs) {
  std::map<std::string, InterfaceInfo> wanted;
  for (const std::string& name : names) {
    absl::StatusOr<InterfaceInfo> info = LookupInterface(name);
    if (!info.ok()) return info.status();
    wanted[name] = *info;
  }
  // Attach the new ones first (coverage never drops), recording as we go so a crash
  // in between leaves a record that the next instance cleans up.
  std::vector<std::string> added;
  absl::Status failure;
  for (const auto& [name, info] : wanted) {
    if (attached_.count(name) != 0) continue;
    // (hook is ingress, program): a loopback interface's ingress sees both directions.
    std::vector<std::pair<bool, int>> hooks;
    if (info.loopback) {
      hooks = {{true, programs.loopback_fd}};
    } else {
      hooks = {{true, programs.ingress_fd}, {false, programs.egress_fd}};
    }
    std::vector<TcFilter> filters;
    for (const auto& [ingress, fd] : hooks) {
      absl::StatusOr<TcFilter> f = AttachFilter(info.index, ingress, fd);
      if (!f.ok()) {
        failure = f.status();
        break;
      }
      filters.push_back(*f);
    }
    attached_[name] = filters;
    added.push_back(name);
    if (!failure.ok()) break;
    if (absl::Status s = WriteRecord(); !s.ok()) {
      failure = s;
      break;
    }
    std::string list;
    for (const TcFilter& f : filters) absl::StrAppend(&list, list.empty() ? "" : " ", f.ToString());
    paddock::log::Info("attached", {{"interface", name}, {"filters", list}});
  }
  if (!failure.ok()) {
    for (const std::string& name : added) {
      for (const TcFilter& f : attached_[name]) (void)DetachFilter(f);
      attached_.erase(name);
    }
    (void)WriteRecord();
    return failure;
  }
  // Then detach what is no longer wanted.
  absl::Status first;
  for (auto it = attached_.begin(); it != attached_.end();) {
    if (wanted.count(it->first) != 0) {
      ++it;
      continue;
    }
    for (const TcFilter& f : it->second) {
      absl::Status s = DetachFilter(f);
      if (!s.ok() && first.ok()) first = s;
    }
    paddock::log::Info("detached", {{"interface", it->first}});
    it = attached_.erase(it);
  }
  absl::Status rec = WriteRecord();
  return first.ok() ? rec : first;
}

absl::Status TcOwner::DetachAll() {
  absl::Status first;
  for (const auto& [name, filters] : attached_) {
    for (const TcFilter& f : filters) {
      absl::Status s = DetachFilter(f);
      if (!s.ok() && first.ok()) first = s;
    }
  }
  attached_.clear();
  if (slot_ >= 0 && first.ok()) {
    std::string path = RecordPath(slot_);
    if (::unlink(path.c_str()) < 0 && errno != ENOENT) {
      first = ErrnoStatus(errno, absl::StrCat("tc owner: remove ", path));
    }
  }
  return first;
}

std::vector<std::string> TcOwner::interfaces() const {
  std::vector<std::string> out;
  for (const auto& [name, filters] : attached_) out.push_back(name);
  return out;
}

std::vector<TcFilter> TcOwner::filters() const {
  std::vector<TcFilter> out;
  for (const auto& [name, filters] : attached_)
    out.insert(out.end(), filters.begin(), filters.end());
  return out;
}

}  // namespace paddock::http_sampler
