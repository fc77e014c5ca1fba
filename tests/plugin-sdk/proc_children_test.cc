#include "plugin-sdk/proc_children.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

namespace paddock::sdk {
namespace {

TEST_CASE("proc stat: state and ppid after the last parenthesis") {
  char state = '?';
  pid_t ppid = -1;
  REQUIRE(ParseProcStat("42 (sh) Z 1 42 42 0 -1 4228 0", &state, &ppid));
  CHECK(state == 'Z');
  CHECK(ppid == 1);
  // A command name with spaces and parentheses (it is the process's own choice).
  REQUIRE(ParseProcStat("43 (a) Z 9 (b)) S 77 43 43 0", &state, &ppid));
  CHECK(state == 'S');
  CHECK(ppid == 77);
  REQUIRE(ParseProcStat("44 (x) R 0\n", &state, &ppid));
  CHECK(ppid == 0);
}

TEST_CASE("proc stat: malformed lines are refused") {
  char state;
  pid_t ppid;
  for (const char* bad :
       {"", "42 sh Z 1", "42 (sh)", "42 (sh) Z", "42 (sh) Z ", "42 (sh)Z 1 2", "42 (sh) Z x 2",
        "42 (sh) Z -5 2", "42 (sh) Z 12x 2", "42 (sh) Z 99999999999999999999 2"}) {
    INFO(bad);
    CHECK_FALSE(ParseProcStat(bad, &state, &ppid));
  }
}

// A fake /proc: only numeric directories with a stat are considered.
TEST_CASE("zombie children: read from a proc tree") {
  char tmpl[] = "/tmp/paddock-proc-XXXXXX";
  REQUIRE(mkdtemp(tmpl) != nullptr);
  std::filesystem::path root(tmpl);
  auto add = [&](const std::string& dir, const std::string& stat) {
    std::filesystem::create_directories(root / dir);
    if (!stat.empty()) std::ofstream(root / dir / "stat") << stat;
  };
  add("10", "10 (orphan) Z 1 1 1 0 -1");
  add("11", "11 (live) S 1 1 1 0 -1");
  add("12", "12 (grandchild) Z 10 1 1 0 -1");
  add("13", "13 (z (with) parens) Z 1 1 1 0 -1");
  add("14", "garbage");
  add("15", "");  // No stat file: vanished.
  add("self", "16 (self) Z 1 1 1 0 -1");
  add("sys", "");
  absl::StatusOr<std::vector<pid_t>> z = ZombieChildren(root.string(), 1);
  REQUIRE(z.ok());
  std::sort(z->begin(), z->end());
  CHECK(*z == std::vector<pid_t>{10, 13});
  z = ZombieChildren(root.string(), 10);
  REQUIRE(z.ok());
  CHECK(*z == std::vector<pid_t>{12});
  std::filesystem::remove_all(root);
  CHECK_FALSE(ZombieChildren(root.string(), 1).ok());
}

TEST_CASE("zombie children: a real exited child of this process is listed until reaped") {
  pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) _exit(0);
  bool seen = false;
  for (int i = 0; i < 500 && !seen; ++i) {
    absl::StatusOr<std::vector<pid_t>> z = ZombieChildren("/proc", getpid());
    REQUIRE(z.ok());
    seen = std::find(z->begin(), z->end(), child) != z->end();
    if (!seen) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CHECK(seen);
  REQUIRE(waitpid(child, nullptr, 0) == child);
  absl::StatusOr<std::vector<pid_t>> z = ZombieChildren("/proc", getpid());
  REQUIRE(z.ok());
  CHECK(std::find(z->begin(), z->end(), child) == z->end());
}

}  // namespace
}  // namespace paddock::sdk
