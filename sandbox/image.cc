#include "sandbox/image.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "paddock/errno_status.h"
#include "sandbox/kernel.h"

namespace paddock::sandbox {
absl::StatusOr<UniqueFd> SealedImageFromBytes(std::string_view name, std::string_view bytes) {
  std::string memfd_name(name.substr(0, 200));
  unsigned flags = MFD_CLOEXEC | MFD_ALLOW_SEALING;
  int fd = ::memfd_create(memfd_name.c_str(), flags | kernel::kMfdExec);
  // Before 6.3 the flag is unknown (EINVAL) and every memfd is executable anyway.
  if (fd < 0 && errno == EINVAL) fd = ::memfd_create(memfd_name.c_str(), flags);
  if (fd < 0) return ErrnoStatus(errno, "image: memfd_create");
  UniqueFd memfd(fd);
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(memfd.get(), bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoStatus(errno, "image: write memfd");
    done += static_cast<size_t>(n);
  }
  if (::fcntl(memfd.get(), F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL) <
      0) {
    return ErrnoStatus(errno, "image: seal memfd");
  }
  return memfd;
}

absl::StatusOr<std::string> ReadImageFile(const std::string& path, size_t max_bytes) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
  if (!fd) return ErrnoStatus(errno, absl::StrCat("image: open ", path));
  struct stat st {};
  if (::fstat(fd.get(), &st) < 0) return ErrnoStatus(errno, absl::StrCat("image: stat ", path));
  if (!S_ISREG(st.st_mode)) {
    return absl::InvalidArgumentError(absl::StrCat("image: ", path, " is not a regular file"));
  }
  if (static_cast<uint64_t>(st.st_size) > max_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("image: ", path, " is larger than ", max_bytes, " bytes"));
  }
  std::string bytes;
  char buf[65536];
  while (true) {
    ssize_t n = ::read(fd.get(), buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoStatus(errno, absl::StrCat("image: read ", path));
    if (n == 0) break;
    if (bytes.size() + static_cast<size_t>(n) > max_bytes) {
      return absl::InvalidArgumentError(
          absl::StrCat("image: ", path, " is larger than ", max_bytes, " bytes"));
    }
    bytes.append(buf, static_cast<size_t>(n));
  }
  return bytes;
}

}  // namespace paddock::sandbox
