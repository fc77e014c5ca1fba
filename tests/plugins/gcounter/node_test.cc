#include "node.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <thread>

#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "paddock/config.h"

#include "temp_dir.h"

namespace gc = paddock::gcounter;
namespace v1 = paddock::gcounter::v1;
using paddock::UniqueFd;

namespace {

UniqueFd LoopbackUdp() {
  UniqueFd fd(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(bind(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) == 0);
  return fd;
}

gc::Settings Standalone(bool fast = false) {
  gc::Settings s;
  s.fast = fast;
  s.interval_ns = 5'000'000;
  return s;
}

std::unique_ptr<gc::Node> Open(const std::string& dir, gc::Settings s = Standalone()) {
  auto n = std::make_unique<gc::Node>(dir, LoopbackUdp(), std::move(s), nullptr);
  REQUIRE(n->Start().ok());
  return n;
}

int64_t Value(gc::Node& n, const std::string& name) {
  auto r = n.Get(name);
  REQUIRE(r.ok());
  return r->counter().value();
}

std::string Id(gc::Node& n) {
  auto s = n.Stats();
  REQUIRE(s.ok());
  return s->replica_id();
}

bool WaitUntil(const std::function<bool()>& pred, int ms) {
  for (int i = 0; i < ms / 10; ++i) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return pred();
}

}  // namespace

TEST_CASE("acknowledged increments survive a restart; the incarnation stays", "[gcounter][node]") {
  gc::testing::TempDir dir;
  std::string id;
  {
    auto n = Open(dir.path());
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
      threads.emplace_back([&, t] {
        for (int k = 0; k < 25; ++k) CHECK(n->Increment("hits", t + 1, v1::G_COUNTER).ok());
      });
    }
    for (auto& th : threads) th.join();
    CHECK(n->Increment("temp", -4, v1::COUNTER_KIND_UNSPECIFIED).ok());
    CHECK(Value(*n, "hits") == 25 * 36);
    auto stats = n->Stats();
    REQUIRE(stats.ok());
    CHECK(stats->increments() == 201);
    CHECK(stats->commits() <= stats->increments());  // Group commit.
    CHECK(stats->fsyncs() >= stats->commits());
    CHECK(stats->durability() == "fsync");
    id = stats->replica_id();
  }
  auto n = Open(dir.path());
  CHECK(Value(*n, "hits") == 900);
  CHECK(Value(*n, "temp") == -4);
  CHECK(Id(*n) == id);
  CHECK(n->Stats()->boot() == 1);
  auto r = n->Increment("hits", 1, v1::COUNTER_KIND_UNSPECIFIED);
  REQUIRE(r.ok());
  CHECK(r->value() == 901);
  CHECK(r->durable());
}

TEST_CASE("a second generation waits for the data dir, then sees everything", "[gcounter][node]") {
  gc::testing::TempDir dir;
  auto first = Open(dir.path());
  REQUIRE(first->Increment("hits", 5, v1::G_COUNTER).ok());
  auto second = Open(dir.path());
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  CHECK_FALSE(second->Ready());                              // The first still holds the lock.
  REQUIRE(first->Increment("hits", 2, v1::G_COUNTER).ok());  // Late, during the overlap.
  std::string id = Id(*first);
  first->Stop();
  REQUIRE(WaitUntil([&] { return second->Ready(); }, 3000));
  CHECK(Value(*second, "hits") == 7);
  CHECK(Id(*second) == id);
}

TEST_CASE("fast mode acknowledges before fsync; an unclean stop means a new incarnation",
          "[gcounter][node]") {
  gc::testing::TempDir dir, crashed;
  std::string id;
  {
    auto n = Open(dir.path(), Standalone(/*fast=*/true));
    auto r = n->Increment("hits", 3, v1::G_COUNTER);
    REQUIRE(r.ok());
    CHECK_FALSE(r->durable());
    id = Id(*n);
    // What a crash leaves behind: the files as they are while it runs.
    std::filesystem::copy(dir.path(), crashed.path(),
                          std::filesystem::copy_options::recursive |
                              std::filesystem::copy_options::overwrite_existing);
  }
  // A clean stop: same incarnation.
  auto clean = Open(dir.path(), Standalone(true));
  CHECK(Id(*clean) == id);
  clean->Stop();
  // The crash copy: a new incarnation, the old entries kept as another origin.
  auto after = Open(crashed.path(), Standalone(true));
  CHECK(Id(*after) != id);
  CHECK(Value(*after, "hits") == 3);
  REQUIRE(after->Increment("hits", 1, v1::G_COUNTER).ok());
  auto g = after->Get("hits");
  REQUIRE(g.ok());
  CHECK(g->counter().value() == 4);
  CHECK(g->counter().replicas() == 2);
}

TEST_CASE("a lost data dir starts a new, empty incarnation", "[gcounter][node]") {
  gc::testing::TempDir dir;
  std::string id;
  {
    auto n = Open(dir.path());
    REQUIRE(n->Increment("hits", 3, v1::G_COUNTER).ok());
    id = Id(*n);
  }
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
    std::filesystem::remove_all(e);
  }
  auto n = Open(dir.path());
  CHECK(Id(*n) != id);
  CHECK(n->Get("hits").status().code() == absl::StatusCode::kNotFound);
}

TEST_CASE("bad increments are refused with a reason", "[gcounter][node]") {
  gc::testing::TempDir dir;
  auto n = Open(dir.path());
  REQUIRE(n->Increment("g", 1, v1::COUNTER_KIND_UNSPECIFIED).ok());
  CHECK(n->Increment("bad name", 1, v1::COUNTER_KIND_UNSPECIFIED).status().code() ==
        absl::StatusCode::kInvalidArgument);
  CHECK(n->Increment("", 1, v1::COUNTER_KIND_UNSPECIFIED).status().code() ==
        absl::StatusCode::kInvalidArgument);
  CHECK(n->Increment("g", 0, v1::COUNTER_KIND_UNSPECIFIED).status().code() ==
        absl::StatusCode::kInvalidArgument);
  CHECK(n->Increment("g", -1, v1::COUNTER_KIND_UNSPECIFIED).status().code() ==
        absl::StatusCode::kFailedPrecondition);  // A G-Counter cannot decrease.
  CHECK(n->Increment("g", 1, v1::PN_COUNTER).status().code() ==
        absl::StatusCode::kFailedPrecondition);  // Wrong kind.
  CHECK(n->Increment("g", INT64_MIN, v1::COUNTER_KIND_UNSPECIFIED).status().code() ==
        absl::StatusCode::kOutOfRange);
  CHECK(n->Increment("big", (int64_t{1} << 62) - 1, v1::G_COUNTER).ok());
  CHECK(n->Increment("big", 1, v1::G_COUNTER).status().code() == absl::StatusCode::kOutOfRange);
  CHECK(n->Increment("g", 1, static_cast<v1::CounterKind>(9)).status().code() ==
        absl::StatusCode::kInvalidArgument);
  CHECK(Value(*n, "g") == 1);  // Nothing refused was applied.
  auto list = n->List("", 1);
  REQUIRE(list.ok());
  CHECK(list->counters_size() == 1);
  CHECK(list->next() == "g");
  CHECK(n->List("", 20000).status().code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("settings: defaults, validation, and the default_config section", "[gcounter][node]") {
  v1::GcounterConfig c;
  auto s = gc::ParseSettings(c);
  REQUIRE(s.ok());
  CHECK(s->keys.empty());
  CHECK(s->interval_ns == 10'000'000);
  CHECK(s->engine.fanout == 3);
  CHECK_FALSE(s->fast);

  c.add_cluster_keys("zz");
  CHECK(gc::ParseSettings(c).status().code() == absl::StatusCode::kInvalidArgument);
  c.clear_cluster_keys();
  c.add_cluster_keys("00112233445566778899aabbccddeeff");
  c.add_peers("10.0.0.1:7946");
  c.add_peers("[::1]:7946");
  REQUIRE(gc::ParseSettings(c).ok());
  c.add_peers("host:7946");
  CHECK(gc::ParseSettings(c).status().code() == absl::StatusCode::kInvalidArgument);
  c.clear_peers();
  c.set_durability("sometimes");
  CHECK(gc::ParseSettings(c).status().code() == absl::StatusCode::kInvalidArgument);
  c.set_durability("fast");
  REQUIRE(gc::ParseSettings(c).ok());
  c.set_cluster_key_file("/nonexistent");
  CHECK(gc::ParseSettings(c).status().code() == absl::StatusCode::kInvalidArgument);
  c.clear_cluster_key_file();
  c.mutable_dns()->set_name("peers.test");
  c.mutable_dns()->set_port(7946);
  c.mutable_dns()->set_resolver("10.96.0.10:53");
  REQUIRE(gc::ParseSettings(c).ok());
  c.mutable_dns()->set_resolver("dns.local:53");
  CHECK(gc::ParseSettings(c).status().code() == absl::StatusCode::kInvalidArgument);

  // The section shipped in host/default_config.json parses strictly.
  std::ifstream in(std::string(PADDOCK_SOURCE_DIR) + "/host/default_config.json");
  std::string json((std::istreambuf_iterator<char>(in)), {});
  google::protobuf::Struct root;
  REQUIRE(google::protobuf::util::JsonStringToMessage(json, &root).ok());
  const auto& section =
      root.fields().at("plugins").struct_value().fields().at("gcounter").struct_value();
  std::string config_json;
  REQUIRE(google::protobuf::util::MessageToJsonString(section.fields().at("config"), &config_json)
              .ok());
  paddock::ConfigSnapshot snapshot(1, config_json);
  auto parsed = snapshot.As<v1::GcounterConfig>();
  REQUIRE(parsed.ok());
  CHECK(gc::ParseSettings(*parsed).ok());
}

namespace {

uint64_t Rounds(gc::Node& n) {
  auto s = n.Stats();
  REQUIRE(s.ok());
  return s->rounds();
}

// A loopback socket and the address peers reach it at.
std::pair<UniqueFd, gc::PeerAddr> UdpWithAddr() {
  UniqueFd fd = LoopbackUdp();
  sockaddr_storage ss{};
  socklen_t len = sizeof(ss);
  REQUIRE(getsockname(fd.get(), reinterpret_cast<sockaddr*>(&ss), &len) == 0);
  auto addr = gc::PeerAddr::FromSockaddr(reinterpret_cast<sockaddr*>(&ss), len);
  REQUIRE(addr.ok());
  return {std::move(fd), *addr};
}

}  // namespace

TEST_CASE("a node with no peer ticks once a second, not every interval", "[gcounter][node]") {
  gc::testing::TempDir dir;
  gc::Settings s = Standalone();  // 5 ms interval: 300 rounds in 1.5 s if it ticked.
  s.keys.push_back(std::string(16, 'k'));
  auto n = Open(dir.path(), s);
  uint64_t r0 = Rounds(*n);
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  CHECK(Rounds(*n) - r0 <= 3);
}

TEST_CASE("a lone node that hears from a peer gossips with it at once", "[gcounter][node]") {
  // b has no configured peer: it ticked once when it started and would tick again a second
  // later. a lists b; b learns a from a's first packet and must start its 5 ms rounds at
  // once, not at its next once-a-second tick.
  gc::testing::TempDir da, db;
  auto [fa, addr_a] = UdpWithAddr();
  auto [fb, addr_b] = UdpWithAddr();
  gc::Settings sb = Standalone();
  sb.keys.push_back(std::string(16, 'k'));
  auto b = std::make_unique<gc::Node>(db.path(), std::move(fb), sb, nullptr);
  REQUIRE(b->Start().ok());
  REQUIRE(b->Increment("hits", 5, v1::G_COUNTER).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // b is settled, alone.
  const uint64_t b0 = Rounds(*b);
  gc::Settings sa = sb;
  sa.peers.push_back(addr_b);
  auto a = std::make_unique<gc::Node>(da.path(), std::move(fa), sa, nullptr);
  REQUIRE(a->Start().ok());
  REQUIRE(a->Increment("hits", 2, v1::G_COUNTER).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  CHECK(Rounds(*b) - b0 >= 5);  // 0 until ~1 s after b started if it waited for its tick.
  auto value = [](gc::Node& n) {
    auto r = n.Get("hits");
    return r.ok() ? r->counter().value() : -1;
  };
  CHECK(WaitUntil([&] { return value(*a) == 7 && value(*b) == 7; }, 5000));
}
