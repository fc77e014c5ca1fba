// paddock-call-latency: calls a plugin's unary method through the host's control socket
// (Control.Call) at a fixed rate from several threads and records every call, so a script
// can compare call latency inside reload windows with steady state in the same run.
//
// usage: paddock-call-latency --socket PATH --plugin NAME --method M --json BODY
//                             --threads T --rate CALLS_PER_S_PER_THREAD --seconds S --out FILE
// FILE gets one line per call: "<start CLOCK_MONOTONIC ns> <latency ns> <ok 0|1> <version>"
// where version is the "version" field of the JSON answer ("-" if none). Exit code 0 when
// the run completed (failed calls are data, not an error), 2 on bad arguments.
#include <time.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "paddock/v1/control.grpc.pb.h"

namespace {

struct Record {
  int64_t start_ns;
  int64_t latency_ns;
  bool ok;
  std::string version;
};

int64_t MonotonicNs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000LL + ts.tv_nsec;
}

std::string VersionIn(const std::string& json) {
  size_t at = json.find("\"version\":\"");
  if (at == std::string::npos) return "-";
  at += 11;
  return json.substr(at, json.find('"', at) - at);
}

struct Options {
  std::string socket, plugin, method, json = "{}", out;
  int threads = 4, rate = 500;
  double seconds = 10;
};

bool Parse(int argc, char** argv, Options* o) {
  std::map<std::string, std::string> kv;
  for (int i = 1; i + 1 < argc; i += 2) kv[argv[i]] = argv[i + 1];
  if (argc % 2 != 1) return false;
  for (const auto& [k, v] : kv) {
    if (k == "--socket")
      o->socket = v;
    else if (k == "--plugin")
      o->plugin = v;
    else if (k == "--method")
      o->method = v;
    else if (k == "--json")
      o->json = v;
    else if (k == "--out")
      o->out = v;
    else if (k == "--threads")
      o->threads = std::atoi(v.c_str());
    else if (k == "--rate")
      o->rate = std::atoi(v.c_str());
    else if (k == "--seconds")
      o->seconds = std::atof(v.c_str());
    else
      return false;
  }
  return !o->socket.empty() && !o->plugin.empty() && !o->method.empty() && !o->out.empty() &&
         o->threads > 0 && o->rate > 0 && o->seconds > 0;
}

// One caller: its own channel, a call every 1/rate s on an absolute schedule (a late call
// does not make the next ones burst), until `end_ns`.
std::vector<Record> Caller(const Options& o, int64_t end_ns) {
  auto stub = paddock::v1::Control::NewStub(
      grpc::CreateChannel("unix:" + o.socket, grpc::InsecureChannelCredentials()));
  std::vector<Record> out;
  out.reserve(static_cast<size_t>(o.rate * o.seconds) + 16);
  const auto period = std::chrono::nanoseconds(1000000000LL / o.rate);
  auto next = std::chrono::steady_clock::now();
  while (MonotonicNs() < end_ns) {
    paddock::v1::CallRequest req;
    req.set_plugin(o.plugin);
    req.set_method(o.method);
    req.set_json(o.json);
    paddock::v1::CallResponse resp;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    int64_t t0 = MonotonicNs();
    grpc::Status s = stub->Call(&ctx, req, &resp);
    int64_t t1 = MonotonicNs();
    out.push_back(Record{t0, t1 - t0, s.ok(), s.ok() ? VersionIn(resp.json()) : "-"});
    next += period;
    auto now = std::chrono::steady_clock::now();
    if (next > now) {
      std::this_thread::sleep_until(next);
    } else if (now - next > std::chrono::milliseconds(100)) {
      next = now;
    }
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (!Parse(argc, argv, &o)) {
    std::cerr << "usage: paddock-call-latency --socket PATH --plugin NAME --method M [--json B]"
                 " [--threads T] [--rate N] [--seconds S] --out FILE\n";
    return 2;
  }
  const int64_t end_ns = MonotonicNs() + static_cast<int64_t>(o.seconds * 1e9);
  std::vector<std::vector<Record>> results(static_cast<size_t>(o.threads));
  std::vector<std::thread> threads;
  for (int i = 0; i < o.threads; ++i) {
    threads.emplace_back([&, i] { results[static_cast<size_t>(i)] = Caller(o, end_ns); });
  }
  for (auto& t : threads) t.join();
  std::ofstream out(o.out);
  size_t calls = 0, failed = 0;
  for (const auto& rs : results) {
    for (const Record& r : rs) {
      out << r.start_ns << ' ' << r.latency_ns << ' ' << (r.ok ? 1 : 0) << ' ' << r.version << '\n';
      ++calls;
      failed += r.ok ? 0 : 1;
    }
  }
  std::cerr << "paddock-call-latency: " << calls << " calls, " << failed << " failed\n";
  return out ? 0 : 1;
}
