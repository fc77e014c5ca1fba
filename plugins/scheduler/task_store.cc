#include "task_store.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "paddock/errno_status.h"

namespace paddock::scheduler {

namespace {

constexpr size_t kMaxFileBytes = 16 << 20;

// Holds an flock for a scope.
class FlockGuard {
 public:
  explicit FlockGuard(int fd) : fd_(fd) {
    if (fd_ >= 0) {
      while (flock(fd_, LOCK_EX) != 0 && errno == EINTR) {
      }
    }
  }
  ~FlockGuard() {
    if (fd_ >= 0) flock(fd_, LOCK_UN);
  }

 private:
  int fd_;
};

absl::StatusOr<UniqueFd> OpenLockFile(const std::string& path) {
  UniqueFd fd(open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd) return ErrnoStatus(errno, "open " + path);
  return fd;
}

absl::Status WriteAll(int fd, const std::string& data, const std::string& path) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoStatus(errno, "write " + path);
    done += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

}  // namespace

TaskStore::TaskStore(std::string dir, UniqueFd lock)
    : dir_(std::move(dir)),
      path_(dir_.empty() ? "" : dir_ + "/tasks.json"),
      lock_(std::move(lock)) {
  memory_.set_version(1);
}

absl::StatusOr<std::unique_ptr<TaskStore>> TaskStore::Open(const std::string& dir) {
  if (dir.empty()) return std::unique_ptr<TaskStore>(new TaskStore("", UniqueFd()));
  struct stat st;
  if (stat(dir.c_str(), &st) != 0) return ErrnoStatus(errno, "data dir " + dir);
  if (!S_ISDIR(st.st_mode)) return absl::FailedPreconditionError(dir + " is not a directory");
  auto lock = OpenLockFile(dir + "/tasks.lock");
  if (!lock.ok()) return lock.status();
  return std::unique_ptr<TaskStore>(new TaskStore(dir, std::move(*lock)));
}

absl::StatusOr<v1::TaskFile> TaskStore::LoadLocked() {
  if (dir_.empty()) return memory_;
  v1::TaskFile file;
  file.set_version(1);
  UniqueFd fd(open(path_.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd) {
    if (errno == ENOENT) return file;
    return ErrnoStatus(errno, "open " + path_);
  }
  std::string text;
  char buf[65536];
  for (;;) {
    ssize_t n = read(fd.get(), buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoStatus(errno, "read " + path_);
    if (n == 0) break;
    text.append(buf, static_cast<size_t>(n));
    if (text.size() > kMaxFileBytes) {
      return absl::DataLossError(absl::StrCat(path_, ": larger than ", kMaxFileBytes, " bytes"));
    }
  }
  google::protobuf::util::JsonParseOptions opts;
  opts.ignore_unknown_fields = false;
  auto st = google::protobuf::util::JsonStringToMessage(text, &file, opts);
  if (!st.ok()) {
    return absl::DataLossError(
        absl::StrCat(path_, ": ", std::string(st.message()), " (fix or remove the file)"));
  }
  if (file.version() != 1) {
    return absl::DataLossError(
        absl::StrCat(path_, ": unknown format version ", file.version(), " (this build reads 1)"));
  }
  return file;
}

absl::Status TaskStore::WriteLocked(const v1::TaskFile& file) {
  if (dir_.empty()) {
    memory_ = file;
    return absl::OkStatus();
  }
  google::protobuf::util::JsonPrintOptions opts;
  opts.add_whitespace = true;
  opts.preserve_proto_field_names = true;
  std::string text;
  auto st = google::protobuf::util::MessageToJsonString(file, &text, opts);
  if (!st.ok()) return absl::InternalError(std::string(st.message()));
  const std::string tmp = path_ + ".tmp";
  {
    UniqueFd fd(open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!fd) return ErrnoStatus(errno, "create " + tmp);
    if (absl::Status w = WriteAll(fd.get(), text, tmp); !w.ok()) return w;
    if (fsync(fd.get()) != 0) return ErrnoStatus(errno, "fsync " + tmp);
  }
  if (rename(tmp.c_str(), path_.c_str()) != 0) return ErrnoStatus(errno, "rename to " + path_);
  UniqueFd dirfd(open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dirfd) fsync(dirfd.get());  // Best effort: the rename itself is durable on most fs.
  return absl::OkStatus();
}

absl::StatusOr<v1::TaskFile> TaskStore::Load() {
  std::lock_guard<std::mutex> lock(mu_);
  FlockGuard flock(lock_.get());
  return LoadLocked();
}

absl::StatusOr<v1::TaskFile> TaskStore::Mutate(
    const std::function<absl::Status(v1::TaskFile&)>& change) {
  std::lock_guard<std::mutex> lock(mu_);
  FlockGuard flock(lock_.get());
  absl::StatusOr<v1::TaskFile> file = LoadLocked();
  if (!file.ok()) return file.status();
  if (absl::Status st = change(*file); !st.ok()) return st;
  if (absl::Status st = WriteLocked(*file); !st.ok()) return st;
  return file;
}

absl::StatusOr<UniqueFd> LeaderLock::TryAcquire(const std::string& dir) {
  auto fd = OpenLockFile(dir + "/leader.lock");
  if (!fd.ok()) return fd.status();
  if (flock(fd->get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) return UniqueFd();
    return ErrnoStatus(errno, "flock " + dir + "/leader.lock");
  }
  return fd;
}

}  // namespace paddock::scheduler
