#include "segment_catalog.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <set>

#include "paddock/errno_status.h"
#include "paddock/fd.h"
#include "record.h"

namespace paddock::logagg {
namespace {

bool ReadFileSmall(const std::string& path, std::string* out, size_t max) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return false;
  out->resize(max);
  ssize_t n = pread(fd.get(), out->data(), max, 0);
  if (n < 0) return false;
  out->resize(static_cast<size_t>(n));
  return true;
}

}  // namespace

bool SegmentBefore(const SegmentEntry& a, const SegmentEntry& b) {
  if (a.created_ns != b.created_ns) return a.created_ns < b.created_ns;
  return a.name < b.name;
}

absl::Status SegmentCatalog::Refresh() {
  struct Found {
    uint64_t instance, number, size;
    int64_t mtime_ns;
  };
  std::map<std::string, Found> segs;
  std::set<std::string> idx;
  {
    std::unique_ptr<DIR, int (*)(DIR*)> d(opendir(dir_.c_str()), closedir);
    if (!d) return ErrnoStatus(errno, "opendir " + dir_);
    while (dirent* e = readdir(d.get())) {
      std::string name = e->d_name;
      uint64_t inst, num;
      if (name.size() > 4 && name.compare(name.size() - 4, 4, ".idx") == 0) {
        idx.insert(name.substr(0, name.size() - 4));
      } else if (ParseSegmentFileName(name, &inst, &num)) {
        struct stat st {};
        if (stat((dir_ + "/" + name).c_str(), &st) != 0) continue;
        segs[name] = Found{inst, num, static_cast<uint64_t>(st.st_size),
                           st.st_mtim.tv_sec * 1'000'000'000ll + st.st_mtim.tv_nsec};
      }
    }
  }
  // Headers and indexes of new or changed segments are read without the lock.
  std::map<std::string, SegmentEntry> known;
  {
    std::lock_guard<std::mutex> l(mu_);
    known = entries_;
  }
  std::map<std::string, SegmentEntry> next;
  for (const auto& [name, f] : segs) {
    auto it = known.find(name);
    bool has_idx = idx.count(name) > 0;
    if (it != known.end() && (it->second.own_active || (it->second.file_bytes == f.size &&
                                                        it->second.has_index == has_idx))) {
      SegmentEntry e = it->second;
      if (!e.own_active) e.mtime_ns = f.mtime_ns;
      next[name] = std::move(e);
      continue;
    }
    SegmentEntry e;
    e.name = name;
    e.instance = f.instance;
    e.number = f.number;
    e.file_bytes = f.size;
    e.mtime_ns = f.mtime_ns;
    if (it != known.end()) {
      e.created_ns = it->second.created_ns;
    } else {
      std::string hdr;
      SegmentHeader h;
      if (!ReadFileSmall(dir_ + "/" + name, &hdr, kSegmentHeaderBytes) ||
          hdr.size() != kSegmentHeaderBytes || !CheckSegmentHeader(hdr.data(), &h)) {
        continue;  // Being created, or not a segment: not ours to read.
      }
      e.created_ns = h.created_ns;
    }
    if (has_idx) {
      std::string bytes;
      if (ReadFileSmall(dir_ + "/" + name + ".idx", &bytes, 4096)) {
        auto ix = DecodeIndex(bytes);
        if (ix.ok() && ix->file_bytes == f.size) {
          e.index = *ix;
          e.has_index = true;
        }
      }
    }
    e.index.instance = e.instance;
    e.index.number = e.number;
    e.index.created_ns = e.created_ns;
    next[name] = std::move(e);
  }
  std::lock_guard<std::mutex> l(mu_);
  // The writer may have changed (or just created) its active entry meanwhile: keep its latest.
  for (auto& [name, e] : entries_) {
    if (e.own_active) next[name] = e;
  }
  for (auto& [name, e] : next) {
    if (!e.own_active) e.deletable = idx.count(name) > 0;
  }
  entries_ = std::move(next);
  RecomputeDeletableLocked();
  return absl::OkStatus();
}

void SegmentCatalog::RecomputeDeletableLocked() {
  std::map<uint64_t, uint64_t> newest;  // instance -> highest segment number.
  for (const auto& [name, e] : entries_) {
    uint64_t& n = newest[e.instance];
    n = std::max(n, e.number);
  }
  for (auto& [name, e] : entries_) {
    if (e.own_active) {
      e.deletable = false;
    } else if (e.number < newest[e.instance]) {
      e.deletable = true;
    }
  }
}

std::vector<SegmentEntry> SegmentCatalog::Snapshot() const {
  std::vector<SegmentEntry> out;
  {
    std::lock_guard<std::mutex> l(mu_);
    out.reserve(entries_.size());
    for (const auto& [name, e] : entries_) out.push_back(e);
  }
  std::sort(out.begin(), out.end(), SegmentBefore);
  return out;
}

void SegmentCatalog::SetActive(const std::string& name, const SegmentIndex& idx) {
  std::lock_guard<std::mutex> l(mu_);
  auto [it, created] = entries_.try_emplace(name);
  SegmentEntry& e = it->second;
  e.name = name;
  e.instance = idx.instance;
  e.number = idx.number;
  e.created_ns = idx.created_ns;
  e.file_bytes = idx.file_bytes;
  e.has_index = true;
  e.own_active = true;
  e.deletable = false;
  e.index = idx;
  active_ = name;
  // Called after every write: only a new segment changes what is deletable.
  if (created) RecomputeDeletableLocked();
}

void SegmentCatalog::SetSealed(const std::string& name, const SegmentIndex& idx) {
  std::lock_guard<std::mutex> l(mu_);
  SegmentEntry& e = entries_[name];
  e.name = name;
  e.instance = idx.instance;
  e.number = idx.number;
  e.created_ns = idx.created_ns;
  e.file_bytes = idx.file_bytes;
  e.has_index = true;
  e.own_active = false;
  e.deletable = true;
  e.index = idx;
  if (active_ == name) active_.clear();
}

uint64_t SegmentCatalog::TotalBytes() const {
  std::lock_guard<std::mutex> l(mu_);
  uint64_t total = 0;
  for (const auto& [name, e] : entries_) total += e.file_bytes;
  return total;
}

uint64_t SegmentCatalog::EnforceRetention(uint64_t max_bytes, uint64_t incoming,
                                          int64_t cutoff_ns) {
  std::vector<SegmentEntry> order = Snapshot();
  uint64_t total = 0;
  for (const SegmentEntry& e : order) total += e.file_bytes;
  uint64_t deleted = 0;
  for (const SegmentEntry& e : order) {
    if (!e.deletable) continue;
    int64_t newest = e.has_index && !e.index.empty() ? e.index.max_recv_ns : e.mtime_ns;
    bool too_big = max_bytes != 0 && total + incoming > max_bytes;
    bool too_old = cutoff_ns != 0 && newest < cutoff_ns;
    if (!too_big && !too_old) continue;
    std::string path = dir_ + "/" + e.name;
    if (unlink(path.c_str()) != 0 && errno != ENOENT) continue;
    unlink((path + ".idx").c_str());
    total -= e.file_bytes;
    ++deleted;
    std::lock_guard<std::mutex> l(mu_);
    entries_.erase(e.name);
  }
  if (deleted > 0) {
    std::lock_guard<std::mutex> l(mu_);
    RecomputeDeletableLocked();
  }
  return deleted;
}

void SegmentCatalog::NotifyWritten() {
  {
    std::lock_guard<std::mutex> l(mu_);
    ++written_gen_;
  }
  written_cv_.notify_all();
}

uint64_t SegmentCatalog::written_generation() const {
  std::lock_guard<std::mutex> l(mu_);
  return written_gen_;
}

void SegmentCatalog::WaitForWrite(uint64_t* seen, absl::Duration timeout) {
  std::unique_lock<std::mutex> l(mu_);
  written_cv_.wait_for(l, absl::ToChronoNanoseconds(timeout),
                       [&] { return written_gen_ != *seen; });
  *seen = written_gen_;
}

}  // namespace paddock::logagg
