// A test plugin answering with its own version and generation. Built several times from
// this one source: echo-v1 and echo-v2 (same plugin name "echo", versions 1.0.0 and 2.0.0)
// for hot-reload tests, and broken builds (ECHO_BROKEN) that exit at start, never become
// healthy, or crash after serving once.
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include <poll.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include "echo.grpc.pb.h"
#include "paddock/plugin.h"
#include "plugin-sdk/manifest_section.h"

namespace {

std::string Version() {
  auto m = paddock::sdk::EmbeddedManifest();
  return m.ok() ? m->version() : "?";
}

class EchoService final : public paddock::test::v1::Echo::Service {
 public:
  explicit EchoService(paddock::Context* ctx) : ctx_(ctx), version_(Version()) {}

  grpc::Status Echo(grpc::ServerContext*, const paddock::test::v1::EchoRequest* req,
                    paddock::test::v1::EchoReply* out) override {
    if (req->sleep_ms() > 0)
      std::this_thread::sleep_for(std::chrono::milliseconds(req->sleep_ms()));
    out->set_text(req->text());
    {
      std::lock_guard<std::mutex> lock(calls_mu_);
      ++echoes_;
      last_text_ = req->text();
    }
    out->set_version(version_);
    out->set_generation(ctx_->generation());
    return grpc::Status::OK;
  }

  grpc::Status Count(grpc::ServerContext* sctx, const paddock::test::v1::CountRequest* req,
                     grpc::ServerWriter<paddock::test::v1::CountReply>* writer) override {
    for (uint32_t i = 1; i <= req->n() && !sctx->IsCancelled(); ++i) {
      if (i > 1 && req->interval_ms() > 0) {
        std::this_thread::sleep_for(std::chrono::milliseconds(req->interval_ms()));
      }
      paddock::test::v1::CountReply r;
      r.set_i(i);
      r.set_version(version_);
      if (!writer->Write(r)) break;
    }
    return grpc::Status::OK;
  }

  grpc::Status Config(grpc::ServerContext*, const paddock::test::v1::ConfigRequest*,
                      paddock::test::v1::ConfigReply* out) override {
    auto snap = ctx_->config();
    out->set_version(snap->version());
    out->set_json(snap->json());
    out->set_applied_unix_nanos(applied_.load());
    return grpc::Status::OK;
  }

  grpc::Status Calls(grpc::ServerContext*, const paddock::test::v1::CallsRequest*,
                     paddock::test::v1::CallsReply* out) override {
    std::lock_guard<std::mutex> lock(calls_mu_);
    out->set_echoes(echoes_);
    out->set_last_text(last_text_);
    return grpc::Status::OK;
  }

  void MarkApplied() {
    applied_.store(std::chrono::duration_cast<std::chrono::nanoseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count());
  }

 private:
  paddock::Context* ctx_;
  std::string version_;
  std::atomic<int64_t> applied_{0};
  std::mutex calls_mu_;
  uint64_t echoes_ = 0;    // Guarded by calls_mu_.
  std::string last_text_;  // Guarded by calls_mu_.
};

class EchoPlugin final : public paddock::Plugin {
 public:
  ~EchoPlugin() override { StopReader(); }

  absl::Status Init(paddock::Context& ctx) override {
#if ECHO_BROKEN == 1
    _exit(4);  // exits at start
#elif ECHO_BROKEN == 2
    for (;;) std::this_thread::sleep_for(std::chrono::hours(1));  // never healthy
#elif ECHO_BROKEN == 3
    // Serves, then crashes shortly after its first health check passed.
    std::thread([] {
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      _exit(5);
    }).detach();
#endif
    service_ = std::make_unique<EchoService>(&ctx);
    ctx.AddService(service_.get());
    // Every datagram on the host-held UDP socket is appended to /data/udp-g<N>.log with
    // one write(2), so what was received survives even a SIGKILL.
    auto udp = ctx.TakeSocket("udp");
    if (udp.ok() && !ctx.data_dir().empty()) {
      std::string path = ctx.data_dir() + "/udp-g" + std::to_string(ctx.generation()) + ".log";
      log_ = paddock::UniqueFd(open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
      udp_ = std::move(*udp);
      reader_ = std::thread([this] { ReadDatagrams(); });
    }
    return absl::OkStatus();
  }

  // The reader stops between datagrams: one it took from the shared socket is always written
  // before the generation exits, and the rest stay queued in the kernel for the next one.
  void Drain() override { StopReader(); }
  void Shutdown() override { StopReader(); }

  absl::Status Configure(const paddock::ConfigSnapshot& snapshot) override {
    if (snapshot.json().find("\"reject\"") != std::string::npos) {
      return absl::InvalidArgumentError("echo: config says reject");
    }
    if (service_) service_->MarkApplied();
    return absl::OkStatus();
  }

 private:
  void StopReader() {
    stop_.store(true);
    if (reader_.joinable()) reader_.join();
  }

  void ReadDatagrams() {
    char buf[2048];
    while (!stop_.load()) {
      pollfd pfd{udp_.get(), POLLIN, 0};
      if (poll(&pfd, 1, 20) <= 0) continue;
      ssize_t n = recv(udp_.get(), buf, sizeof(buf) - 1, MSG_DONTWAIT);
      if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (n < 0) return;
      buf[n] = '\n';
      (void)!write(log_.get(), buf, static_cast<size_t>(n) + 1);
    }
  }

  std::unique_ptr<EchoService> service_;
  paddock::UniqueFd udp_;
  paddock::UniqueFd log_;
  std::atomic<bool> stop_{false};
  std::thread reader_;
};

}  // namespace

PADDOCK_PLUGIN(EchoPlugin)
