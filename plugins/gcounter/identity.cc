#include "identity.h"

#include <fcntl.h>
#include <sys/random.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "paddock/errno_status.h"
#include "paddock/fd.h"

namespace paddock::gcounter {
namespace {

constexpr char kFile[] = "identity";
constexpr char kMagic[] = "gcounter-identity 1";

absl::Status WriteAll(int fd, const std::string& bytes, const std::string& what) {
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus(errno, "write " + what);
    }
    done += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status SyncDir(const std::string& dir) {
  UniqueFd fd(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) return ErrnoStatus(errno, "open " + dir);
  if (fsync(fd.get()) != 0) return ErrnoStatus(errno, "fsync " + dir);
  return absl::OkStatus();
}

absl::Status WriteFileDurably(const std::string& dir, const std::string& name,
                              const std::string& bytes) {
  std::string tmp = dir + "/" + name + ".tmp";
  std::string final_path = dir + "/" + name;
  {
    UniqueFd fd(open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (!fd) return ErrnoStatus(errno, "create " + tmp);
    if (absl::Status s = WriteAll(fd.get(), bytes, tmp); !s.ok()) return s;
    if (fsync(fd.get()) != 0) return ErrnoStatus(errno, "fsync " + tmp);
  }
  if (rename(tmp.c_str(), final_path.c_str()) != 0) {
    return ErrnoStatus(errno, "rename " + tmp + " to " + final_path);
  }
  return SyncDir(dir);
}

absl::StatusOr<ReplicaId> NewReplicaId() {
  for (;;) {
    ReplicaId id = 0;
    ssize_t n = getrandom(&id, sizeof(id), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n != sizeof(id)) return ErrnoStatus(errno, "getrandom");
    if (id != 0) return id;
  }
}

absl::Status SaveIdentity(const std::string& dir, const Identity& identity) {
  return WriteFileDurably(
      dir, kFile,
      absl::StrCat(kMagic, "\nid ", ReplicaIdToHex(identity.id), "\nboot ", identity.boot, "\n"));
}

absl::StatusOr<Identity> LoadOrCreateIdentity(const std::string& dir) {
  Identity identity;
  std::ifstream in(dir + "/" + kFile);
  if (!in) {
    identity.reason = "no identity file";
  } else {
    std::string magic, id_key, id_hex, boot_key, boot_text;
    std::getline(in, magic);
    in >> id_key >> id_hex >> boot_key >> boot_text;
    uint64_t id = 0, boot = 0;
    if (magic != kMagic || id_key != "id" || boot_key != "boot" || id_hex.size() != 16 ||
        !absl::SimpleHexAtoi(id_hex, &id) || id == 0 || !absl::SimpleAtoi(boot_text, &boot) ||
        boot + 1 >= (uint64_t{1} << 24)) {
      identity.reason = "identity file unreadable";
    } else {
      identity.id = id;
      identity.boot = boot + 1;
    }
  }
  if (identity.id == 0) {
    absl::StatusOr<ReplicaId> id = NewReplicaId();
    if (!id.ok()) return id.status();
    identity.id = *id;
    identity.boot = 0;
    identity.created = true;
  }
  if (absl::Status s = SaveIdentity(dir, identity); !s.ok()) return s;
  return identity;
}

}  // namespace paddock::gcounter
