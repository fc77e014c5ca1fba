#include "instance_state.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <utility>

#include "paddock/errno_status.h"
#include "record.h"

namespace paddock::logagg {
namespace {

constexpr uint64_t kStateMagic = 0x3154534741474c50ull;  // "PLGAGST1"
constexpr size_t kStateBytes = 4096;

// Layout of the state file's first bytes.
struct StateFile {
  uint64_t magic;
  uint64_t instance;
  uint64_t received;
};

bool ParseStateName(const char* name, uint64_t* instance) {
  // inst-<16 hex>.state
  if (std::strlen(name) != 5 + 16 + 6 || std::strncmp(name, "inst-", 5) != 0 ||
      std::strcmp(name + 21, ".state") != 0) {
    return false;
  }
  uint64_t v = 0;
  for (int i = 5; i < 21; ++i) {
    char c = name[i];
    int d = (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
    if (d < 0) return false;
    v = (v << 4) | static_cast<uint64_t>(d);
  }
  *instance = v;
  return true;
}

}  // namespace

absl::StatusOr<InstanceState> InstanceState::Create(const std::string& dir, uint64_t instance) {
  InstanceState s;
  s.path_ = dir + "/inst-" + InstanceHex(instance) + ".state";
  std::string tmp = s.path_ + ".tmp";
  s.fd_.Reset(open(tmp.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0640));
  if (!s.fd_) return ErrnoStatus(errno, "create " + tmp);
  if (flock(s.fd_.get(), LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    unlink(tmp.c_str());
    return ErrnoStatus(err, "flock " + tmp);
  }
  if (ftruncate(s.fd_.get(), kStateBytes) != 0) {
    int err = errno;
    unlink(tmp.c_str());
    return ErrnoStatus(err, "ftruncate " + tmp);
  }
  void* m = mmap(nullptr, kStateBytes, PROT_READ | PROT_WRITE, MAP_SHARED, s.fd_.get(), 0);
  if (m == MAP_FAILED) {
    int err = errno;
    unlink(tmp.c_str());
    return ErrnoStatus(err, "mmap " + tmp);
  }
  s.map_ = m;
  auto* f = static_cast<StateFile*>(m);
  f->magic = kStateMagic;
  f->instance = instance;
  s.received_ = reinterpret_cast<std::atomic<uint64_t>*>(&f->received);
  s.received_->store(0);
  if (rename(tmp.c_str(), s.path_.c_str()) != 0) {
    int err = errno;
    unlink(tmp.c_str());
    return ErrnoStatus(err, "rename " + tmp);
  }
  return s;
}

InstanceState::InstanceState(InstanceState&& o) noexcept
    : path_(std::move(o.path_)),
      fd_(std::move(o.fd_)),
      map_(std::exchange(o.map_, nullptr)),
      received_(std::exchange(o.received_, nullptr)) {}

InstanceState& InstanceState::operator=(InstanceState&& o) noexcept {
  if (this != &o) {
    if (map_ != nullptr) munmap(map_, kStateBytes);
    path_ = std::move(o.path_);
    fd_ = std::move(o.fd_);
    map_ = std::exchange(o.map_, nullptr);
    received_ = std::exchange(o.received_, nullptr);
  }
  return *this;
}

InstanceState::~InstanceState() {
  if (map_ != nullptr) munmap(map_, kStateBytes);
}

void InstanceState::Remove() {
  if (!fd_) return;
  unlink(path_.c_str());
  if (map_ != nullptr) munmap(map_, kStateBytes);
  map_ = nullptr;
  received_ = nullptr;
  fd_.Reset();
}

absl::Status ScanInstances(const std::string& dir, uint64_t self, std::vector<uint64_t>* live,
                           std::vector<DeadInstance>* dead) {
  std::unique_ptr<DIR, int (*)(DIR*)> d(opendir(dir.c_str()), closedir);
  if (!d) return ErrnoStatus(errno, "opendir " + dir);
  while (dirent* e = readdir(d.get())) {
    uint64_t id;
    if (!ParseStateName(e->d_name, &id) || id == self) continue;
    std::string path = dir + "/" + e->d_name;
    UniqueFd fd(open(path.c_str(), O_RDWR | O_CLOEXEC));
    if (!fd) continue;  // Removed meanwhile.
    if (flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
      live->push_back(id);
      continue;
    }
    // Someone else may have claimed and removed it between our open and our lock.
    struct stat st {};
    if (fstat(fd.get(), &st) != 0 || st.st_nlink == 0) continue;
    DeadInstance di;
    di.instance = id;
    di.path = path;
    StateFile f{};
    if (pread(fd.get(), &f, sizeof(f), 0) == static_cast<ssize_t>(sizeof(f)) &&
        f.magic == kStateMagic && f.instance == id) {
      di.received = f.received;
    }
    di.lock = std::move(fd);
    dead->push_back(std::move(di));
  }
  return absl::OkStatus();
}

void RemoveDead(DeadInstance& d) {
  unlink(d.path.c_str());
  d.lock.Reset();
}

}  // namespace paddock::logagg
