#include "integration/harness.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <catch2/catch.hpp>

#include "google/protobuf/util/json_util.h"

namespace paddock::testing {
namespace fs = std::filesystem;

std::string BuildPath(const std::string& relative) {
  return std::string(PADDOCK_BUILD_DIR) + "/" + relative;
}
std::string BundledPlugin(const std::string& name) {
  return BuildPath("lib/paddock/plugins/" + name);
}
std::string TestPlugin(const std::string& name) {
  return BuildPath("lib/paddock/test-plugins/" + name);
}

TempDir::TempDir() {
  char tmpl[] = "/tmp/paddock-test-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
  chmod(path_.c_str(), 0755);
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

CmdResult Run(const std::vector<std::string>& argv, const std::string& input, double timeout_s) {
  int in[2], out[2], err[2];
  if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC)) {
    throw std::runtime_error("pipe2 failed");
  }
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(in[0], 0);
    dup2(out[1], 1);
    dup2(err[1], 2);
    execv(args[0], args.data());
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  close(err[1]);
  (void)!write(in[1], input.data(), input.size());
  close(in[1]);
  CmdResult r;
  auto deadline = std::chrono::steady_clock::now() +
                  std::chrono::milliseconds(static_cast<int64_t>(timeout_s * 1000));
  pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  int open_fds = 2;
  while (open_fds > 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      kill(pid, SIGKILL);
      break;
    }
    if (poll(fds, 2, static_cast<int>(left.count())) <= 0) continue;
    for (auto& p : fds) {
      if (p.fd < 0 || !(p.revents & (POLLIN | POLLHUP))) continue;
      char buf[65536];
      ssize_t n = read(p.fd, buf, sizeof(buf));
      if (n <= 0) {
        close(p.fd);
        p.fd = -1;
        --open_fds;
        continue;
      }
      (p.fd == out[0] ? r.out : r.err).append(buf, static_cast<size_t>(n));
    }
  }
  for (auto& p : fds) {
    if (p.fd >= 0) close(p.fd);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  if (std::string report = SanitizerReport(r.err); !report.empty()) {
    FAIL_CHECK("sanitizer report from " << argv[0] << ":\n" << report);
  }
  return r;
}

double TimeScale() {
  static const double scale = [] {
    const char* env = std::getenv("PADDOCK_TEST_TIME_SCALE");
    double v = env == nullptr ? 1 : std::strtod(env, nullptr);
    return v >= 1 && v <= 20 ? v : 1.0;
  }();
  return scale;
}

bool SanitizerBuild() {
#ifdef PADDOCK_SANITIZER_BUILD
  return true;
#else
  return false;
#endif
}

bool WaitFor(const std::function<bool()>& pred, double timeout_s) {
  timeout_s *= TimeScale();
  auto deadline = std::chrono::steady_clock::now() +
                  std::chrono::milliseconds(static_cast<int64_t>(timeout_s * 1000));
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return pred();
}

bool ProcessAlive(pid_t pid) {
  if (pid <= 0) return false;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return false;
  size_t close = line.rfind(')');
  if (close == std::string::npos || close + 2 >= line.size()) return false;
  char state = line[close + 2];
  return state != 'Z' && state != 'X';
}

Host::Host(std::string extra_config) : extra_config_(std::move(extra_config)) {
  plugin_dir_ = dir_.path() + "/plugins";
  runtime_dir_ = dir_.path() + "/run";
  data_dir_ = dir_.path() + "/data";
  socket_ = dir_.path() + "/ctl/paddockd.sock";
  config_path_ = dir_.path() + "/paddockd.json";
  log_path_ = dir_.path() + "/paddockd.log";
  fs::create_directories(plugin_dir_);
}

std::string SanitizerReport(const std::string& log) {
  size_t at = std::string::npos;
  for (const char* marker : {"ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                             "runtime error: ", "SUMMARY: UndefinedBehaviorSanitizer"}) {
    at = std::min(at, log.find(marker));
  }
  if (at == std::string::npos) return "";
  const size_t begin = log.rfind('\n', at);
  return log.substr(begin == std::string::npos ? 0 : begin + 1, 6000);
}

Host::~Host() {
  if (pid_ > 0 && !reaped_) {
#ifdef PADDOCK_SANITIZER_BUILD
    kill(pid_, SIGTERM);
    if (Wait(30) < 0) kill(pid_, SIGKILL);
#else
    kill(pid_, SIGKILL);
#endif
    if (!reaped_) waitpid(pid_, nullptr, 0);
  }
  if (std::string report = SanitizerReport(Log()); !report.empty()) {
    FAIL_CHECK("sanitizer report in paddockd's log (" << log_path_ << "):\n" << report);
  }
}

void Host::AddPlugin(const std::string& binary, const std::string& file_name) {
  fs::copy_file(binary, plugin_dir_ + "/" + file_name, fs::copy_options::overwrite_existing);
}

void Host::AddFile(const std::string& file_name, const std::string& bytes) {
  std::ofstream(plugin_dir_ + "/" + file_name, std::ios::binary) << bytes;
}

std::string Host::CgroupName() const {
  return "paddock-test-" + dir_.path().substr(dir_.path().rfind('-') + 1);
}

namespace {

int64_t Scaled(int64_t ms) { return static_cast<int64_t>(static_cast<double>(ms) * TimeScale()); }

}  // namespace

std::string Host::ConfigJson(const std::string& extra_config) const {
  std::ostringstream cfg;
  cfg << "{\n"
      << "  \"plugin_dirs\": [\"" << plugin_dir_ << "\"],\n"
      << "  \"control_socket\": \"" << socket_ << "\",\n"
      << "  \"runtime_dir\": \"" << runtime_dir_ << "\",\n"
      << "  \"data_dir\": \"" << data_dir_ << "\",\n"
      << "  \"shutdown_grace_ms\": 2000,\n"
      << "  \"restart\": {\"initial_backoff_ms\": 50, \"max_backoff_ms\": 400,"
      << " \"crash_loop_count\": 4, \"crash_loop_window_ms\": 30000},\n"
      // A sanitized plugin starts and answers slower (noisy's 10 MB flood took over 5 s
      // under ASan on a loaded machine): the host's own deadlines follow the time knob.
      << "  \"health\": {\"interval_ms\": 500, \"timeout_ms\": " << Scaled(1000)
      << ", \"start_timeout_ms\": " << Scaled(5000)
      << "},\n"
      // Metrics on a free port (the default 9464 would be shared by parallel tests); the
      // host logs the address it got (metrics_fixture.h reads it).
      << "  \"metrics\": {\"listen\": \"127.0.0.1:0\"},\n"
      // Each test host gets its own cgroup subtree, so parallel tests never meet.
      << "  \"sandbox\": {\"cgroup_name\": \"" << CgroupName()
      << "\"}"
      // Test plugins are unsigned: tests of signatures say what they want instead.
      << (extra_config.find("\"signatures\"") == std::string::npos
              ? ",\n  \"signatures\": {\"policy\": \"OFF\"}"
              : "")
      << (extra_config.empty() ? "" : ",\n  " + extra_config) << "\n}\n";
  return cfg.str();
}

void Host::WriteAtomically(const std::string& path, const std::string& content) {
  std::string tmp = path + ".tmp-write";
  std::ofstream(tmp) << content;
  fs::rename(tmp, path);
}

bool Host::Start(const std::vector<std::string>& extra_args) {
  if (!fs::exists(config_path_)) WriteAtomically(config_path_, ConfigJson(extra_config_));
  std::vector<std::string> argv = {BuildPath("bin/paddockd"), "--config", config_path_};
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  int log = open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  int netns = -1;
  if (!netns_.empty()) {
    netns = open(("/run/netns/" + netns_).c_str(), O_RDONLY | O_CLOEXEC);
    if (netns < 0) {
      close(log);
      return false;
    }
  }
  pid_ = fork();
  if (pid_ == 0) {
    dup2(log, 1);
    dup2(log, 2);
    if (netns >= 0 && setns(netns, CLONE_NEWNET) != 0) _exit(126);
    execv(args[0], args.data());
    _exit(127);
  }
  if (netns >= 0) close(netns);
  reaped_ = false;
  close(log);
  return WaitFor(
             [&] {
               if (!ProcessAlive(pid_)) return true;
               return Ctl({"list"}).exit_code == 0;
             },
             20) &&
         ProcessAlive(pid_);
}

void Host::Signal(int sig) { kill(pid_, sig); }

int Host::Wait(double timeout_s) {
  int status = 0;
  bool done = WaitFor([&] { return waitpid(pid_, &status, WNOHANG) == pid_; }, timeout_s);
  if (!done) return -1;
  reaped_ = true;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

CmdResult Host::Ctl(const std::vector<std::string>& args, const std::string& input) {
  std::vector<std::string> argv = {BuildPath("bin/paddockctl"), "--socket", socket_};
  argv.insert(argv.end(), args.begin(), args.end());
  return Run(argv, input);
}

paddock::v1::ListResponse Host::List() {
  paddock::v1::ListResponse r;
  CmdResult c = Ctl({"--json", "list"});
  if (c.exit_code == 0) (void)google::protobuf::util::JsonStringToMessage(c.out, &r);
  return r;
}

paddock::v1::PluginInfo Host::Status(const std::string& name) {
  paddock::v1::PluginInfo r;
  CmdResult c = Ctl({"--json", "status", name});
  if (c.exit_code == 0) (void)google::protobuf::util::JsonStringToMessage(c.out, &r);
  return r;
}

bool Host::WaitForState(const std::string& name, paddock::v1::PluginState state, double timeout_s) {
  return WaitFor([&] { return Status(name).state() == state; }, timeout_s);
}

std::string Host::Log() const {
  std::ifstream f(log_path_);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

}  // namespace paddock::testing
