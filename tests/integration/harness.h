// Test harness for integration tests: runs the real paddockd and paddockctl binaries from
// the build tree in a private temp directory (own plugin dir, control socket, runtime and
// data dirs), and reads the host's answers through `paddockctl --json`.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

#include "paddock/v1/control.pb.h"

namespace paddock::testing {

// Host config granting the echo test plugin its UDP socket and data dir.
inline constexpr char kEchoGrant[] =
    R"("plugins": {"echo": {"grant": {"sockets": true, "data_dir": true}}})";

// Absolute paths into the build tree.
std::string BuildPath(const std::string& relative);
// A bundled plugin binary (build/lib/paddock/plugins/<name>).
std::string BundledPlugin(const std::string& name);
// A test plugin binary (build/lib/paddock/test-plugins/<name>).
std::string TestPlugin(const std::string& name);

// A directory under /tmp removed (recursively) on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

struct CmdResult {
  int exit_code = -1;  // Exit status, or 128+signal.
  std::string out, err;
};

// Runs argv to completion (killed after timeout_s) and captures its output. A sanitizer
// report on its stderr fails the running test.
CmdResult Run(const std::vector<std::string>& argv, const std::string& input = "",
              double timeout_s = 60);

// How much slower than a normal build this one runs: PADDOCK_TEST_TIME_SCALE (a number in
// [1, 20]; scripts/test-sanitize sets it for ASan+UBSan), else 1. Deadlines that only bound
// how long the tests wait for something to happen are multiplied by it; what is checked
// stays the same.
double TimeScale();

// True in a sanitizer build (scripts/test-sanitize): paddockd, paddockctl and the plugins
// run under ASan+UBSan.
bool SanitizerBuild();

// Polls `pred` every 10 ms until it is true or `timeout_s` (times TimeScale()) passes.
// Returns the last value.
bool WaitFor(const std::function<bool()>& pred, double timeout_s);

// The first sanitizer report (ASan, LSan, UBSan) in `log` with the lines around it, or ""
// if there is none.
std::string SanitizerReport(const std::string& log);

// True if `pid` exists and is not a zombie.
bool ProcessAlive(pid_t pid);

// A paddockd under test.
class Host {
 public:
  // `extra_config` is spliced into the config JSON object (e.g. "\"plugins\": {...}").
  // Unless it has a "signatures" section, the config turns signature checks off.
  explicit Host(std::string extra_config = "");
  // SIGKILL if still running. In a sanitizer build (PADDOCK_SANITIZER_BUILD) paddockd gets
  // SIGTERM first, so it stops its plugins and LeakSanitizer checks it at exit; then the
  // test fails if paddockd's log holds a sanitizer report (its own, or a plugin's: plugins'
  // stderr is in that log).
  ~Host();

  // Copies (or links) a plugin binary into the plugin directory as `file_name`.
  void AddPlugin(const std::string& binary, const std::string& file_name);
  // Writes arbitrary bytes as a file in the plugin directory.
  void AddFile(const std::string& file_name, const std::string& bytes);

  // Runs paddockd inside the network namespace /run/netns/<name> (setns before exec, so
  // unlike `ip netns exec` the mounts, /sys and its cgroups stay as they are). "" (the
  // default) keeps the test's namespace. Call before Start.
  void SetNetns(std::string name) { netns_ = std::move(name); }
  // Starts paddockd and waits until its control socket answers. False on failure. May be
  // called again after the previous paddockd exited (Wait), with the same directories.
  bool Start(const std::vector<std::string>& extra_args = {});
  // The config file this host writes and starts with, for `extra_config` (as in the
  // constructor). Tests rewrite it to exercise the config engine.
  std::string ConfigJson(const std::string& extra_config) const;
  // Where Start() writes the config (default <dir>/paddockd.json); call before Start().
  // Start() writes it only if no file is there yet.
  void set_config_path(std::string path) { config_path_ = std::move(path); }
  // Writes `content` to `path` the way editors do: a temp file renamed over it.
  static void WriteAtomically(const std::string& path, const std::string& content);
  // The temp directory of this host (for the test's own files).
  const std::string& dir() const { return dir_.path(); }
  // Sends `sig` to paddockd.
  void Signal(int sig);
  // Waits for paddockd to exit; returns its exit code (128+sig if killed), -1 on timeout.
  int Wait(double timeout_s);

  // Runs paddockctl against this host.
  CmdResult Ctl(const std::vector<std::string>& args, const std::string& input = "");
  paddock::v1::ListResponse List();
  // Status of `name`; an empty PluginInfo if the host does not know it.
  paddock::v1::PluginInfo Status(const std::string& name);
  // Waits until `name` is in `state`.
  bool WaitForState(const std::string& name, paddock::v1::PluginState state, double timeout_s);

  // Everything paddockd wrote to stderr so far.
  std::string Log() const;
  pid_t pid() const { return pid_; }
  const std::string& socket() const { return socket_; }
  const std::string& plugin_dir() const { return plugin_dir_; }
  const std::string& data_dir() const { return data_dir_; }
  const std::string& runtime_dir() const { return runtime_dir_; }
  const std::string& config_path() const { return config_path_; }
  // The cgroup subtree name this host uses.
  std::string CgroupName() const;

 private:
  TempDir dir_;
  std::string plugin_dir_, socket_, runtime_dir_, data_dir_, config_path_, log_path_;
  std::string extra_config_;
  std::string netns_;
  pid_t pid_ = -1;
  bool reaped_ = false;
};

}  // namespace paddock::testing
