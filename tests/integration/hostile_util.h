// Helpers shared by the hostile suite (hostile_*_test.cc): calling one escape attempt of
// the hostile test plugin through `paddockctl call`, and looking at processes from outside.
#pragma once

#include <dirent.h>
#include <signal.h>
#include <sys/types.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "integration/harness.h"

namespace paddock::testing {

// The plugin's AttemptReply (tests/test-plugins/hostile.proto), read from paddockctl's JSON.
struct AttemptResult {
  int exit_code = -1;      // paddockctl's exit code; non-zero when the call itself failed.
  std::string ctl_error;   // paddockctl's stderr.
  std::string outcome;     // "refused", "signaled", "contained", "escaped".
  std::string errno_name;  // e.g. "EPERM".
  int signal = 0;
  std::string detail;
  double value = 0;
  int count = 0;
};

// Runs attempt `name` with the extra request fields in `fields` (JSON members without
// braces, e.g. "\"pid\": 42").
inline AttemptResult Attempt(Host& host, const std::string& name, const std::string& fields = "") {
  std::string body = "{\"name\": \"" + name + "\"" + (fields.empty() ? "" : ", " + fields) + "}";
  CmdResult c = host.Ctl({"call", "hostile", "Attempt", body});
  AttemptResult r;
  r.exit_code = c.exit_code;
  r.ctl_error = c.err;
  if (c.exit_code != 0) return r;
  google::protobuf::Struct s;
  if (!google::protobuf::util::JsonStringToMessage(c.out, &s).ok()) {
    r.ctl_error = "unparseable reply: " + c.out;
    return r;
  }
  auto str = [&](const char* key) {
    auto it = s.fields().find(key);
    return it == s.fields().end() ? std::string() : it->second.string_value();
  };
  auto num = [&](const char* key) {
    auto it = s.fields().find(key);
    return it == s.fields().end() ? 0.0 : it->second.number_value();
  };
  r.outcome = str("outcome");
  r.errno_name = str("errnoName");
  r.signal = static_cast<int>(num("signal"));
  r.detail = str("detail");
  r.value = num("value");
  r.count = static_cast<int>(num("count"));
  return r;
}

// Stops the host as an operator would (SIGTERM) and checks that it exits cleanly, so it
// also removes its cgroup subtree: Host's destructor SIGKILLs, which leaves the subtree's
// (empty) directories behind under /sys/fs/cgroup.
inline bool StopHost(Host& host) {
  host.Signal(SIGTERM);
  return host.Wait(20) == 0;
}

// Pids of every process (not thread) whose real uid is `uid`.
inline std::vector<pid_t> ProcessesOfUid(uid_t uid) {
  std::vector<pid_t> out;
  DIR* d = opendir("/proc");
  if (d == nullptr) return out;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] < '1' || e->d_name[0] > '9') continue;
    std::ifstream status(std::string("/proc/") + e->d_name + "/status");
    for (std::string line; std::getline(status, line);) {
      if (line.rfind("Uid:", 0) != 0) continue;
      if (std::strtoul(line.c_str() + 4, nullptr, 10) == uid) out.push_back(std::atoi(e->d_name));
      break;
    }
  }
  closedir(d);
  return out;
}

// A process's VmRSS in KiB (0 if unknown).
inline long RssKiB(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
  }
  return 0;
}

}  // namespace paddock::testing
