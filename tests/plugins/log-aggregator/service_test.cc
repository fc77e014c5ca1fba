// The gRPC service class called directly: Query paging and errors, Tail (replay and
// follow, since streams cannot go through paddockctl yet), Stats.
#include "service.h"

#include <sys/socket.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core.h"
#include "test_util.h"

namespace paddock::logagg {
namespace {

namespace pb = paddock::logagg::v1;
using testing::TempDir;

struct Fixture {
  Fixture() {
    UniqueFd u = testing::BoundUdp();
    port = testing::PortOf(u.get());
    Core::Options o;
    o.data_dir = dir.path();
    o.udp = std::move(u);
    o.settings.flush_interval_ns = 20'000'000;
    core = *Core::Start(std::move(o));
    tx = testing::UdpSender(port);
  }
  void Send(const std::string& line) {
    REQUIRE(send(tx.get(), line.data(), line.size(), 0) == static_cast<ssize_t>(line.size()));
  }
  void WaitWritten(uint64_t n) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (Get(core->stats().written) < n && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    REQUIRE(Get(core->stats().written) >= n);
  }
  TempDir dir;
  uint16_t port = 0;
  std::unique_ptr<Core> core;
  UniqueFd tx;
};

// Collects a Tail in a thread until cancelled.
struct TailRun {
  TailRun(LogAggregatorService& svc, pb::TailRequest req) {
    thread = std::thread([this, &svc, req] {
      status = svc.TailTo(
          req,
          [this](const pb::LogRecord& r) {
            std::lock_guard<std::mutex> l(mu);
            got.push_back(r.message());
            return true;
          },
          [this] { return cancel.load(); });
      done = true;
    });
  }
  size_t Count() {
    std::lock_guard<std::mutex> l(mu);
    return got.size();
  }
  bool WaitCount(size_t n) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (Count() < n && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return Count() >= n;
  }
  ~TailRun() {
    cancel = true;
    thread.join();
  }
  std::mutex mu;
  std::vector<std::string> got;
  std::atomic<bool> cancel{false}, done{false};
  grpc::Status status;
  std::thread thread;
};

}  // namespace

TEST_CASE("Query pages, limits and rejects bad requests", "[service]") {
  Fixture f;
  for (int i = 0; i < 250; ++i) f.Send("<13>Mar 15 11:00:00 h app: n=" + std::to_string(i));
  f.WaitWritten(250);
  pb::QueryRequest req;
  req.set_limit(100);
  std::vector<std::string> all;
  int pages = 0;
  for (;;) {
    pb::QueryResponse resp;
    REQUIRE(f.core->service().Query(nullptr, &req, &resp).ok());
    ++pages;
    for (const auto& r : resp.records()) all.push_back(r.message());
    if (resp.next_page_token().empty()) break;
    req.set_page_token(resp.next_page_token());
  }
  REQUIRE(all.size() == 250);
  REQUIRE(all.front() == "n=0");
  REQUIRE(all.back() == "n=249");
  REQUIRE(pages == 3);

  pb::QueryRequest bad;
  bad.set_limit(20000);
  pb::QueryResponse resp;
  REQUIRE(f.core->service().Query(nullptr, &bad, &resp).error_code() ==
          grpc::StatusCode::INVALID_ARGUMENT);
  pb::QueryRequest bad_token;
  bad_token.set_page_token("v1:nope");
  REQUIRE(f.core->service().Query(nullptr, &bad_token, &resp).error_code() ==
          grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_CASE("Tail follows new lines that match its filter", "[service][tail]") {
  Fixture f;
  f.Send("<13>Mar 15 11:00:00 h app: old line");
  f.WaitWritten(1);
  pb::TailRequest req;
  req.set_follow(true);
  req.mutable_filter()->set_app("want");
  TailRun tail(f.core->service(), req);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  for (int i = 0; i < 50; ++i) {
    f.Send("<13>Mar 15 11:00:00 h want: n=" + std::to_string(i));
    f.Send("<13>Mar 15 11:00:00 h other: n=" + std::to_string(i));
  }
  REQUIRE(tail.WaitCount(50));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  std::lock_guard<std::mutex> l(tail.mu);
  REQUIRE(tail.got.size() == 50);  // Neither the old line nor the other app.
  for (int i = 0; i < 50; ++i)
    REQUIRE(tail.got[static_cast<size_t>(i)] == "n=" + std::to_string(i));
}

TEST_CASE("Tail replays from start_time, then ends without follow", "[service][tail]") {
  Fixture f;
  for (int i = 0; i < 30; ++i) f.Send("<13>Mar 15 11:00:00 h app: n=" + std::to_string(i));
  f.WaitWritten(30);
  pb::TailRequest req;
  req.mutable_filter()->mutable_start_time()->set_seconds(1);
  std::vector<std::string> got;
  grpc::Status st = f.core->service().TailTo(
      req,
      [&](const pb::LogRecord& r) {
        got.push_back(r.message());
        return true;
      },
      [] { return false; });
  REQUIRE(st.ok());
  REQUIRE(got.size() == 30);
}

TEST_CASE("Tail follows across segment rotation and ends on drain", "[service][tail]") {
  Fixture f;
  Settings s;
  s.segment_max_bytes = 64 << 10;
  s.retention_max_bytes = 1 << 30;
  s.flush_interval_ns = 10'000'000;
  f.core->SetSettings(s);
  pb::TailRequest req;
  req.set_follow(true);
  TailRun tail(f.core->service(), req);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  std::string pad(300, 'p');
  for (int i = 0; i < 1000; ++i) {
    f.Send("<13>Mar 15 11:00:00 h app: " + pad + std::to_string(i));
    if (i % 100 == 99) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  REQUIRE(tail.WaitCount(1000));
  REQUIRE(Get(f.core->stats().segments_rotated) >= 4);
  f.core->Drain();
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  while (!tail.done && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  REQUIRE(tail.done);
}

TEST_CASE("Stats counts what came in and what is on disk", "[service]") {
  Fixture f;
  f.Send("<13>Mar 15 11:00:00 h app: a");
  f.Send("<13>1 - h a p m - b");
  f.Send("raw");
  f.WaitWritten(3);
  pb::StatsResponse st;
  REQUIRE(f.core->service().Stats(nullptr, nullptr, &st).ok());
  REQUIRE(st.received() == 3);
  REQUIRE(st.parsed_rfc3164() == 1);
  REQUIRE(st.parsed_rfc5424() == 1);
  REQUIRE(st.raw() == 1);
  REQUIRE(st.written() == 3);
  REQUIRE(st.segments() == 1);
  REQUIRE(st.disk_bytes() > 3 * 64);
  REQUIRE(st.udp_address() == "127.0.0.1:" + std::to_string(f.port));
  REQUIRE(st.tcp_address().empty());
  REQUIRE(st.instance().size() == 16);
  REQUIRE(st.has_newest());
  REQUIRE(st.pending() == 0);
}

TEST_CASE("A restarted core reads its predecessor's segments", "[service]") {
  TempDir dir;
  {
    Core::Options o;
    o.data_dir = dir.path();
    UniqueFd u = testing::BoundUdp();
    uint16_t port = testing::PortOf(u.get());
    o.udp = std::move(u);
    auto core = *Core::Start(std::move(o));
    UniqueFd tx = testing::UdpSender(port);
    for (int i = 0; i < 10; ++i) REQUIRE(send(tx.get(), "<13>x", 5, 0) == 5);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (Get(core->stats().received) < 10 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    core->Drain();
    core->Shutdown();
    REQUIRE(Get(core->stats().written) == 10);
  }
  Core::Options o;
  o.data_dir = dir.path();
  auto core = *Core::Start(std::move(o));
  REQUIRE(core->recovery().lost == 0);
  pb::QueryRequest req;
  pb::QueryResponse resp;
  REQUIRE(core->service().Query(nullptr, &req, &resp).ok());
  REQUIRE(resp.records_size() == 10);
}

}  // namespace paddock::logagg
