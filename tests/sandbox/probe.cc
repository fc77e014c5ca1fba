// sandbox_probe: a small program the sandbox tests exec through a sealed memfd to look at
// the confinement from inside. Dynamically linked on purpose (libstdc++, libc, the
// loader), so that a confined root must provide exactly its ELF dependencies.
//
// Usage: probe COMMAND [ARGS...]; prints its findings on stdout, one fact per line, and
// exits 0 when the command ran (what it found is for the test to judge), 2 on misuse.
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/perf_event.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace {

// "N TARGET" for every open descriptor (not counting the directory stream itself).
int ListFds() {
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) {
    perror("opendir /proc/self/fd");
    return 1;
  }
  int self = dirfd(dir);
  while (dirent* e = readdir(dir)) {
    if (e->d_name[0] == '.') continue;
    int fd = atoi(e->d_name);
    if (fd == self) continue;
    char target[256] = {};
    std::string link = std::string("/proc/self/fd/") + e->d_name;
    ssize_t n = readlink(link.c_str(), target, sizeof(target) - 1);
    printf("%d %s\n", fd, n > 0 ? target : "?");
  }
  closedir(dir);
  return 0;
}

// Entries of a directory, one per line (unsorted), or "ERR <errno name>".
int ListDir(const char* path) {
  DIR* dir = opendir(path);
  if (dir == nullptr) {
    printf("ERR %s\n", strerrorname_np(errno));
    return 0;
  }
  while (dirent* e = readdir(dir)) {
    if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) printf("%s\n", e->d_name);
  }
  closedir(dir);
  return 0;
}

int PrintEnv() {
  for (char** e = environ; *e != nullptr; ++e) printf("%s\n", *e);
  return 0;
}

// Prints the lines of `path` whose key (text before ':') is one of `keys`, or all lines.
int PrintFile(const char* path, int argc, char** argv) {
  std::ifstream in(path);
  if (!in) {
    printf("ERR %s\n", strerrorname_np(errno));
    return 0;
  }
  std::string line;
  while (std::getline(in, line)) {
    std::string key = line.substr(0, line.find(':'));
    bool want = argc == 0;
    for (int i = 0; i < argc; ++i) want = want || key == argv[i];
    if (want) std::cout << line << "\n";
  }
  return 0;
}

// "OK" or the errno name of a failed call.
void Report(long rc) { printf("%s\n", rc < 0 ? strerrorname_np(errno) : "OK"); }

// Tries to create and write `path`.
int WriteFile(const char* path) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    Report(-1);
    return 0;
  }
  Report(write(fd, "x", 1));
  close(fd);
  return 0;
}

// Makes the named syscall with harmless arguments and reports how it went.
int Syscall(const std::string& name) {
  if (name == "getpid") {
    Report(syscall(SYS_getpid));
  } else if (name == "ptrace") {
    Report(ptrace(PTRACE_TRACEME, 0, nullptr, nullptr));
  } else if (name == "mount") {
    Report(mount("none", "/", "tmpfs", 0, nullptr));
  } else if (name == "unshare_user") {
    Report(unshare(CLONE_NEWUSER));
  } else if (name == "clone_newuser") {
    // Raw clone with a namespace flag (fork semantics): the child exits at once.
    long rc = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, nullptr, nullptr, nullptr, nullptr);
    if (rc == 0) _exit(0);
    if (rc > 0) waitpid(static_cast<pid_t>(rc), nullptr, 0);
    Report(rc);
  } else if (name == "fork") {
    pid_t pid = fork();
    if (pid == 0) _exit(0);
    if (pid > 0) waitpid(pid, nullptr, 0);
    Report(pid);
  } else if (name == "clone3") {
    struct {
      uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
    } args = {0, 0, 0, 0, SIGCHLD, 0, 0, 0};
    long rc = syscall(SYS_clone3, &args, sizeof(args));
    if (rc == 0) _exit(0);
    if (rc > 0) waitpid(static_cast<pid_t>(rc), nullptr, 0);
    Report(rc);
  } else if (name == "keyctl") {
    Report(syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -3, 0));
  } else if (name == "bpf") {
    union bpf_attr attr;
    memset(&attr, 0, sizeof(attr));
    Report(syscall(SYS_bpf, BPF_PROG_LOAD, &attr, sizeof(attr)));
  } else if (name == "perf_event_open") {
    struct perf_event_attr attr;
    memset(&attr, 0, sizeof(attr));
    attr.size = sizeof(attr);
    attr.type = PERF_TYPE_SOFTWARE;
    attr.config = PERF_COUNT_SW_CPU_CLOCK;
    Report(syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0));
  } else if (name == "io_uring_setup") {
    char params[120] = {};
    Report(syscall(SYS_io_uring_setup, 1, params));
  } else if (name == "userfaultfd") {
    Report(syscall(SYS_userfaultfd, 0));
  } else if (name == "kexec_load") {
    Report(syscall(SYS_kexec_load, 0, 0, nullptr, 0));
  } else if (name == "init_module") {
    Report(syscall(SYS_init_module, nullptr, 0, ""));
  } else if (name == "setuid") {
    Report(syscall(SYS_setuid, 0));
  } else if (name == "x32") {
    Report(syscall(0x40000000 | SYS_getpid));
  } else if (name == "tiocsti") {
    char c = 'x';
    Report(syscall(SYS_ioctl, 0, TIOCSTI, &c));
  } else if (name == "tiocsti_high") {
    char c = 'x';
    Report(syscall(SYS_ioctl, 0, (1UL << 32) | TIOCSTI, &c));
  } else if (name == "tcgets_high") {
    char buf[64];
    Report(syscall(SYS_ioctl, 0, (1UL << 32) | TCGETS, buf));
  } else if (name == "unknown") {
    Report(syscall(1000));
  } else if (name == "socket_netlink") {
    Report(socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, 0));
  } else if (name == "socket_inet") {
    Report(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  } else if (name == "thread_ptrace") {
    // The filter must hold for threads started after exec.
    long rc = 0;
    int err = 0;
    std::thread t([&] {
      rc = ptrace(PTRACE_TRACEME, 0, nullptr, nullptr);
      err = errno;
    });
    t.join();
    errno = err;
    Report(rc);
  } else {
    fprintf(stderr, "probe: unknown syscall %s\n", name.c_str());
    return 2;
  }
  return 0;
}

// TCP over 127.0.0.1: "OK" when loopback is up.
int Loopback() {
  int server = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (server < 0 || bind(server, reinterpret_cast<sockaddr*>(&addr), len) < 0 ||
      listen(server, 1) < 0 || getsockname(server, reinterpret_cast<sockaddr*>(&addr), &len) < 0) {
    Report(-1);
    return 0;
  }
  int client = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  Report(connect(client, reinterpret_cast<sockaddr*>(&addr), len));
  return 0;
}

// Allocates and touches `mb` MiB, then prints "survived".
int Balloon(long mb) {
  std::vector<char*> blocks;
  for (long i = 0; i < mb; ++i) {
    char* p = static_cast<char*>(malloc(1 << 20));
    if (p == nullptr) {
      printf("ENOMEM at %ld\n", i);
      return 0;
    }
    memset(p, 1, 1 << 20);
    blocks.push_back(p);
  }
  printf("survived\n");
  return 0;
}

// Forks children that sleep until told to stop, until fork fails or `max` is reached;
// prints how many it got and the error, then kills them.
int ForkBomb(long max) {
  std::vector<pid_t> kids;
  int err = 0;
  while (static_cast<long>(kids.size()) < max) {
    pid_t pid = fork();
    if (pid == 0) {
      pause();
      _exit(0);
    }
    if (pid < 0) {
      err = errno;
      break;
    }
    kids.push_back(pid);
  }
  printf("forked %zu %s\n", kids.size(), err ? strerrorname_np(err) : "OK");
  fflush(stdout);
  for (pid_t k : kids) kill(k, SIGKILL);
  for (pid_t k : kids) waitpid(k, nullptr, 0);
  return 0;
}

// Burns CPU for `ms` of wall time with `threads` threads.
int Spin(long ms, long threads) {
  auto burn = [ms] {
    timespec start{}, now{};
    clock_gettime(CLOCK_MONOTONIC, &start);
    volatile unsigned long x = 0;
    do {
      for (int i = 0; i < 100000; ++i) x = x + 1;
      clock_gettime(CLOCK_MONOTONIC, &now);
    } while ((now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000 < ms);
  };
  std::vector<std::thread> pool;
  for (long i = 0; i < threads; ++i) pool.emplace_back(burn);
  for (std::thread& t : pool) t.join();
  timespec cpu{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu);
  printf("cpu_ms %ld\n", cpu.tv_sec * 1000 + cpu.tv_nsec / 1000000);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: probe COMMAND [ARGS...]\n");
    return 2;
  }
  std::string cmd = argv[1];
  int n = argc - 2;
  char** rest = argv + 2;
  if (cmd == "fds") return ListFds();
  if (cmd == "env") return PrintEnv();
  if (cmd == "status") return PrintFile("/proc/self/status", n, rest);
  if (cmd == "cat" && n >= 1) return PrintFile(rest[0], n - 1, rest + 1);
  if (cmd == "ls" && n == 1) return ListDir(rest[0]);
  if (cmd == "write-file" && n == 1) return WriteFile(rest[0]);
  if (cmd == "syscall" && n == 1) return Syscall(rest[0]);
  if (cmd == "loopback") return Loopback();
  if (cmd == "balloon" && n == 1) return Balloon(atol(rest[0]));
  if (cmd == "forkbomb" && n == 1) return ForkBomb(atol(rest[0]));
  if (cmd == "spin" && n == 2) return Spin(atol(rest[0]), atol(rest[1]));
  if (cmd == "id") {
    gid_t groups[64];
    int ng = getgroups(64, groups);
    printf("uid %d gid %d euid %d egid %d groups %d pid %d ppid %d\n", getuid(), getgid(),
           geteuid(), getegid(), ng, getpid(), getppid());
    return 0;
  }
  if (cmd == "ns") {
    for (const char* ns : {"mnt", "pid", "ipc", "uts", "net", "cgroup", "user"}) {
      char target[128] = {};
      std::string link = std::string("/proc/self/ns/") + ns;
      ssize_t len = readlink(link.c_str(), target, sizeof(target) - 1);
      printf("%s\n", len > 0 ? target : "?");
    }
    return 0;
  }
  if (cmd == "hostname") {
    utsname u{};
    uname(&u);
    printf("%s\n", u.nodename);
    return 0;
  }
  if (cmd == "sleep" && n == 1) {
    sleep(static_cast<unsigned>(atoi(rest[0])));
    return 0;
  }
  if (cmd == "exit" && n == 1) return atoi(rest[0]);
  if (cmd == "write" && n % 2 == 0) {
    // write FD TEXT [FD TEXT...]: TEXT plus a newline to each descriptor.
    for (int i = 0; i < n; i += 2) {
      std::string line = std::string(rest[i + 1]) + "\n";
      if (write(atoi(rest[i]), line.data(), line.size()) != static_cast<ssize_t>(line.size())) {
        perror("write");
        return 1;
      }
    }
    return 0;
  }
  fprintf(stderr, "probe: unknown command %s\n", cmd.c_str());
  return 2;
}
