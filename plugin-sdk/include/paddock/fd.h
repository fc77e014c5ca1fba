// Move-only ownership of file descriptors and directory streams, shared by the SDK, the
// sandbox and the host.
#pragma once

#include <dirent.h>
#include <unistd.h>

#include <memory>
#include <utility>

namespace paddock {

// Owns one file descriptor and closes it when destroyed. -1 means "owns nothing".
// Not thread-safe; hand it between threads by moving.
class UniqueFd {
 public:
  UniqueFd() = default;
  // Takes ownership of fd (which may be -1).
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.Release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) Reset(other.Release());
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { Reset(); }

  // Returns the descriptor without giving up ownership.
  int get() const { return fd_; }
  // True when a descriptor is owned.
  bool valid() const { return fd_ >= 0; }
  explicit operator bool() const { return valid(); }
  // Gives up ownership and returns the descriptor; the caller must close it.
  [[nodiscard]] int Release() { return std::exchange(fd_, -1); }
  // Closes the owned descriptor (if any) and takes ownership of fd.
  void Reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

// Owns an opendir() stream and closes it when destroyed.
struct DirCloser {
  void operator()(DIR* d) const { ::closedir(d); }
};
using UniqueDir = std::unique_ptr<DIR, DirCloser>;

}  // namespace paddock
