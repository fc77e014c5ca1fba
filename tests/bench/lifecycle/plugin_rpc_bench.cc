// paddock-rpc-bench: does what paddockd does to start a plugin and call it, and measures it.
//
//   paddock-rpc-bench --plugin build/lib/paddock/plugins/hello [--starts 50] [--calls 5000]
//                     [--mode both|confined|unconfined]
//
// 1. Cold start: host::SpawnInstance (key + certificate, runtime dir, cgroup, sandbox
//    launch, bootstrap on fd 3), then the bootstrap reply, then grpc.health.v1 until
//    SERVING, the same steps and retry interval as the supervisor. Confined and unconfined
//    starts are interleaved so both see the same machine load.
// 2. Unary Greet calls host -> plugin over mTLS with host::PluginClient::CallUnary (the
//    router's path), against three floors measured in the same run with the same
//    service code in this process: an in-process channel, a unix socket without TLS, and
//    a unix socket with the host's mTLS.
// Prints p50/p99 and the ratios. Needs root for the confined mode (namespaces, cgroups).
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/impl/codegen/client_unary_call.h"
#include "grpcpp/security/server_credentials.h"
#include "hello.grpc.pb.h"
#include "host/certs.h"
#include "host/config.h"
#include "host/grant.h"
#include "host/plugin_client.h"
#include "host/plugin_image.h"
#include "host/spawner.h"
#include "plugin-sdk/frame.h"
#include "sandbox/cgroup.h"
#include "sandbox/clone.h"

namespace {

using paddock::host::CertificateAuthority;
using paddock::host::HostCredentials;
using paddock::host::Instance;
using paddock::host::PluginClient;
using Clock = std::chrono::steady_clock;

constexpr char kGreet[] = "/paddock.hello.v1.Hello/Greet";

double MsSince(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

struct Stats {
  double p50 = 0, p99 = 0, mean = 0;
  size_t n = 0;
};

Stats Summarize(std::vector<double> v) {
  Stats s;
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  auto at = [&](double q) {
    size_t i = static_cast<size_t>(q * static_cast<double>(v.size() - 1) + 0.5);
    return v[std::min(i, v.size() - 1)];
  };
  s.p50 = at(0.50);
  s.p99 = at(0.99);
  for (double x : v) s.mean += x;
  s.mean /= static_cast<double>(v.size());
  s.n = v.size();
  return s;
}

void Print(const std::string& what, const Stats& s, const char* unit) {
  std::printf("%-58s n=%-5zu p50 %9.3f %s  p99 %9.3f %s  mean %9.3f %s\n", what.c_str(), s.n, s.p50,
              unit, s.p99, unit, s.mean, unit);
}

// Named p50 latencies of the reference calls, for the ratios.
using Floors = std::vector<std::pair<std::string, double>>;

[[noreturn]] void Die(const std::string& why) {
  std::fprintf(stderr, "paddock-rpc-bench: %s\n", why.c_str());
  std::exit(1);
}

// The same Greet as plugins/hello, served in this process for the floors.
class LocalHello final : public paddock::hello::v1::Hello::Service {
 public:
  grpc::Status Greet(grpc::ServerContext*, const paddock::hello::v1::GreetRequest* req,
                     paddock::hello::v1::GreetReply* reply) override {
    reply->set_message(absl::StrCat("Hello, ", req->name().empty() ? "world" : req->name(), "!"));
    reply->set_generation(1);
    return grpc::Status::OK;
  }
};

// One unary Greet on `channel` through the router's code path (untyped bytes).
bool CallGreet(const std::shared_ptr<grpc::Channel>& channel, const std::string& request) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  grpc::Slice slice(request);
  grpc::ByteBuffer req(&slice, 1), resp;
  return grpc::internal::BlockingUnaryCall<grpc::ByteBuffer, grpc::ByteBuffer>(
             channel.get(),
             grpc::internal::RpcMethod(kGreet, grpc::internal::RpcMethod::NORMAL_RPC), &ctx, req,
             &resp)
      .ok();
}

// Latencies (µs) of `calls` Greets on `channel`, after `calls / 10` warm-up calls.
std::vector<double> MeasureCalls(const std::shared_ptr<grpc::Channel>& channel, int calls) {
  paddock::hello::v1::GreetRequest r;
  r.set_name("bench");
  std::string request = r.SerializeAsString();
  for (int i = 0; i < calls / 10 + 10; ++i) {
    if (!CallGreet(channel, request)) Die("warm-up call failed");
  }
  std::vector<double> us;
  us.reserve(static_cast<size_t>(calls));
  for (int i = 0; i < calls; ++i) {
    auto t0 = Clock::now();
    if (!CallGreet(channel, request)) Die("call failed");
    us.push_back(MsSince(t0) * 1000);
  }
  return us;
}

struct Started {
  std::unique_ptr<Instance> inst;
  std::unique_ptr<PluginClient> client;
  double total_ms = 0;     // SpawnInstance called -> first SERVING health answer.
  double launch_ms = 0;    // Instance::spawned_at (just before the launch) -> SERVING: the
                           // figure paddockd logs as "serving ... after spawn".
  double ready_ms = 0;     // Instance::spawned_at -> the plugin's BootstrapReply (serving).
  bool throttled = false;  // The cgroup's CPU quota throttled the start at least once.
  double cpu_ms = 0;       // CPU the plugin used up to SERVING (confined: its cgroup's).
};

class Bench {
 public:
  Bench(const std::string& plugin, const std::string& dir) : dir_(dir) {
    auto ca = CertificateAuthority::Create("bench CA", absl::Hours(1));
    if (!ca.ok()) Die(std::string(ca.status().message()));
    ca_ = std::move(*ca);
    auto host_cert = ca_->Issue(paddock::host::kHostIdentity, absl::Hours(1));
    if (!host_cert.ok()) Die(std::string(host_cert.status().message()));
    creds_ = {ca_->certificate_pem(), host_cert->private_key_pem, host_cert->certificate_pem};
    auto image = paddock::host::PluginImage::Load(plugin);
    if (!image.ok()) Die(std::string(image.status().message()));
    image_ = *image;
    auto config = paddock::host::LoadEmbeddedDefaultConfig();
    if (!config.ok()) Die(std::string(config.status().message()));
    auto sb = paddock::host::ResolveGrant(image_->manifest(), config->config);
    if (!sb.ok()) Die(std::string(sb.status().message()));
    sandbox_ = *sb;
  }

  void EnableConfinement() {
    auto cg = paddock::sandbox::CgroupManager::Create("/sys/fs/cgroup",
                                                      absl::StrCat("paddock-bench-", getpid()));
    if (!cg.ok()) Die(absl::StrCat("cgroups: ", cg.status().message()));
    cgroups_ = std::move(*cg);
  }

  Started Start(bool confined) {
    paddock::host::SpawnRequest req;
    req.image = image_;
    req.generation = ++generation_;
    req.sandbox = &sandbox_;
    req.config.set_version(1);
    req.config.set_json("{\"greeting\": \"Hello\"}");
    req.runtime_root = dir_ + "/run";
    req.data_root = dir_ + "/data";
    req.unconfined = !confined;
    req.cgroups = cgroups_.get();
    req.uid = req.gid = 600777;
    Started s;
    auto t0 = Clock::now();
    auto inst = paddock::host::SpawnInstance(req, *ca_);
    if (!inst.ok()) Die(absl::StrCat("spawn: ", inst.status().message()));
    s.inst = std::move(*inst);
    paddock::v1::BootstrapReply reply;
    auto st = paddock::sdk::ReadFrame(s.inst->bootstrap.get(), &reply, absl::Seconds(10));
    s.ready_ms = absl::ToDoubleMilliseconds(absl::Now() - s.inst->spawned_at);
    if (!st.ok() || !reply.ready())
      Die(absl::StrCat("bootstrap reply: ", st.message(), reply.error()));
    s.client = PluginClient::Create(s.inst->socket_path, s.inst->identity, creds_);
    while (!s.client->CheckHealth(absl::Seconds(1)).ok()) {
      if (MsSince(t0) > 10000) Die("plugin never became healthy");
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    s.total_ms = MsSince(t0);
    s.launch_ms = absl::ToDoubleMilliseconds(absl::Now() - s.inst->spawned_at);
    if (s.inst->cgroup) {
      auto usage = s.inst->cgroup->ReadUsage();
      s.throttled = usage.ok() && usage->cpu_throttled > 0;
      if (usage.ok()) s.cpu_ms = static_cast<double>(usage->cpu_usage_ns) / 1e6;
    }
    return s;
  }

  static void Stop(Started& s) {
    s.client.reset();
    paddock::sandbox::KillAndReap(s.inst->pidfd.get());
    paddock::host::RemoveRuntimeDir(s.inst->runtime_dir);
    s.inst.reset();  // The cgroup goes with it.
  }

  const HostCredentials& creds() const { return creds_; }
  CertificateAuthority& ca() { return *ca_; }

 private:
  std::string dir_;
  std::unique_ptr<CertificateAuthority> ca_;
  HostCredentials creds_;
  std::shared_ptr<const paddock::host::PluginImage> image_;
  paddock::host::EffectiveSandbox sandbox_;
  std::unique_ptr<paddock::sandbox::CgroupManager> cgroups_;
  uint64_t generation_ = 0;
};

// Prints a reference latency and keeps its p50 for the ratios.
void Floor(Floors* floors, const std::string& what, const Stats& s) {
  Print("floor: " + what, s, "us");
  floors->emplace_back(what, s.p50);
}

// 64-byte round trips over a unix socketpair to an echo loop in another thread (same
// process) or another process: what the kernel and this machine charge for the wakeups
// any cross-thread or cross-process call needs, without gRPC.
Stats PingPong(bool other_process, int n) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) Die("socketpair");
  auto echo = [fd = sv[1]] {
    char buf[64];
    while (read(fd, buf, sizeof(buf)) == static_cast<ssize_t>(sizeof(buf))) {
      if (write(fd, buf, sizeof(buf)) != static_cast<ssize_t>(sizeof(buf))) break;
    }
  };
  pid_t pid = -1;
  std::thread thread;
  if (other_process) {
    pid = fork();
    if (pid == 0) {
      close(sv[0]);  // Or the echo loop never sees EOF.
      echo();
      _exit(0);
    }
  } else {
    thread = std::thread(echo);
  }
  std::vector<double> us;
  char buf[64] = {};
  for (int i = 0; i < n + n / 10; ++i) {
    auto t0 = Clock::now();
    if (write(sv[0], buf, sizeof(buf)) != sizeof(buf) ||
        read(sv[0], buf, sizeof(buf)) != sizeof(buf)) {
      Die("ping-pong");
    }
    if (i >= n / 10) us.push_back(MsSince(t0) * 1000);
  }
  close(sv[0]);
  if (other_process) {
    waitpid(pid, nullptr, 0);
  } else {
    thread.join();
  }
  close(sv[1]);
  return Summarize(us);
}

// Child mode (--serve DIR): the same service in a process of its own, without the SDK or a
// sandbox, on DIR/xp-plain.sock (no TLS) and DIR/xp-tls.sock (mTLS with DIR/{key,cert,ca}.pem,
// client certificate required), until stdin reaches EOF. Says "ready" on stdout.
int Serve(const std::string& dir) {
  auto slurp = [&](const char* name) {
    std::ifstream in(dir + "/" + name);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  grpc::SslServerCredentialsOptions tls(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  tls.pem_root_certs = slurp("ca.pem");
  tls.pem_key_cert_pairs.push_back({slurp("key.pem"), slurp("cert.pem")});
  LocalHello service;
  grpc::ServerBuilder builder;
  builder.RegisterService(&service);
  builder.AddListeningPort("unix:" + dir + "/xp-plain.sock", grpc::InsecureServerCredentials());
  builder.AddListeningPort("unix:" + dir + "/xp-tls.sock", grpc::SslServerCredentials(tls));
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server) return 1;
  std::printf("ready\n");
  std::fflush(stdout);
  char c;
  while (read(0, &c, 1) > 0) {
  }
  server->Shutdown();
  return 0;
}

// The same service served by another process (Serve above): what gRPC itself costs across
// a process boundary, without the SDK's interceptor and auth check and without a sandbox.
void OtherProcessFloors(Bench& bench, const std::string& dir, int calls, Floors* floors) {
  auto cert = bench.ca().Issue("bench.server.paddock", absl::Hours(1));
  if (!cert.ok()) Die(std::string(cert.status().message()));
  std::ofstream(dir + "/key.pem") << cert->private_key_pem;
  std::ofstream(dir + "/cert.pem") << cert->certificate_pem;
  std::ofstream(dir + "/ca.pem") << bench.creds().ca_certificate_pem;
  int in[2], out[2];
  if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0) Die("pipe2");
  pid_t pid = fork();
  if (pid == 0) {
    dup2(in[0], 0);
    dup2(out[1], 1);
    execl("/proc/self/exe", "paddock-rpc-bench", "--serve", dir.c_str(), nullptr);
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  char ready[6] = {};
  if (read(out[0], ready, 5) != 5) Die("the --serve child did not start");
  Floor(floors, "another process, plain gRPC server, unix socket, no TLS",
        Summarize(MeasureCalls(grpc::CreateChannel("unix:" + dir + "/xp-plain.sock",
                                                   grpc::InsecureChannelCredentials()),
                               calls)));
  auto client = PluginClient::Create(dir + "/xp-tls.sock", "bench.server.paddock", bench.creds());
  Floor(floors, "another process, plain gRPC server, unix socket, host mTLS",
        Summarize(MeasureCalls(client->channel(), calls)));
  close(in[1]);
  close(out[0]);
  waitpid(pid, nullptr, 0);
}

// The in-process floors: the same service over an in-process channel, a unix socket
// without TLS, and a unix socket with mTLS as the host uses it.
void MeasureFloors(Bench& bench, const std::string& dir, int calls, Floors* floors) {
  LocalHello service;
  const std::string plain_sock = dir + "/plain.sock", tls_sock = dir + "/tls.sock";
  auto server_cert = bench.ca().Issue("bench.server.paddock", absl::Hours(1));
  if (!server_cert.ok()) Die(std::string(server_cert.status().message()));
  grpc::SslServerCredentialsOptions tls(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  tls.pem_root_certs = bench.creds().ca_certificate_pem;
  tls.pem_key_cert_pairs.push_back({server_cert->private_key_pem, server_cert->certificate_pem});
  grpc::ServerBuilder builder;
  builder.RegisterService(&service);
  builder.AddListeningPort("unix:" + plain_sock, grpc::InsecureServerCredentials());
  builder.AddListeningPort("unix:" + tls_sock, grpc::SslServerCredentials(tls));
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server) Die("cannot start the in-process server");

  Floor(floors, "in-process channel (same service, no transport)",
        Summarize(MeasureCalls(server->InProcessChannel(grpc::ChannelArguments()), calls)));
  Floor(floors, "same process, unix socket, no TLS",
        Summarize(MeasureCalls(
            grpc::CreateChannel("unix:" + plain_sock, grpc::InsecureChannelCredentials()), calls)));
  auto client = PluginClient::Create(tls_sock, "bench.server.paddock", bench.creds());
  Floor(floors, "same process, unix socket, host mTLS (PluginClient)",
        Summarize(MeasureCalls(client->channel(), calls)));
  Print("floor: raw 64 B round trip, unix socketpair, another thread", PingPong(false, calls),
        "us");
  Print("floor: raw 64 B round trip, unix socketpair, another process", PingPong(true, calls),
        "us");
  server->Shutdown();
  OtherProcessFloors(bench, dir, calls, floors);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 3 && std::string(argv[1]) == "--serve") return Serve(argv[2]);
  std::string plugin, mode = "both";
  int starts = 50, calls = 5000;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) Die("missing value for " + a);
      return argv[++i];
    };
    if (a == "--plugin") {
      plugin = value();
    } else if (a == "--starts") {
      starts = std::atoi(value().c_str());
    } else if (a == "--calls") {
      calls = std::atoi(value().c_str());
    } else if (a == "--mode") {
      mode = value();
    } else {
      Die("usage: paddock-rpc-bench --plugin PATH [--starts N] [--calls N] "
          "[--mode both|confined|unconfined]");
    }
  }
  if (plugin.empty() || starts < 1 || calls < 10 ||
      (mode != "both" && mode != "confined" && mode != "unconfined")) {
    Die("need --plugin PATH, --starts >= 1, --calls >= 10, --mode both|confined|unconfined");
  }
  const bool confined = mode != "unconfined", unconfined = mode != "confined";
  char tmpl[] = "/tmp/paddock-bench-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) Die("mkdtemp failed");
  std::string dir = tmpl;
  chmod(dir.c_str(), 0755);
  {
    Bench bench(plugin, dir);
    if (confined) bench.EnableConfinement();

    std::vector<double> total[2], launch[2], ready[2];  // [0] unconfined, [1] confined
    int throttled = 0;
    std::vector<double> start_cpu;
    for (int i = 0; i < starts; ++i) {
      for (int c = 0; c < 2; ++c) {
        if ((c == 1 && !confined) || (c == 0 && !unconfined)) continue;
        Started s = bench.Start(c == 1);
        total[c].push_back(s.total_ms);
        launch[c].push_back(s.launch_ms);
        ready[c].push_back(s.ready_ms);
        throttled += s.throttled;
        if (c == 1) start_cpu.push_back(s.cpu_ms);
        Bench::Stop(s);
      }
    }
    const char* names[2] = {"unconfined", "confined"};
    Stats launch_stats[2];
    for (int c = 0; c < 2; ++c) {
      if (total[c].empty()) continue;
      Print(absl::StrCat("cold start ", names[c], ": SpawnInstance -> SERVING"),
            Summarize(total[c]), "ms");
      launch_stats[c] = Summarize(launch[c]);
      Print(absl::StrCat("cold start ", names[c], ": launch -> SERVING (paddockd's figure)"),
            launch_stats[c], "ms");
      Print("  of which launch -> bootstrap reply (plugin listening)", Summarize(ready[c]), "ms");
    }
    if (confined) {
      Print("CPU time a confined start uses up to SERVING (cgroup)", Summarize(start_cpu), "ms");
      std::printf("confined starts throttled by their CPU quota before serving: %d of %zu\n",
                  throttled, launch[1].size());
    }
    if (confined && unconfined) {
      std::printf(
          "sandbox adds to launch -> SERVING: p50 %+.3f ms, p99 %+.3f ms (target p99 <= 20)\n",
          launch_stats[1].p50 - launch_stats[0].p50, launch_stats[1].p99 - launch_stats[0].p99);
    }

    Floors floors;
    MeasureFloors(bench, dir, calls, &floors);
    Stats call[2];
    for (int c = 0; c < 2; ++c) {
      if ((c == 1 && !confined) || (c == 0 && !unconfined)) continue;
      Started s = bench.Start(c == 1);
      call[c] = Summarize(MeasureCalls(s.client->channel(), calls));
      Print(absl::StrCat("host -> plugin unary Greet, mTLS, ", names[c]), call[c], "us");
      Bench::Stop(s);
    }
    for (int c = 0; c < 2; ++c) {
      if (call[c].n == 0) continue;
      for (const auto& [what, p50] : floors) {
        std::printf("ratio host->plugin (%s) p50 / %s p50: %.2f\n", names[c], what.c_str(),
                    call[c].p50 / p50);
      }
    }
    std::printf("target (issue 2): host->plugin p50 <= 2x the in-process channel floor\n");
    if (confined && unconfined) {
      std::printf("sandbox per-call overhead: p50 %+.2f us, p99 %+.2f us\n",
                  call[1].p50 - call[0].p50, call[1].p99 - call[0].p99);
    }
  }
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return 0;
}
