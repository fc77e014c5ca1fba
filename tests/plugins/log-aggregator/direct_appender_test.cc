#include "direct_appender.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <random>
#include <string>
#include <vector>

#include "segment_file.h"
#include "test_util.h"

namespace paddock::logagg {
namespace {

using testing::MakeRecord;
using testing::TempDir;

std::string ReadFile(const std::string& path) {
  std::string out;
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  char buf[1 << 16];
  ssize_t n;
  while (fd >= 0 && (n = read(fd, buf, sizeof(buf))) > 0) out.append(buf, static_cast<size_t>(n));
  if (fd >= 0) close(fd);
  return out;
}

// Pages of `path` in the page cache (mincore over a mapping of it).
size_t CachedPages(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  struct stat st {};
  fstat(fd, &st);
  size_t len = static_cast<size_t>(st.st_size);
  void* p = mmap(nullptr, len, PROT_READ, MAP_SHARED, fd, 0);
  close(fd);
  if (p == MAP_FAILED) return SIZE_MAX;
  long page = sysconf(_SC_PAGESIZE);
  std::vector<unsigned char> v((len + static_cast<size_t>(page) - 1) / static_cast<size_t>(page));
  size_t n = 0;
  if (mincore(p, len, v.data()) == 0) {
    for (unsigned char c : v) n += c & 1;
  } else {
    n = SIZE_MAX;
  }
  munmap(p, len);
  return n;
}

std::vector<iovec> Iov(const std::vector<std::string>& recs, size_t from = 0) {
  std::vector<iovec> v;
  for (size_t i = from; i < recs.size(); ++i) {
    v.push_back(iovec{const_cast<char*>(recs[i].data()), recs[i].size()});
  }
  return v;
}

// A file with a 64-byte "header" and an appender on it; nullptr when the temp dir's
// filesystem does no direct I/O (the caller skips).
struct File {
  File() {
    path = dir.path() + "/f";
    fd.Reset(open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
    header = std::string(64, 'H');
    if (pwrite(fd.get(), header.data(), header.size(), 0) != 64) return;
    auto a = DirectAppender::Open(path, fd.get(), 64);
    if (a.ok()) app = std::move(*a);
  }
  TempDir dir;
  std::string path, header;
  UniqueFd fd;
  std::unique_ptr<DirectAppender> app;
};

#define SKIP_WITHOUT_DIRECT_IO(f)                                                     \
  if (!(f).app) {                                                                     \
    WARN("skipped: the temp dir's filesystem does no O_DIRECT (" << (f).path << ")"); \
    return;                                                                           \
  }

}  // namespace

TEST_CASE("Direct appends bypass the page cache", "[direct]") {
  TempDir dir;
  auto seg = ActiveSegment::Create(dir.path(), 1, 1, 0, 1, /*direct=*/true);
  REQUIRE(seg.ok());
  if (!seg->direct()) {
    WARN("skipped: the temp dir's filesystem does no O_DIRECT");
    return;
  }
  std::vector<std::string> recs;
  for (int i = 1; i <= 16000; ++i) {  // ~4 MiB of ~264-byte records.
    recs.push_back(MakeRecord("<13>Mar 15 11:00:00 host app: " + std::string(170, 'x'),
                              static_cast<uint64_t>(i), i));
  }
  for (size_t i = 0; i < recs.size(); i += 1000) {
    std::vector<std::string> part(recs.begin() + static_cast<long>(i),
                                  recs.begin() + static_cast<long>(i + 1000));
    std::vector<iovec> v = Iov(part);
    size_t bytes = 0;
    for (const auto& r : part) bytes += r.size();
    auto done = seg->Append(v.data(), static_cast<int>(v.size()), bytes);
    REQUIRE(done.ok());
    REQUIRE(*done == 1000);
  }
  // Through the page cache all of it would be cached (ReleaseCache keeps 16 MiB); direct,
  // at most the partial last block written through it.
  CHECK(CachedPages(seg->path()) <= 2);
  std::string want(kSegmentHeaderBytes, '\0');
  for (const auto& r : recs) want += r;
  std::string got = ReadFile(seg->path());
  REQUIRE(got.size() == want.size());
  REQUIRE(got.substr(kSegmentHeaderBytes) == want.substr(kSegmentHeaderBytes));
  auto scan = ScanSegment(seg->path());
  REQUIRE(scan.ok());
  REQUIRE(scan->index.records == 16000);

  auto buffered = ActiveSegment::Create(dir.path(), 1, 2, 0, 1, /*direct=*/false);
  REQUIRE(buffered.ok());
  REQUIRE_FALSE(buffered->direct());
}

TEST_CASE("An incomplete direct append writes whole blocks of final bytes only", "[direct]") {
  File f;
  SKIP_WITHOUT_DIRECT_IO(f);
  std::vector<std::string> recs;
  for (int i = 0; i < 100; ++i) recs.push_back(std::string(264, static_cast<char>('a' + i % 26)));
  std::string all = f.header;
  for (const auto& r : recs) all += r;
  std::vector<iovec> v = Iov(recs);
  auto done = f.app->Append(f.fd.get(), v.data(), 100, /*complete=*/false);
  REQUIRE(done.ok());
  // 64 + 100 * 264 = 26464 bytes: 6 whole blocks (24576); the records ending by then.
  const uint64_t block = f.app->block();
  REQUIRE(block == 4096);
  CHECK(*done == static_cast<int>((24576 - 64) / 264));
  CHECK(f.app->size() == 64 + static_cast<uint64_t>(*done) * 264);
  CHECK(f.app->file_end() == 24576);
  std::string got = ReadFile(f.path);
  REQUIRE(got.size() == 24576);
  REQUIRE(got == all.substr(0, 24576));  // A prefix of the final file, no padding.

  // The rest, passed again first, completes it.
  std::vector<iovec> rest = Iov(recs, static_cast<size_t>(*done));
  auto done2 = f.app->Append(f.fd.get(), rest.data(), static_cast<int>(rest.size()), true);
  REQUIRE(done2.ok());
  REQUIRE(*done2 == static_cast<int>(rest.size()));
  REQUIRE(f.app->size() == all.size());
  REQUIRE(ReadFile(f.path) == all);
}

TEST_CASE("Random direct appends always leave a prefix of the final file", "[direct]") {
  File f;
  SKIP_WITHOUT_DIRECT_IO(f);
  std::mt19937 rng(12345);
  std::vector<std::string> recs;
  std::string all = f.header;
  for (int i = 0; i < 3000; ++i) {
    // Mostly syslog-sized, some up to the 64 KiB maximum (so one call spans staging
    // buffers and records span blocks).
    size_t len = rng() % 10 == 0 ? 64 + rng() % 65536 : 64 + rng() % 400;
    std::string r(len, '\0');
    for (char& c : r) c = static_cast<char>('A' + rng() % 50);
    recs.push_back(r);
    all += r;
  }
  size_t next = 0;  // First record not yet whole in the file.
  while (next < recs.size()) {
    size_t n = std::min<size_t>(recs.size() - next, 1 + rng() % 700);
    bool complete = rng() % 3 == 0;
    std::vector<std::string> part(recs.begin() + static_cast<long>(next),
                                  recs.begin() + static_cast<long>(next + n));
    std::vector<iovec> v = Iov(part);
    auto done = f.app->Append(f.fd.get(), v.data(), static_cast<int>(n), complete);
    REQUIRE(done.ok());
    if (complete) REQUIRE(*done == static_cast<int>(n));
    next += static_cast<size_t>(*done);
    std::string got = ReadFile(f.path);
    REQUIRE(got.size() == f.app->file_end());
    REQUIRE(got.size() >= f.app->size());
    REQUIRE(got == all.substr(0, got.size()));
  }
  REQUIRE(ReadFile(f.path) == all);
}

TEST_CASE("A failed direct append cuts the file back to its last whole record", "[direct]") {
  // RLIMIT_FSIZE (SIGXFSZ ignored) makes writes past 40 KiB fail with EFBIG; in a child so
  // the limit stays there.
  pid_t pid = fork();
  if (pid == 0) {
    int code = 0;
    {
      File f;
      if (!f.app) _exit(0);
      signal(SIGXFSZ, SIG_IGN);
      rlimit lim{40 << 10, 40 << 10};
      setrlimit(RLIMIT_FSIZE, &lim);
      std::vector<std::string> recs(50, std::string(264, 'r'));
      std::vector<iovec> v = Iov(recs);
      auto done = f.app->Append(f.fd.get(), v.data(), 50, true);  // 13 KiB: fits.
      if (!done.ok() || *done != 50) code |= 1;
      const uint64_t good = f.app->size();
      std::vector<std::string> big(200, std::string(264, 's'));  // 52 KiB more: does not.
      std::vector<iovec> bv = Iov(big);
      done = f.app->Append(f.fd.get(), bv.data(), 200, true);
      if (done.ok() || done.status().message().find("File too large") == std::string::npos) {
        code |= 2;
      }
      if (f.app->size() != good || ReadFile(f.path).size() != good) code |= 4;
      // It goes on where it was once there is room.
      done = f.app->Append(f.fd.get(), bv.data(), 10, true);
      if (!done.ok() || *done != 10 || ReadFile(f.path).size() != good + 2640) code |= 8;
    }
    _exit(code);
  }
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
}

TEST_CASE("Sealing after an incomplete append cuts the record head off", "[direct]") {
  TempDir dir;
  auto seg = ActiveSegment::Create(dir.path(), 1, 1, 0, 1, true);
  REQUIRE(seg.ok());
  if (!seg->direct()) {
    WARN("skipped: the temp dir's filesystem does no O_DIRECT");
    return;
  }
  std::vector<std::string> recs;
  for (int i = 1; i <= 100; ++i)
    recs.push_back(MakeRecord("<13>line " + std::string(190, 'y'), i, i));
  std::vector<iovec> v = Iov(recs);
  size_t bytes = 0;
  for (const auto& r : recs) bytes += r.size();
  auto done = seg->Append(v.data(), 100, bytes, /*complete=*/false);
  REQUIRE(done.ok());
  REQUIRE(*done < 100);
  for (int k = 0; k < *done; ++k) {
    RecordHeader h;
    std::memcpy(&h, recs[static_cast<size_t>(k)].data(), sizeof(h));
    seg->index().Add(h, 0);
  }
  auto scan = ScanSegment(seg->path());
  REQUIRE(scan.ok());
  CHECK(scan->file_bytes > scan->valid_bytes);  // The head of the next record.
  REQUIRE(scan->valid_bytes == seg->size());
  REQUIRE(seg->Seal(false).ok());
  scan = ScanSegment(seg->path());
  REQUIRE(scan.ok());
  REQUIRE(scan->file_bytes == scan->valid_bytes);
  REQUIRE(scan->index.records == static_cast<uint64_t>(*done));
}

}  // namespace paddock::logagg
