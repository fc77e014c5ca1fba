#include "wal.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>

#include "identity.h"
#include "paddock/errno_status.h"
#include "wire.h"

namespace paddock::gcounter {
namespace {

constexpr char kLog[] = "wal";
constexpr char kSnapshot[] = "snapshot";
// A record larger than this is not one we wrote: treat it as garbage.
constexpr uint32_t kMaxRecordBytes = 64 << 20;

std::array<uint32_t, 256> MakeTable() {
  std::array<uint32_t, 256> t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0x82f63b78u ^ (c >> 1) : c >> 1;
    t[i] = c;
  }
  return t;
}

absl::StatusOr<std::string> ReadWhole(const std::string& path, bool* exists) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    if (errno == ENOENT) {
      *exists = false;
      return std::string();
    }
    return ErrnoStatus(errno, "open " + path);
  }
  *exists = true;
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = read(fd.get(), buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus(errno, "read " + path);
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

bool DecodePayload(std::string_view payload, std::vector<WalEntry>* out) {
  WireReader r(payload);
  uint64_t count = 0;
  if (!r.Varint(&count) || count > payload.size()) return false;
  std::vector<WalEntry> entries(count);
  for (WalEntry& e : entries) {
    std::string_view name;
    uint8_t kind = 0;
    r.U64(&e.origin);
    r.Bytes(&name, kMaxNameBytes);
    r.U8(&kind);
    r.Varint(&e.value.p);
    r.Varint(&e.value.n);
    r.Varint(&e.value.version);
    if (!r.ok()) return false;
    e.name = std::string(name);
    if (e.origin == 0 || !ValidCounterName(e.name) || kind > 1 || e.value.p > kMaxPart ||
        e.value.n > kMaxPart || e.value.version == 0) {
      return false;
    }
    e.value.kind = static_cast<Kind>(kind);
  }
  if (!r.done()) return false;
  for (WalEntry& e : entries) out->push_back(std::move(e));
  return true;
}

// Parses records from `data`; returns the offset just past the last good record.
size_t ParseRecords(std::string_view data, Recovered* out) {
  size_t pos = 0;
  while (data.size() - pos >= 8) {
    WireReader h(data.substr(pos, 8));
    uint32_t len = 0, crc = 0;
    h.U32(&len);
    h.U32(&crc);
    if (len > kMaxRecordBytes || data.size() - pos - 8 < len) break;
    std::string_view payload = data.substr(pos + 8, len);
    if (Crc32c(payload) != crc || !DecodePayload(payload, &out->entries)) break;
    ++out->records;
    pos += 8 + len;
  }
  return pos;
}

}  // namespace

uint32_t Crc32c(std::string_view data) {
  static const std::array<uint32_t, 256> table = MakeTable();
  uint32_t c = 0xffffffffu;
  for (char ch : data) c = table[(c ^ static_cast<uint8_t>(ch)) & 0xff] ^ (c >> 8);
  return c ^ 0xffffffffu;
}

std::string EncodeRecord(const std::vector<WalEntry>& entries) {
  std::string payload;
  WireWriter w(&payload);
  w.Varint(entries.size());
  for (const WalEntry& e : entries) {
    w.U64(e.origin);
    w.Bytes(e.name);
    w.U8(static_cast<uint8_t>(e.value.kind));
    w.Varint(e.value.p);
    w.Varint(e.value.n);
    w.Varint(e.value.version);
  }
  std::string record;
  WireWriter rw(&record);
  rw.U32(static_cast<uint32_t>(payload.size()));
  rw.U32(Crc32c(payload));
  rw.Raw(payload);
  return record;
}

absl::StatusOr<std::unique_ptr<Wal>> Wal::Open(const std::string& dir, Recovered* out) {
  *out = Recovered{};
  bool exists = false;
  absl::StatusOr<std::string> snap = ReadWhole(dir + "/" + kSnapshot, &exists);
  if (!snap.ok()) return snap.status();
  if (exists && ParseRecords(*snap, out) != snap->size()) {
    // Written atomically, so a bad snapshot is damage, not a crash artefact.
    out->damaged = true;
    out->damage = "snapshot has an unreadable record";
  }
  std::string log_path = dir + "/" + kLog;
  absl::StatusOr<std::string> log = ReadWhole(log_path, &exists);
  if (!log.ok()) return log.status();
  size_t good = ParseRecords(*log, out);
  UniqueFd fd(open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
  if (!fd) return ErrnoStatus(errno, "open " + log_path);
  if (good != log->size()) {
    // A torn last record: it was never acknowledged (acks follow the fsync).
    out->cut_tail = true;
    if (ftruncate(fd.get(), static_cast<off_t>(good)) != 0) {
      return ErrnoStatus(errno, "truncate " + log_path);
    }
    if (fsync(fd.get()) != 0) return ErrnoStatus(errno, "fsync " + log_path);
  }
  if (!exists) {
    if (absl::Status s = SyncDir(dir); !s.ok()) return s;
  }
  return std::unique_ptr<Wal>(new Wal(dir, std::move(fd), good));
}

absl::Status Wal::Append(const std::vector<WalEntry>& entries) {
  std::string record = EncodeRecord(entries);
  size_t done = 0;
  while (done < record.size()) {
    ssize_t n = write(fd_.get(), record.data() + done, record.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus(errno, "append to " + dir_ + "/" + kLog);
    }
    done += static_cast<size_t>(n);
  }
  log_bytes_ += record.size();
  return absl::OkStatus();
}

absl::Status Wal::Sync() {
  if (fdatasync(fd_.get()) != 0) return ErrnoStatus(errno, "fdatasync " + dir_ + "/" + kLog);
  ++syncs_;
  return absl::OkStatus();
}

absl::Status Wal::Checkpoint(const std::vector<WalEntry>& all) {
  // Several records keep each one small; order does not matter (the join is commutative).
  std::string snapshot;
  constexpr size_t kPerRecord = 4096;
  for (size_t i = 0; i < all.size(); i += kPerRecord) {
    std::vector<WalEntry> part(all.begin() + i, all.begin() + std::min(all.size(), i + kPerRecord));
    snapshot += EncodeRecord(part);
  }
  if (absl::Status s = WriteFileDurably(dir_, kSnapshot, snapshot); !s.ok()) return s;
  // The snapshot holds everything the log did; a crash before this truncation only makes
  // recovery replay the log again, which changes nothing.
  if (ftruncate(fd_.get(), 0) != 0) return ErrnoStatus(errno, "truncate " + dir_ + "/" + kLog);
  if (fsync(fd_.get()) != 0) return ErrnoStatus(errno, "fsync " + dir_ + "/" + kLog);
  log_bytes_ = 0;
  return absl::OkStatus();
}

}  // namespace paddock::gcounter
