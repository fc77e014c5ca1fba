// Exhausting resources (pids, memory, CPU, descriptors, file size), outliving the
// instance with a double-forked grandchild, and reading the credentials the kernel says
// the plugin has.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <thread>
#include <vector>

#include "hostile_attempt.h"

namespace hostile {
namespace {

double Seconds(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// Processes in this pid namespace, the plugin (pid 1) included.
int CountProcesses() {
  int n = 0;
  if (DIR* d = opendir("/proc")) {
    while (dirent* e = readdir(d)) n += e->d_name[0] >= '1' && e->d_name[0] <= '9';
    closedir(d);
  }
  return n;
}

// Value of `key` in /proc/self/status, e.g. "CapEff" -> "0000000000000000".
std::string StatusField(const std::string& status, const std::string& key) {
  std::istringstream in(status);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(key + ":", 0) == 0) {
      std::string v = line.substr(key.size() + 1);
      v.erase(0, v.find_first_not_of(" \t"));
      return v;
    }
  }
  return "?";
}

// Every process forks as fast as it can; a process whose fork fails reports the errno
// and sleeps. Once a fork failed (or after the duration, whichever is first) every process
// of the namespace is killed and reaped. (Stopping at the first failure, not at a fixed
// time: under ASan with other tests running, 400 ms once ended with the bomb at 17
// processes, short of the limit, and the test read that as an escape.)
AttemptReply ForkBomb(const AttemptRequest& req) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) return Refused(errno, "pipe2");
  pid_t leader = fork();
  if (leader < 0) {
    close(fds[0]);
    close(fds[1]);
    return Refused(errno, "fork of the bomb's first process");
  }
  if (leader == 0) {
    for (;;) {
      if (fork() < 0) {
        int err = errno;
        (void)!write(fds[1], &err, sizeof(err));
        pause();
      }
    }
  }
  close(fds[1]);
  double deadline = Seconds(CLOCK_MONOTONIC) + (req.duration_ms() ? req.duration_ms() : 400) / 1e3;
  int peak = 0, first_err = 0, failures = 0;
  while (Seconds(CLOCK_MONOTONIC) < deadline) {
    peak = std::max(peak, CountProcesses());
    int err;
    while (read(fds[0], &err, sizeof(err)) == sizeof(err)) {
      if (first_err == 0) first_err = err;
      ++failures;
    }
    if (failures > 0) {
      peak = std::max(peak, CountProcesses());
      break;
    }
    usleep(5000);
  }
  close(fds[0]);
  std::string threads = StatusField(ReadSmallFile("/proc/self/status"), "Threads");
  // Clean up: the plugin is pid 1, so kill(-1) reaches exactly the bomb; orphans are
  // reparented to it and reaped here.
  for (int round = 0; round < 1000; ++round) {
    bool alive = kill(-1, SIGKILL) == 0;
    while (waitpid(-1, nullptr, WNOHANG) > 0) {
    }
    if (!alive && CountProcesses() == 1) break;
    usleep(1000);
  }
  while (waitpid(-1, nullptr, WNOHANG) > 0) {
  }
  std::string detail = "peak " + std::to_string(peak) + " processes (plugin included, " + threads +
                       " plugin threads); " + std::to_string(failures) +
                       " failed forks; after cleanup " + std::to_string(CountProcesses());
  AttemptReply r = first_err != 0 ? Refused(first_err, detail) : Escaped(detail);
  r.set_count(peak);
  return r;
}

// Touches 1 MiB blocks until the cgroup's OOM killer ends the plugin. Gives up at 512 MiB
// (the plugin's limit is far lower): surviving that is an escape.
AttemptReply Balloon(const AttemptRequest&) {
  std::vector<char*> blocks;
  for (int i = 0; i < 512; ++i) {
    char* p = static_cast<char*>(std::malloc(1 << 20));
    if (p == nullptr) break;
    std::memset(p, 0x5a, 1 << 20);
    blocks.push_back(p);
  }
  size_t got = blocks.size();
  for (char* p : blocks) std::free(p);
  return Escaped("allocated and touched " + std::to_string(got) + " MiB");
}

// Spins two threads for the duration; the cgroup's CPU quota holds the whole plugin to
// its share. value = CPU seconds used per wall second.
AttemptReply CpuSpin(const AttemptRequest& req) {
  double wall0 = Seconds(CLOCK_MONOTONIC), cpu0 = Seconds(CLOCK_PROCESS_CPUTIME_ID);
  double end = wall0 + (req.duration_ms() ? req.duration_ms() : 1000) / 1e3;
  std::atomic<uint64_t> spins{0};
  auto spin = [&] {
    uint64_t n = 0;
    while (Seconds(CLOCK_MONOTONIC) < end) ++n;
    spins += n;
  };
  std::thread a(spin), b(spin);
  a.join();
  b.join();
  double wall = Seconds(CLOCK_MONOTONIC) - wall0, cpu = Seconds(CLOCK_PROCESS_CPUTIME_ID) - cpu0;
  AttemptReply r = Contained("2 spinning threads: " + std::to_string(cpu) + " s CPU in " +
                             std::to_string(wall) + " s wall");
  r.set_value(cpu / wall);
  return r;
}

AttemptReply FdExhaustion(const AttemptRequest&) {
  rlimit lim{};
  getrlimit(RLIMIT_NOFILE, &lim);
  ChildReport c = InChild([] {
    long n = 0;
    while (open("/dev/null", O_RDONLY) >= 0) ++n;
    return n;
  });
  std::string detail = "opened " + std::to_string(c.rc) + " more descriptors; RLIMIT_NOFILE " +
                       std::to_string(lim.rlim_cur);
  AttemptReply r = c.reported ? Refused(c.err, detail) : Escaped("child died: " + detail);
  r.set_count(static_cast<int>(c.rc));
  return r;
}

// Writes one byte at RLIMIT_FSIZE - 1 (a sparse file in /run), then one at the limit.
// With SIGXFSZ ignored the write fails with EFBIG; with the default action the child is
// killed by SIGXFSZ.
AttemptReply FileSize(const AttemptRequest&, bool ignore_signal) {
  rlimit lim{};
  getrlimit(RLIMIT_FSIZE, &lim);
  if (lim.rlim_cur == RLIM_INFINITY) return Escaped("RLIMIT_FSIZE is unlimited");
  const char* path = "/run/big";
  off_t limit = static_cast<off_t>(lim.rlim_cur);
  ChildReport c = InChild([=]() -> long {
    if (ignore_signal) signal(SIGXFSZ, SIG_IGN);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return -1000;
    if (pwrite(fd, "xy", 2, limit - 1) != 1) return -1001;  // Cut at the limit.
    return pwrite(fd, "z", 1, limit);
  });
  unlink(path);
  std::string detail = "write at RLIMIT_FSIZE " + std::to_string(limit);
  if (c.sig != 0) return Signaled(c.sig, detail);
  if (!c.reported || c.rc >= 0 || c.rc <= -1000) {
    return Escaped(detail + ": rc " + std::to_string(c.rc) + " " + ErrnoName(c.err));
  }
  return Refused(c.err, detail);
}

// A grandchild that double-forks away from its parent (and into its own session) to
// outlive the plugin. It is reparented to the plugin (pid 1 of the namespace) and must
// die with the instance; the test checks from outside.
AttemptReply DoubleFork(const AttemptRequest&) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return Refused(errno, "pipe2");
  pid_t child = fork();
  if (child == 0) {
    setsid();
    pid_t grandchild = fork();
    if (grandchild == 0) {
      signal(SIGTERM, SIG_IGN);
      signal(SIGHUP, SIG_IGN);
      for (;;) pause();
    }
    (void)!write(fds[1], &grandchild, sizeof(grandchild));
    _exit(0);
  }
  close(fds[1]);
  pid_t grandchild = -1;
  (void)!read(fds[0], &grandchild, sizeof(grandchild));
  close(fds[0]);
  if (child > 0) waitpid(child, nullptr, 0);
  AttemptReply r = Contained("grandchild " + std::to_string(grandchild) + " orphaned; " +
                             std::to_string(CountProcesses()) + " processes here");
  r.set_count(grandchild);
  return r;
}

// Processes of this pid namespace that are zombies (state Z).
int CountZombies() {
  int n = 0;
  if (DIR* d = opendir("/proc")) {
    while (dirent* e = readdir(d)) {
      if (e->d_name[0] < '1' || e->d_name[0] > '9') continue;
      std::string stat = ReadSmallFile(std::string("/proc/") + e->d_name + "/stat");
      size_t close = stat.rfind(')');
      if (close != std::string::npos && close + 2 < stat.size() && stat[close + 2] == 'Z') ++n;
    }
    closedir(d);
  }
  return n;
}

// Grandchildren that exit at once after their parent: they end up zombie children of pid 1,
// the plugin. Whoever is pid 1 must reap such orphans, or they pile up and use up the pids
// limit (the SDK does, a grace period after they appear: plugin-sdk/orphan_reaper.h). The
// plugin's own child, waited for at once, must keep its exit status. count = zombies left
// after up to 6 s, or -1 if the own child's status was lost.
AttemptReply OrphanZombie(const AttemptRequest&) {
  constexpr int kOrphans = 5;
  pid_t child = fork();
  if (child == 0) {
    for (int i = 0; i < kOrphans; ++i) {
      if (fork() == 0) _exit(0);
    }
    _exit(7);
  }
  int status = 0;
  bool own_ok = child > 0 && waitpid(child, &status, 0) == child && WIFEXITED(status) &&
                WEXITSTATUS(status) == 7;
  int zombies = CountZombies();
  int waited_ms = 0;
  for (; zombies > 0 && waited_ms < 6000; waited_ms += 100) {
    usleep(100000);
    zombies = CountZombies();
  }
  AttemptReply r;
  if (!own_ok) {
    r = Escaped("the plugin's own child lost its exit status (reaped by someone else?)");
    r.set_count(-1);
    return r;
  }
  r = zombies == 0
          ? Contained(std::to_string(kOrphans) + " orphaned grandchildren reaped within " +
                      std::to_string(waited_ms) + " ms")
          : Escaped(std::to_string(zombies) + " orphaned zombie(s) left unreaped by pid 1");
  r.set_count(zombies);
  return r;
}

AttemptReply ProcStatus(const AttemptRequest&) {
  std::string status = ReadSmallFile("/proc/self/status");
  std::string detail;
  for (const char* key : {"Uid", "Gid", "Groups", "CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb",
                          "NoNewPrivs", "Seccomp", "Seccomp_filters"}) {
    detail += std::string(detail.empty() ? "" : "; ") + key + ": " + StatusField(status, key);
  }
  bool confined = StatusField(status, "CapEff") == "0000000000000000" &&
                  StatusField(status, "CapPrm") == "0000000000000000" &&
                  StatusField(status, "CapBnd") == "0000000000000000" &&
                  StatusField(status, "NoNewPrivs") == "1" && StatusField(status, "Seccomp") == "2";
  return confined ? Contained(detail) : Escaped(detail);
}

// Every descriptor the plugin holds and what it points at: nothing of the host's file
// system may be among them.
AttemptReply InheritedFds(const AttemptRequest&) {
  std::string detail;
  int n = 0;
  if (DIR* d = opendir("/proc/self/fd")) {
    int self = dirfd(d);
    while (dirent* e = readdir(d)) {
      if (e->d_name[0] == '.' || atoi(e->d_name) == self) continue;
      char target[256] = {};
      std::string link = std::string("/proc/self/fd/") + e->d_name;
      ssize_t len = readlink(link.c_str(), target, sizeof(target) - 1);
      detail +=
          std::string(detail.empty() ? "" : "; ") + e->d_name + " " + (len > 0 ? target : "?");
      ++n;
    }
    closedir(d);
  }
  AttemptReply r = Contained(detail);
  r.set_count(n);
  return r;
}

}  // namespace

void AddLimitAttempts(Registry& r) {
  r["fork_bomb"] = ForkBomb;
  r["balloon"] = Balloon;
  r["cpu_spin"] = CpuSpin;
  r["fd_exhaustion"] = FdExhaustion;
  r["file_size"] = [](const AttemptRequest& q) { return FileSize(q, true); };
  r["file_size_signal"] = [](const AttemptRequest& q) { return FileSize(q, false); };
  r["double_fork"] = DoubleFork;
  r["orphan_zombie"] = OrphanZombie;
  r["proc_status"] = ProcStatus;
  r["inherited_fds"] = InheritedFds;
}

}  // namespace hostile
