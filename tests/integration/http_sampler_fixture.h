// Helpers for the http-sampler integration tests: a private nginx on loopback (its own
// config, port and temp dir; never the system service), the host config that grants the
// sampler, curl, and what `tc` / `bpftool` / the plugin's data dir say about its filters.
// Header-only: each tests/integration/*_test.cc is its own executable.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "integration/harness.h"
#include "paddock/v1/control.pb.h"

namespace paddock::testing::sampler {

// True if the test can run here; otherwise says why (WARN) and the test returns early.
inline bool CanRun() {
  if (geteuid() != 0) {
    WARN("skipped: the http-sampler needs root (CAP_BPF, CAP_NET_ADMIN) to load and attach");
    return false;
  }
  if (access(BundledPlugin("http-sampler").c_str(), X_OK) != 0) {
    WARN("skipped: the http-sampler plugin was not built (clang, bpftool, libbpf or BTF missing)");
    return false;
  }
  return true;
}

// A TCP port free on both 127.0.0.1 and ::1 right now.
inline uint16_t FreePort() {
  for (int attempt = 0; attempt < 50; ++attempt) {
    int s4 = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a4{};
    a4.sin_family = AF_INET;
    a4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(a4);
    if (bind(s4, reinterpret_cast<sockaddr*>(&a4), sizeof(a4)) != 0 ||
        getsockname(s4, reinterpret_cast<sockaddr*>(&a4), &len) != 0) {
      close(s4);
      continue;
    }
    uint16_t port = ntohs(a4.sin_port);
    int s6 = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in6 a6{};
    a6.sin6_family = AF_INET6;
    a6.sin6_addr = in6addr_loopback;
    a6.sin6_port = htons(port);
    bool ok6 = bind(s6, reinterpret_cast<sockaddr*>(&a6), sizeof(a6)) == 0;
    close(s6);
    close(s4);
    if (ok6) return port;
  }
  FAIL("no free port on loopback");
  return 0;
}

// nginx with a private config on 127.0.0.1:port and [::1]:port. Locations:
//   /hello -> 200, /items (any method) -> 201, /gone -> 410, /empty -> 204, anything
//   else -> 404. Stopped (SIGQUIT, then SIGKILL) on destruction.
class Nginx {
 public:
  Nginx() : port_(FreePort()) {
    const char* bin = "/usr/sbin/nginx";
    if (access(bin, X_OK) != 0) FAIL("nginx is not installed (scripts/install-deps installs it)");
    std::string d = dir_.path();
    chmod(d.c_str(), 0755);  // Workers run as nobody.
    std::ofstream(d + "/nginx.conf") << "worker_processes 1;\n"
                                     << "error_log " << d << "/error.log warn;\n"
                                     << "pid " << d << "/nginx.pid;\n"
                                     << "events { worker_connections 1024; }\n"
                                     << "http {\n"
                                     << "  access_log off;\n"
                                     << "  client_body_temp_path " << d << "/body;\n"
                                     << "  proxy_temp_path " << d << "/proxy;\n"
                                     << "  fastcgi_temp_path " << d << "/fastcgi;\n"
                                     << "  uwsgi_temp_path " << d << "/uwsgi;\n"
                                     << "  scgi_temp_path " << d << "/scgi;\n"
                                     << "  keepalive_requests 1000000;\n"
                                     << "  server {\n"
                                     << "    listen 127.0.0.1:" << port_ << ";\n"
                                     << "    listen [::1]:" << port_ << ";\n"
                                     << "    location = /hello { return 200 \"hello\\n\"; }\n"
                                     << "    location /items { return 201 \"created\\n\"; }\n"
                                     << "    location = /gone { return 410; }\n"
                                     << "    location = /empty { return 204; }\n"
                                     << "    location / { return 404; }\n"
                                     << "  }\n"
                                     << "}\n";
    std::string log = d + "/stderr.log";
    proc_.pid = fork();
    if (proc_.pid == 0) {
      // nginx goes when the test goes, even if the test crashes (SIGTERM: fast shutdown,
      // workers included).
      prctl(PR_SET_PDEATHSIG, SIGTERM);
      // Not the test's stdout: nginx must never hold the test runner's pipes.
      int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      dup2(fd, 1);
      dup2(fd, 2);
      execl(bin, bin, "-p", d.c_str(), "-c", (d + "/nginx.conf").c_str(), "-g", "daemon off;",
            static_cast<char*>(nullptr));
      _exit(127);
    }
    bool up = WaitFor([&] { return Curl({"-o", "/dev/null", Url("/hello")}).exit_code == 0; }, 10);
    if (!up) {
      std::stringstream ss;
      ss << std::ifstream(d + "/error.log").rdbuf() << std::ifstream(log).rdbuf();
      FAIL("nginx did not start: " << ss.str());
    }
  }
  uint16_t port() const { return port_; }
  std::string Url(const std::string& path, bool v6 = false) const {
    return std::string("http://") + (v6 ? "[::1]" : "127.0.0.1") + ":" + std::to_string(port_) +
           path;
  }
  static CmdResult Curl(std::vector<std::string> args) {
    args.insert(args.begin(), {"/usr/bin/curl", "-sS", "--noproxy", "*", "--max-time", "5"});
    return Run(args, "", 10);
  }

 private:
  // Stops nginx (SIGQUIT, then SIGKILL) when the fixture goes, also when its constructor
  // fails after the fork.
  struct Process {
    pid_t pid = -1;
    ~Process() {
      if (pid <= 0) return;
      kill(pid, SIGQUIT);
      if (!WaitFor([&] { return waitpid(pid, nullptr, WNOHANG) == pid; }, 5)) {
        kill(pid, SIGKILL);
        waitpid(pid, nullptr, 0);
      }
    }
  };
  TempDir dir_;
  uint16_t port_;
  Process proc_;
};

// Stops `host` with SIGTERM when the test scope ends, so the sampler detaches its filters
// from lo (the harness's destructor SIGKILLs the host: a killed sampler's filters are only
// removed by a successor using the same data dir, and a test's data dir is gone after it).
class GracefulStop {
 public:
  explicit GracefulStop(Host& host) : host_(host) {}
  ~GracefulStop() {
    if (host_.pid() > 0 && ProcessAlive(host_.pid())) {
      host_.Signal(SIGTERM);
      host_.Wait(15);
    }
  }

 private:
  Host& host_;
};

// The "plugins" section granting the sampler what its manifest asks for, with `config`
// (a JSON object) as its configuration.
inline std::string SamplerSection(const std::string& config) {
  return "\"plugins\": {\"http-sampler\": {\"grant\": {\"network_host\": true, "
         "\"capabilities\": [\"CAP_BPF\", \"CAP_PERFMON\", \"CAP_NET_ADMIN\"], "
         "\"syscall_groups\": [\"bpf\", \"netlink\"], \"data_dir\": true}, \"config\": " +
         config + "}}";
}

// Config sampling only `port` at `rate_ppm` (everything else at 0) on lo.
inline std::string PortConfig(uint16_t port, uint32_t rate_ppm) {
  return "{\"interfaces\": [\"lo\"], \"default_rate_ppm\": 0, \"port_rate_ppm\": {\"" +
         std::to_string(port) + "\": " + std::to_string(rate_ppm) + "}}";
}

// paddockctl's JSON answer as a generic object (the sampler's messages are not linked
// into the integration tests; proto3 JSON is read field by field).
inline google::protobuf::Struct ParseJson(const CmdResult& r) {
  INFO("paddockctl: exit " << r.exit_code << " out " << r.out << " err " << r.err);
  REQUIRE(r.exit_code == 0);
  google::protobuf::Struct msg;
  REQUIRE(google::protobuf::util::JsonStringToMessage(r.out, &msg).ok());
  return msg;
}

// Field `name` of `obj` ("a.b" walks objects); null when absent.
inline google::protobuf::Value Field(const google::protobuf::Struct& obj, const std::string& name) {
  const google::protobuf::Struct* cur = &obj;
  std::string rest = name;
  while (true) {
    size_t dot = rest.find('.');
    std::string key = rest.substr(0, dot);
    auto it = cur->fields().find(key);
    if (it == cur->fields().end()) return google::protobuf::Value();
    if (dot == std::string::npos) return it->second;
    if (!it->second.has_struct_value()) return google::protobuf::Value();
    cur = &it->second.struct_value();
    rest = rest.substr(dot + 1);
  }
}

// A numeric field (proto3 JSON writes 64-bit integers as strings); 0 when absent.
inline double Num(const google::protobuf::Struct& obj, const std::string& name) {
  google::protobuf::Value v = Field(obj, name);
  if (v.has_number_value()) return v.number_value();
  if (v.has_string_value()) return std::stod(v.string_value());
  return 0;
}

// A list of {"key": .., "count": ..} as a map.
inline std::map<std::string, double> Counts(const google::protobuf::Struct& obj,
                                            const std::string& name) {
  std::map<std::string, double> out;
  google::protobuf::Value v = Field(obj, name);
  for (const auto& item : v.list_value().values()) {
    const auto& s = item.struct_value();
    std::string key = s.fields().count("key") ? s.fields().at("key").string_value() : "";
    out[key] = Num(s, "count");
  }
  return out;
}

// The sampler's Stats (top lists up to `top`).
inline google::protobuf::Struct Stats(Host& host, int top = 100) {
  return ParseJson(
      host.Ctl({"call", "http-sampler", "Stats", "{\"top\": " + std::to_string(top) + "}"}));
}

// Counters of the rule for `port` in a Stats answer (0 = the default rule).
inline google::protobuf::Struct RuleCounters(const google::protobuf::Struct& stats, uint32_t port) {
  google::protobuf::Value rules = Field(stats, "rules");  // Outlives the loop.
  for (const auto& item : rules.list_value().values()) {
    if (static_cast<uint32_t>(Num(item.struct_value(), "port")) == port) {
      return Field(item.struct_value(), "counters").struct_value();
    }
  }
  return google::protobuf::Struct();
}

// Program ids of the filters recorded in the sampler's data dir (every owner slot).
inline std::set<std::string> RecordedProgIds(const Host& host) {
  std::set<std::string> ids;
  std::string dir = host.data_dir() + "/http-sampler";
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    if (e.path().extension() != ".filters") continue;
    std::ifstream in(e.path());
    std::string line;
    while (std::getline(in, line)) {
      size_t slash = line.rfind('/');
      if (slash != std::string::npos) ids.insert(line.substr(slash + 1));
    }
  }
  return ids;
}

// Program ids on lo's ingress or egress hook, from `tc filter show`.
inline std::set<std::string> TcProgIds(bool ingress) {
  CmdResult r =
      Run({"/usr/sbin/tc", "filter", "show", "dev", "lo", ingress ? "ingress" : "egress"});
  std::set<std::string> ids;
  std::istringstream in(r.out);
  std::string word, prev;
  while (in >> word) {
    if (prev == "id") ids.insert(word);
    prev = word;
  }
  return ids;
}

// True if `bpftool prog show id <id>` finds the program.
inline bool ProgLoaded(const std::string& id) {
  return Run({"/usr/sbin/bpftool", "prog", "show", "id", id}).exit_code == 0;
}

}  // namespace paddock::testing::sampler
