#include "host/grant.h"

#include <catch2/catch.hpp>
#include <string>

#include "host/config.h"

namespace paddock::host {
namespace {

using paddock::v1::PluginManifest;

paddock::v1::HostConfig Config(std::string_view json) {
  absl::StatusOr<paddock::v1::HostConfig> c = ParseHostConfig(json);
  REQUIRE(c.ok());
  return *c;
}

PluginManifest Manifest(const std::string& name = "hello") {
  PluginManifest m;
  m.set_name(name);
  return m;
}

std::string DeniedMessage(const PluginManifest& m, const paddock::v1::HostConfig& c,
                          absl::StatusCode code = absl::StatusCode::kPermissionDenied) {
  absl::StatusOr<EffectiveSandbox> s = ResolveGrant(m, c);
  REQUIRE_FALSE(s.ok());
  CHECK(s.status().code() == code);
  return std::string(s.status().message());
}

TEST_CASE("zero requests take the defaults, capped by the grant", "[grant]") {
  absl::StatusOr<EffectiveSandbox> s = ResolveGrant(Manifest(), Config("{}"));
  REQUIRE(s.ok());
  CHECK(s->memory_bytes == 128u << 20);
  CHECK(s->cpu_millis == 500);
  CHECK(s->pids == 32);
  CHECK_FALSE(s->network_host);
  CHECK_FALSE(s->data_dir);
  CHECK(s->capabilities.empty());
  CHECK(s->sockets.empty());

  const auto small = Config(
      R"({"default_grant": {"max_memory_bytes": 67108864, "max_cpu_millis": 100, "max_pids": 8}})");
  s = ResolveGrant(Manifest(), small);
  REQUIRE(s.ok());
  CHECK(s->memory_bytes == 64u << 20);
  CHECK(s->cpu_millis == 100);
  CHECK(s->pids == 8);
}

TEST_CASE("requests within the grant are granted as asked", "[grant]") {
  const auto c = Config(R"({"plugins": {"sampler": {"grant": {
      "max_memory_bytes": 536870912, "network_host": true, "data_dir": true, "sockets": true,
      "capabilities": ["CAP_BPF", "CAP_PERFMON", "CAP_NET_ADMIN"], "syscall_groups": ["bpf"]},
      "sockets": {"tcp": "[::1]:9000"}}}})");
  PluginManifest m = Manifest("sampler");
  auto* sb = m.mutable_sandbox();
  sb->set_memory_bytes(512u << 20);
  sb->set_cpu_millis(1000);
  sb->set_pids(64);
  sb->set_network(paddock::v1::NETWORK_HOST);
  sb->add_capabilities("CAP_PERFMON");
  sb->add_capabilities("CAP_BPF");
  sb->add_syscall_groups("bpf");
  sb->set_data_dir(true);
  auto* udp = sb->add_sockets();
  udp->set_name("udp");
  udp->set_default_address("127.0.0.1:5514");
  auto* tcp = sb->add_sockets();
  tcp->set_name("tcp");
  tcp->set_kind(paddock::v1::SocketRequest::TCP);
  tcp->set_default_address("127.0.0.1:5515");
  absl::StatusOr<EffectiveSandbox> s = ResolveGrant(m, c);
  REQUIRE(s.ok());
  CHECK(s->memory_bytes == 512u << 20);
  CHECK(s->cpu_millis == 1000);
  CHECK(s->pids == 64);
  CHECK(s->network_host);
  CHECK(s->capabilities == std::vector<std::string>{"CAP_PERFMON", "CAP_BPF"});
  CHECK(s->syscall_groups == std::vector<std::string>{"bpf"});
  CHECK(s->data_dir);
  REQUIRE(s->sockets.size() == 2);
  CHECK(s->sockets[0].request.name() == "udp");
  CHECK(s->sockets[0].address == "127.0.0.1:5514");  // Manifest default.
  CHECK(s->sockets[1].address == "[::1]:9000");      // Config override.
  CHECK(s->sockets[1].request.kind() == paddock::v1::SocketRequest::TCP);
}

TEST_CASE("anything beyond the grant is refused, naming what and where", "[grant]") {
  const auto c = Config("{}");
  PluginManifest m = Manifest();
  m.mutable_sandbox()->add_capabilities("CAP_BPF");
  CHECK(DeniedMessage(m, c) ==
        "requests capability CAP_BPF, which the host config does not grant (grant it in "
        "plugins.\"hello\".grant.capabilities)");

  m = Manifest();
  m.mutable_sandbox()->set_memory_bytes(512u << 20);
  CHECK(DeniedMessage(m, c) ==
        "requests memory_bytes 536870912, more than the host config grants (268435456; raise it "
        "in plugins.\"hello\".grant.max_memory_bytes)");
  m = Manifest();
  m.mutable_sandbox()->set_cpu_millis(2000);
  CHECK(DeniedMessage(m, c).starts_with(
      "requests cpu_millis 2000, more than the host config grants (1000"));
  m = Manifest();
  m.mutable_sandbox()->set_pids(65);
  CHECK(DeniedMessage(m, c).starts_with("requests pids 65, more than the host config grants (64"));
  m = Manifest();
  m.mutable_sandbox()->set_network(paddock::v1::NETWORK_HOST);
  CHECK(DeniedMessage(m, c) ==
        "requests the host network, which the host config does not grant (grant it in "
        "plugins.\"hello\".grant.network_host)");
  m = Manifest();
  m.mutable_sandbox()->add_syscall_groups("bpf");
  CHECK(DeniedMessage(m, c) ==
        "requests syscall group \"bpf\", which the host config does not grant (grant it in "
        "plugins.\"hello\".grant.syscall_groups)");
  m = Manifest();
  m.mutable_sandbox()->set_data_dir(true);
  CHECK(DeniedMessage(m, c) ==
        "requests a persistent data directory, which the host config does not grant (grant it "
        "in plugins.\"hello\".grant.data_dir)");
  m = Manifest();
  m.mutable_sandbox()->add_sockets()->set_name("udp");
  CHECK(DeniedMessage(m, c) ==
        "requests pre-opened sockets, which the host config does not grant (grant it in "
        "plugins.\"hello\".grant.sockets)");

  // Several at once are all listed.
  m = Manifest();
  m.mutable_sandbox()->add_capabilities("CAP_SYS_ADMIN");
  m.mutable_sandbox()->set_data_dir(true);
  CHECK(DeniedMessage(m, c) ==
        "requests capability CAP_SYS_ADMIN, which the host config does not grant (grant it in "
        "plugins.\"hello\".grant.capabilities); requests a persistent data directory, which the "
        "host config does not grant (grant it in plugins.\"hello\".grant.data_dir)");
}

TEST_CASE("a plugin's own grant replaces the default grant entirely", "[grant]") {
  const auto c = Config(R"({"default_grant": {"capabilities": ["CAP_BPF"], "data_dir": true},
                            "plugins": {"hello": {"grant": {"max_pids": 10}},
                                        "other": {"disabled": false}}})");
  PluginManifest m = Manifest("hello");
  m.mutable_sandbox()->add_capabilities("CAP_BPF");
  CHECK(DeniedMessage(m, c).starts_with("requests capability CAP_BPF"));
  m.mutable_sandbox()->clear_capabilities();
  absl::StatusOr<EffectiveSandbox> s = ResolveGrant(m, c);
  REQUIRE(s.ok());
  CHECK(s->pids == 10);
  // "other" has settings but no grant: the default grant applies.
  PluginManifest o = Manifest("other");
  o.mutable_sandbox()->add_capabilities("CAP_BPF");
  o.mutable_sandbox()->set_data_dir(true);
  CHECK(ResolveGrant(o, c).ok());
}

TEST_CASE("socket addresses must come from somewhere and match requests", "[grant]") {
  const auto c = Config(R"({"plugins": {"hello": {"grant": {"sockets": true},
                                                  "sockets": {"udpp": "127.0.0.1:1"}}}})");
  PluginManifest m = Manifest();
  m.mutable_sandbox()->add_sockets()->set_name("udp");
  CHECK(DeniedMessage(m, c, absl::StatusCode::kFailedPrecondition) ==
        "socket \"udp\" has no address: the manifest gives no default, so set "
        "plugins.\"hello\".sockets.\"udp\"");
  m.mutable_sandbox()->mutable_sockets(0)->set_default_address("127.0.0.1:5514");
  CHECK(DeniedMessage(m, c, absl::StatusCode::kFailedPrecondition) ==
        "plugins.\"hello\".sockets names \"udpp\", which the plugin does not ask for (it asks "
        "for: \"udp\")");
  m.mutable_sandbox()->mutable_sockets(0)->set_default_address("nonsense");
  CHECK(DeniedMessage(m, Config(R"({"plugins": {"hello": {"grant": {"sockets": true}}}})"),
                      absl::StatusCode::kFailedPrecondition) ==
        "socket \"udp\": \"nonsense\": expected host:port");
}

TEST_CASE("a grant with zero maxima is refused instead of meaning unlimited", "[grant]") {
  paddock::v1::HostConfig raw;  // Not passed through ParseHostConfig: no defaults.
  CHECK(DeniedMessage(Manifest(), raw, absl::StatusCode::kFailedPrecondition) ==
        "the host config grant has a maximum of 0 (config defaults were not filled)");
}

TEST_CASE("the embedded default config grants the bundled plugins what they need", "[grant]") {
  absl::StatusOr<LoadedConfig> d = LoadEmbeddedDefaultConfig();
  REQUIRE(d.ok());
  PluginManifest sampler = Manifest("http-sampler");
  auto* sb = sampler.mutable_sandbox();
  sb->set_network(paddock::v1::NETWORK_HOST);
  for (const char* cap : {"CAP_BPF", "CAP_PERFMON", "CAP_NET_ADMIN"}) sb->add_capabilities(cap);
  sb->add_syscall_groups("bpf");
  CHECK(ResolveGrant(sampler, d->config).ok());

  PluginManifest agg = Manifest("log-aggregator");
  agg.mutable_sandbox()->set_data_dir(true);
  for (const char* name : {"udp", "tcp"}) agg.mutable_sandbox()->add_sockets()->set_name(name);
  absl::StatusOr<EffectiveSandbox> s = ResolveGrant(agg, d->config);
  REQUIRE(s.ok());
  CHECK(s->sockets[0].address == "127.0.0.1:5514");
  CHECK(s->sockets[1].address == "127.0.0.1:5515");

  PluginManifest hello = Manifest("hello");
  hello.mutable_sandbox()->set_data_dir(true);
  CHECK_FALSE(ResolveGrant(hello, d->config).ok());
}

}  // namespace
}  // namespace paddock::host
