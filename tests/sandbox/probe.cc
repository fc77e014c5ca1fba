// sandbox_probe: a small program the sandbox tests exec through a sealed memfd to look at
// the confinement from inside. Dynamically linked on purpose (libstdc++, libc, the
// loader), so that a confined root must provide exactly its ELF dependencies.
//
// Usage: probe COMMAND [ARGS...]; prints its findings on stdout, one fact per line, and
// exits 0 when the command ran (what it found is for the test to judge), 2 on misuse.
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <fstream>
#include <iostream>
#include <string>

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

int PrintEnv() {
  for (char** e = environ; *e != nullptr; ++e) printf("%s\n", *e);
  return 0;
}

// Prints the /proc/self/status lines whose key is one of `keys` (or every line if none).
int PrintStatus(int argc, char** argv) {
  std::ifstream status("/proc/self/status");
  if (!status) {
    perror("open /proc/self/status");
    return 1;
  }
  std::string line;
  while (std::getline(status, line)) {
    std::string key = line.substr(0, line.find(':'));
    bool want = argc == 0;
    for (int i = 0; i < argc; ++i) want = want || key == argv[i];
    if (want) std::cout << line << "\n";
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: probe COMMAND [ARGS...]\n");
    return 2;
  }
  std::string cmd = argv[1];
  int rest_argc = argc - 2;
  char** rest = argv + 2;
  if (cmd == "fds") return ListFds();
  if (cmd == "env") return PrintEnv();
  if (cmd == "status") return PrintStatus(rest_argc, rest);
  if (cmd == "sleep" && rest_argc == 1) {
    sleep(static_cast<unsigned>(atoi(rest[0])));
    return 0;
  }
  if (cmd == "exit" && rest_argc == 1) return atoi(rest[0]);
  if (cmd == "write" && rest_argc % 2 == 0) {
    // write FD TEXT [FD TEXT...]: TEXT plus a newline to each descriptor.
    for (int i = 0; i < rest_argc; i += 2) {
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
