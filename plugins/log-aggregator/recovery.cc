#include "recovery.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <vector>

#include "instance_state.h"
#include "paddock/errno_status.h"
#include "paddock/fd.h"
#include "paddock/log.h"
#include "record.h"
#include "segment_file.h"

namespace paddock::logagg {
namespace {

absl::Status EnsureDir(const std::string& path) {
  if (mkdir(path.c_str(), 0750) != 0 && errno != EEXIST) return ErrnoStatus(errno, "mkdir " + path);
  return absl::OkStatus();
}

int64_t NowNs() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return ts.tv_sec * 1'000'000'000ll + ts.tv_nsec;
}

// Truncates a torn tail off `path` and writes its index. Returns the last sequence number
// in it (0 if none) and adds the bytes cut to *torn.
absl::StatusOr<uint64_t> SealSegment(const std::string& path, uint64_t* torn) {
  auto scan = ScanSegment(path);
  if (!scan.ok()) return scan.status();
  if (scan->file_bytes > scan->valid_bytes) {
    // ftruncate, not truncate(2): the sandbox's policy has only the descriptor form.
    UniqueFd fd(open(path.c_str(), O_WRONLY | O_CLOEXEC));
    if (!fd || ftruncate(fd.get(), static_cast<off_t>(scan->valid_bytes)) != 0) {
      return ErrnoStatus(errno, "truncate " + path);
    }
    *torn += scan->file_bytes - scan->valid_bytes;
  }
  std::string bytes = EncodeIndex(scan->index);
  std::string idx = path + ".idx", tmp = idx + ".tmp";
  {
    UniqueFd fd(open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640));
    if (!fd) return ErrnoStatus(errno, "create " + tmp);
    if (write(fd.get(), bytes.data(), bytes.size()) != static_cast<ssize_t>(bytes.size())) {
      int err = errno != 0 ? errno : ENOSPC;
      unlink(tmp.c_str());
      return ErrnoStatus(err, "write " + tmp);
    }
  }
  if (rename(tmp.c_str(), idx.c_str()) != 0) {
    int err = errno;
    unlink(tmp.c_str());
    return ErrnoStatus(err, "rename " + tmp);
  }
  return scan->index.last_sequence;
}

void AppendLedger(const std::string& data_dir, uint64_t instance, uint64_t lost, uint64_t torn) {
  std::string path = data_dir + "/ledger.log";
  UniqueFd fd(open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640));
  if (!fd) return;
  char line[160];
  int n =
      std::snprintf(line, sizeof(line), "%lld instance=%s lost=%llu torn_bytes=%llu\n",
                    static_cast<long long>(NowNs()), InstanceHex(instance).c_str(),
                    static_cast<unsigned long long>(lost), static_cast<unsigned long long>(torn));
  if (n > 0) (void)!write(fd.get(), line, static_cast<size_t>(n));
}

}  // namespace

void ReadLedger(const std::string& data_dir, uint64_t* lost, uint64_t* torn_bytes) {
  *lost = 0;
  *torn_bytes = 0;
  std::ifstream f(data_dir + "/ledger.log");
  std::string line;
  while (std::getline(f, line)) {
    unsigned long long l = 0, t = 0;
    long long ts = 0;
    char inst[17] = {};
    if (std::sscanf(line.c_str(), "%lld instance=%16s lost=%llu torn_bytes=%llu", &ts, inst, &l,
                    &t) == 4) {
      *lost += l;
      *torn_bytes += t;
    }
  }
}

absl::StatusOr<RecoveryReport> Recover(const std::string& data_dir, uint64_t self) {
  const std::string seg_dir = data_dir + "/segments", inst_dir = data_dir + "/instances";
  for (const std::string& d : {seg_dir, inst_dir}) {
    absl::Status st = EnsureDir(d);
    if (!st.ok()) return st;
  }
  std::vector<uint64_t> live;
  std::vector<DeadInstance> dead;
  absl::Status st = ScanInstances(inst_dir, self, &live, &dead);
  if (!st.ok()) return st;
  std::set<uint64_t> live_set(live.begin(), live.end());
  live_set.insert(self);

  // Segments by instance; segments of live instances are theirs to finish.
  std::map<uint64_t, std::vector<std::string>> unsealed;  // instance -> names without .idx
  std::map<uint64_t, uint64_t> last_seq;                  // instance -> last sequence seen
  {
    std::set<std::string> names;
    std::unique_ptr<DIR, int (*)(DIR*)> d(opendir(seg_dir.c_str()), closedir);
    if (!d) return ErrnoStatus(errno, "opendir " + seg_dir);
    while (dirent* e = readdir(d.get())) names.insert(e->d_name);
    for (const std::string& name : names) {
      uint64_t inst, num;
      if (name.size() > 4 && name.compare(name.size() - 4, 4, ".tmp") == 0) {
        // A segment or index being created by an instance that died meanwhile.
        uint64_t tinst, tnum;
        std::string base = name.substr(0, name.size() - 4);
        if (base.size() > 4 && base.compare(base.size() - 4, 4, ".idx") == 0) {
          base = base.substr(0, base.size() - 4);
        }
        if (ParseSegmentFileName(base, &tinst, &tnum) && !live_set.count(tinst)) {
          unlink((seg_dir + "/" + name).c_str());
        }
        continue;
      }
      if (!ParseSegmentFileName(name, &inst, &num) || live_set.count(inst)) continue;
      if (names.count(name + ".idx")) {
        // Sealed: its index carries its last sequence.
        std::ifstream f(seg_dir + "/" + name + ".idx", std::ios::binary);
        std::stringstream ss;
        ss << f.rdbuf();
        auto ix = DecodeIndex(ss.str());
        if (ix.ok()) {
          uint64_t& ls = last_seq[inst];
          ls = std::max(ls, ix->last_sequence);
          continue;
        }
      }
      unsealed[inst].push_back(name);
    }
  }

  RecoveryReport report;
  std::map<uint64_t, uint64_t> torn_by_instance;
  for (auto& [inst, names] : unsealed) {
    for (const std::string& name : names) {
      uint64_t torn = 0;
      auto last = SealSegment(seg_dir + "/" + name, &torn);
      if (!last.ok()) {
        if (absl::IsDataLoss(last.status())) {
          // Not even a header (died while creating it): nothing in it to keep.
          unlink((seg_dir + "/" + name).c_str());
          continue;
        }
        log::Warn("could not seal segment",
                  {{"segment", name}, {"error", std::string(last.status().message())}});
        continue;
      }
      ++report.segments_sealed;
      report.torn_bytes += torn;
      torn_by_instance[inst] += torn;
      uint64_t& ls = last_seq[inst];
      ls = std::max(ls, *last);
    }
  }
  for (DeadInstance& d : dead) {
    uint64_t written = last_seq[d.instance];
    uint64_t lost = d.received > written ? d.received - written : 0;
    uint64_t torn = torn_by_instance[d.instance];
    AppendLedger(data_dir, d.instance, lost, torn);
    torn_by_instance.erase(d.instance);
    report.lost += lost;
    ++report.instances;
    if (lost > 0 || torn > 0) {
      log::Warn("recovered a dead instance", {{"instance", InstanceHex(d.instance)},
                                              {"lost_lines", std::to_string(lost)},
                                              {"torn_bytes", std::to_string(torn)}});
    }
    RemoveDead(d);
  }
  // Torn bytes of instances without a state file (already cleaned up) still count.
  for (const auto& [inst, torn] : torn_by_instance) {
    if (torn > 0) AppendLedger(data_dir, inst, 0, torn);
  }
  // State files left half-created by instances that died while starting.
  {
    std::unique_ptr<DIR, int (*)(DIR*)> d(opendir(inst_dir.c_str()), closedir);
    if (d) {
      while (dirent* e = readdir(d.get())) {
        std::string name = e->d_name;
        if (name.size() > 10 && name.compare(name.size() - 10, 10, ".state.tmp") == 0) {
          std::string path = inst_dir + "/" + name;
          UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
          if (fd && flock(fd.get(), LOCK_EX | LOCK_NB) == 0) unlink(path.c_str());
        }
      }
    }
  }
  ReadLedger(data_dir, &report.ledger_lost, &report.ledger_torn_bytes);
  return report;
}

}  // namespace paddock::logagg
