// paddock-fuzz-seeds <corpus dir>: writes the seed inputs that only the real encoders can
// make into <corpus dir>/<target>/: bootstrap frames with real certificates (host/certs,
// as the spawner fills them), gcounter gossip exchanged by real replicas, and http-sampler
// ring-buffer records laid out by the shared ABI header. The other seeds are text files
// (tests/fuzz/README.md). Built only in the fuzz build; the output is committed.
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "host/certs.h"
#include "paddock/v1/bootstrap.pb.h"
#include "plugins/gcounter/auth.h"
#include "plugins/gcounter/peer_addr.h"
#include "plugins/gcounter/replica.h"
#ifdef PADDOCK_FUZZ_HTTP_SAMPLER
#include "plugins/http-sampler/records.h"
#endif

namespace {

namespace fs = std::filesystem;
namespace gc = paddock::gcounter;

void Write(const fs::path& dir, const std::string& name, const std::string& bytes) {
  fs::create_directories(dir);
  std::ofstream(dir / name, std::ios::binary) << bytes;
}

// The frame format of plugin-sdk/frame.h: 4-byte little-endian length, then the message.
std::string Frame(const google::protobuf::MessageLite& m) {
  std::string payload = m.SerializeAsString();
  uint32_t n = static_cast<uint32_t>(payload.size());
  std::string out(4, '\0');
  for (int i = 0; i < 4; ++i) out[i] = static_cast<char>((n >> (8 * i)) & 0xff);
  return out + payload;
}

std::string LengthPrefixed(const std::string& b) {
  std::string out;
  out.push_back(static_cast<char>(b.size() & 0xff));
  out.push_back(static_cast<char>((b.size() >> 8) & 0xff));
  return out + b;
}

int Bootstrap(const fs::path& dir) {
  auto ca = paddock::host::CertificateAuthority::Create("paddock fuzz seed CA", absl::Hours(1));
  if (!ca.ok()) return 1;
  std::string identity = paddock::host::PluginIdentity("hello", 3);
  auto leaf = (*ca)->Issue(identity, absl::Hours(1));
  if (!leaf.ok()) return 1;
  paddock::v1::Bootstrap b;  // As host/spawner.cc fills it.
  b.set_protocol(1);
  b.set_plugin_name("hello");
  b.set_generation(3);
  b.set_instance_id("hello-g3-00002a");
  b.set_listen_path("/run/plugin.sock");
  b.set_private_key_pem(leaf->private_key_pem);
  b.set_certificate_pem(leaf->certificate_pem);
  b.set_ca_certificate_pem((*ca)->certificate_pem());
  b.set_host_identity(paddock::host::kHostIdentity);
  b.set_plugin_identity(identity);
  b.mutable_config()->set_json(R"({"greeting":"hi"})");
  b.set_data_dir("/data");
  b.set_log_level("info");
  Write(dir, "bootstrap_hello", std::string(1, '\0') + Frame(b));
  auto* fd = b.add_fds();
  fd->set_name("syslog_udp");
  fd->set_fd(4);
  fd->set_description("udp 127.0.0.1:5514");
  Write(dir, "bootstrap_with_socket", std::string(1, '\0') + Frame(b));
  b.clear_private_key_pem();
  Write(dir, "bootstrap_two_frames", std::string(1, '\0') + Frame(b) + Frame(b));

  paddock::v1::BootstrapReply ready;
  ready.set_ready(true);
  ready.set_pid(1);
  Write(dir, "reply_ready", std::string(1, '\1') + Frame(ready));
  paddock::v1::BootstrapReply failed;
  failed.set_error("listen /run/plugin.sock: Permission denied");
  Write(dir, "reply_failed", std::string(1, '\1') + Frame(failed));
  return 0;
}

gc::PeerAddr Addr(int i) { return *gc::PeerAddr::Parse("10.0.0." + std::to_string(i) + ":7946"); }

// Three replicas gossip for a few rounds; every datagram they send becomes seed material
// (without its tag: the fuzzer signs what it feeds). Each seed is the packets one replica
// received, in order, as gossip_fuzz.cc reads them.
int Gossip(const fs::path& dir) {
  const std::string key(32, 'k');
  std::vector<std::unique_ptr<gc::Replica>> r;
  for (int i = 1; i <= 3; ++i) {
    gc::EngineOptions o;
    o.fanout = 2;
    auto rep =
        gc::Replica::Create(o, static_cast<gc::ReplicaId>(i), 0, {key}, static_cast<uint64_t>(i));
    if (!rep.ok()) return 1;
    r.push_back(std::move(*rep));
  }
  for (int i = 0; i < 3; ++i) {
    std::vector<gc::PeerAddr> peers;
    for (int j = 0; j < 3; ++j) {
      if (j != i) peers.push_back(Addr(j + 1));
    }
    r[i]->SetPeers(peers);
  }
  std::vector<std::string> received(3);
  int seeds = 0;
  int64_t now = 1'000'000;
  for (int round = 0; round < 12; ++round) {
    for (int i = 0; i < 3; ++i) {
      if (round % 3 == i) {
        std::vector<gc::WireEntry> changes;
        uint64_t v = r[i]->own_version();
        changes.push_back({"hits", {uint64_t(round + 1), 0, v + 1, gc::Kind::kGrowOnly}});
        changes.push_back(
            {"balance",
             {uint64_t(round + 2), uint64_t(round / 2), v + 2, gc::Kind::kPositiveNegative}});
        if (round > 5) {
          changes.push_back(
              {"errors/" + std::to_string(round), {1, 0, v + 3, gc::Kind::kGrowOnly}});
        }
        absl::Status st = r[i]->PublishOwn(changes, now);
        if (!st.ok()) {
          std::fprintf(stderr, "gossip: %s\n", st.ToString().c_str());
          return 1;
        }
      }
    }
    std::vector<std::pair<int, gc::Datagram>> queue;
    for (int i = 0; i < 3; ++i) {
      std::vector<gc::Datagram> out;
      r[i]->Tick(now, &out);
      for (auto& d : out) queue.emplace_back(i, std::move(d));
    }
    // Deliver, including the replies (push-pull and anti-entropy), until quiet.
    for (size_t q = 0; q < queue.size() && q < 200; ++q) {
      auto [from, d] = queue[q];
      int to = d.to.ip[3] - 1;
      std::string body = d.bytes.substr(0, d.bytes.size() - gc::kTagBytes);
      received[to] += LengthPrefixed(body);
      Write(dir, "packet_" + std::to_string(seeds++), LengthPrefixed(body));
      std::vector<gc::Datagram> replies;
      r[to]->Receive(Addr(from + 1), d.bytes, now + 1000, &replies);
      for (auto& rep : replies) queue.emplace_back(to, std::move(rep));
    }
    now += 100'000'000;
  }
  for (int i = 0; i < 3; ++i) Write(dir, "exchange_" + std::to_string(i + 1), received[i]);
  std::printf("gossip: %d packets\n", seeds);
  return 0;
}

#ifdef PADDOCK_FUZZ_HTTP_SAMPLER
std::string Bytes(const void* p, size_t n) { return std::string(static_cast<const char*>(p), n); }

// A request record as the program writes it: the header, its text (path, then Host value),
// zero bytes up to `size`.
std::string RequestRecord(hs_request h, const std::string& path, const std::string& host,
                          size_t size) {
  h.path_len = static_cast<uint16_t>(path.size());
  h.host_len = static_cast<uint16_t>(host.size());
  std::string rec = Bytes(&h, sizeof(h)) + path + host;
  rec.resize(size, '\0');
  return rec;
}

int HttpRecords(const fs::path& dir) {
  constexpr size_t kSmall = sizeof(hs_request) + HS_SMALL_PATH + HS_SMALL_HOST;
  constexpr size_t kFull = sizeof(hs_request) + HS_TEXT_MAX;
  hs_request req{};
  req.kind = HS_KIND_REQUEST;
  req.method = HS_METHOD_GET;
  req.flags = HS_F_HOST_FOUND | HS_F_VERSION_SEEN;
  const std::string path = "/api/v1/items?id=42";
  const std::string host = "example.test";
  req.ifindex = 1;
  req.payload_len = 78;
  req.ts_ns = 5'000'000'000;
  req.tuple.family = 4;
  const uint8_t client[4] = {127, 0, 0, 1}, server[4] = {127, 0, 0, 2};
  std::memcpy(req.tuple.saddr, client, 4);
  std::memcpy(req.tuple.daddr, server, 4);
  req.tuple.sport = 40000;
  req.tuple.dport = 8080;
  hs_response resp{};
  resp.kind = HS_KIND_RESPONSE;
  resp.status = 200;
  resp.ifindex = 1;
  resp.request_ts_ns = req.ts_ns;
  resp.latency_ns = 1'500'000;
  resp.tag = paddock::http_sampler::TupleHash(req.tuple);

  std::string a = LengthPrefixed(RequestRecord(req, path, host, kSmall));
  std::string b = LengthPrefixed(Bytes(&resp, sizeof(resp)));
  Write(dir, "request", a);
  Write(dir, "request_response", a + b);

  hs_request v6 = req;
  v6.method = HS_METHOD_POST;
  v6.tuple.family = 6;
  std::memset(v6.tuple.saddr, 0, 16);
  std::memset(v6.tuple.daddr, 0, 16);
  v6.tuple.saddr[15] = 1;
  v6.tuple.daddr[15] = 1;
  v6.flags = HS_F_PATH_TRUNCATED;
  const std::string v6_path = "/" + std::string(HS_PATH_MAX - 1, 'a');
  v6.ts_ns = 6'000'000'000;
  hs_response v6resp = resp;
  v6resp.tag = paddock::http_sampler::TupleHash(v6.tuple);
  v6resp.request_ts_ns = v6.ts_ns;
  v6resp.status = 404;
  std::string c = LengthPrefixed(RequestRecord(v6, v6_path, "", kFull));
  std::string d = LengthPrefixed(Bytes(&v6resp, sizeof(v6resp)));
  Write(dir, "ipv6_truncated", c + d);
  Write(dir, "interleaved", a + c + b + d);
  hs_request late = req;
  late.ts_ns = 9'000'000'000;  // Expires the first request unanswered.
  Write(dir, "timeout", a + LengthPrefixed(RequestRecord(late, path, host, kSmall)));
  return 0;
}
#endif

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: paddock-fuzz-seeds <corpus dir>\n");
    return 2;
  }
  fs::path root = argv[1];
  if (Bootstrap(root / "bootstrap") != 0) return 1;
  if (Gossip(root / "gossip") != 0) return 1;
#ifdef PADDOCK_FUZZ_HTTP_SAMPLER
  if (HttpRecords(root / "http_records") != 0) return 1;
#endif
  return 0;
}
