#include "integration/reload_load.h"

#include <chrono>

#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "paddock/v1/control.grpc.pb.h"

namespace paddock::testing {
namespace {

std::string VersionIn(const std::string& json) {
  size_t at = json.find("\"version\":\"");
  if (at == std::string::npos) return "?";
  at += 11;
  return json.substr(at, json.find('"', at) - at);
}

}  // namespace

CallLoad::CallLoad(const std::string& socket, int threads, int rate_per_thread) : socket_(socket) {
  for (int i = 0; i < threads; ++i)
    threads_.emplace_back([this, rate_per_thread] { Run(rate_per_thread); });
}

CallLoad::~CallLoad() { Stop(); }

void CallLoad::Stop() {
  stop_.store(true);
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
}

void CallLoad::Run(int rate) {
  auto stub = paddock::v1::Control::NewStub(
      grpc::CreateChannel("unix:" + socket_, grpc::InsecureChannelCredentials()));
  auto period = std::chrono::nanoseconds(1000000000LL / rate);
  auto next = std::chrono::steady_clock::now();
  std::string current;
  uint64_t switches = 0;
  while (!stop_.load()) {
    paddock::v1::CallRequest req;
    req.set_plugin("echo");
    req.set_method("Echo");
    req.set_json(R"({"text":"load"})");
    paddock::v1::CallResponse resp;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    grpc::Status s = stub->Call(&ctx, req, &resp);
    if (s.ok()) {
      ok_.fetch_add(1);
      std::string v = VersionIn(resp.json());
      if (!current.empty() && v != current) {
        ++switches;
        uint64_t seen = max_switches_.load();
        while (switches > seen && !max_switches_.compare_exchange_weak(seen, switches)) {
        }
      }
      current = v;
      std::lock_guard<std::mutex> lock(mu_);
      ++by_version_[v];
      last_version_ = v;
    } else {
      failed_.fetch_add(1);
      std::lock_guard<std::mutex> lock(mu_);
      if (errors_.size() < 10) errors_.push_back(s.error_message());
    }
    next += period;
    auto now = std::chrono::steady_clock::now();
    if (next > now) {
      std::this_thread::sleep_until(next);
    } else if (now - next > std::chrono::milliseconds(100)) {
      next = now;  // Fell far behind: do not burst to catch up.
    }
  }
}

std::map<std::string, uint64_t> CallLoad::by_version() const {
  std::lock_guard<std::mutex> lock(mu_);
  return by_version_;
}

std::vector<std::string> CallLoad::errors() const {
  std::lock_guard<std::mutex> lock(mu_);
  return errors_;
}

std::string CallLoad::last_version() const {
  std::lock_guard<std::mutex> lock(mu_);
  return last_version_;
}

}  // namespace paddock::testing
