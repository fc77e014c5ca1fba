#include "host/config.h"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <string>

#include "google/protobuf/util/message_differencer.h"
#include "host/sha256.h"

namespace paddock::host {
namespace {

using paddock::v1::HostConfig;

std::string ErrorOf(std::string_view json) {
  absl::StatusOr<HostConfig> c = ParseHostConfig(json);
  REQUIRE_FALSE(c.ok());
  CHECK(c.status().code() == absl::StatusCode::kInvalidArgument);
  return std::string(c.status().message());
}

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/paddock-config-test-XXXXXX";
    REQUIRE(mkdtemp(tmpl) != nullptr);
    path_ = tmpl;
  }
  ~TempDir() { std::system(("rm -rf '" + path_ + "'").c_str()); }
  const std::string& path() const { return path_; }
  std::string Write(const std::string& name, const std::string& content) const {
    const std::string p = path_ + "/" + name;
    std::ofstream(p, std::ios::binary) << content;
    return p;
  }

 private:
  std::string path_;
};

TEST_CASE("an empty config gets every default", "[config]") {
  absl::StatusOr<HostConfig> c = ParseHostConfig("{}");
  REQUIRE(c.ok());
  REQUIRE(c->plugin_dirs_size() == 1);
  CHECK(c->plugin_dirs(0) == "$ORIGIN/../lib/paddock/plugins");
  CHECK(c->control_socket() == "/run/paddock/paddockd.sock");
  CHECK(c->runtime_dir() == "/run/paddock/instances");
  CHECK(c->data_dir() == "/var/lib/paddock");
  CHECK(c->default_grant().max_memory_bytes() == 256u << 20);
  CHECK(c->default_grant().max_cpu_millis() == 1000);
  CHECK(c->default_grant().max_pids() == 64);
  CHECK(c->restart().initial_backoff_ms() == 100);
  CHECK(c->restart().max_backoff_ms() == 30000);
  CHECK(c->restart().multiplier() == 2.0);
  CHECK(c->restart().jitter() == 0.5);
  CHECK(c->restart().crash_loop_count() == 5);
  CHECK(c->restart().crash_loop_window_ms() == 60000);
  CHECK(c->health().interval_ms() == 2000);
  CHECK(c->health().timeout_ms() == 1000);
  CHECK(c->health().failure_threshold() == 3);
  CHECK(c->health().start_timeout_ms() == 10000);
  CHECK(c->reload().mode() == paddock::v1::ReloadPolicy::ON_SIGNAL);
  CHECK(c->reload().ready_deadline_ms() == 10000);
  CHECK(c->reload().drain_ms() == 5000);
  CHECK(c->reload().settle_ms() == 300);
  CHECK(c->shutdown_grace_ms() == 3000);
  CHECK(c->log_ring_bytes() == 1u << 20);
  CHECK(c->sandbox().uid_base() == 600000);
  CHECK(c->sandbox().uid_count() == 65536);
  CHECK(c->sandbox().cgroup_name() == "paddock");
  CHECK_FALSE(c->sandbox().unconfined());
  CHECK(c->log_level() == "info");
  CHECK_FALSE(c->metrics().disabled());
  CHECK(c->metrics().listen() == "127.0.0.1:9464");
  CHECK(c->metrics().plugin_timeout_ms() == 500);
}

TEST_CASE("explicit values are kept, camelCase names work, plugin grants get defaults",
          "[config]") {
  absl::StatusOr<HostConfig> c = ParseHostConfig(R"({
    "pluginDirs": ["/opt/p", "$ORIGIN/x"],
    "restart": {"jitter": 0, "multiplier": 1.5, "initial_backoff_ms": "250"},
    "reload": {"mode": "AUTO"},
    "default_grant": {"max_memory_bytes": "1099511627776"},
    "plugins": {
      "hello": {"grant": {"max_pids": 8}, "config": {"greeting": "Hi", "n": [1, null, {"x": true}]},
                "invoke": ["other/*", "other/pkg.Svc/Method"]},
      "plain": {"disabled": true}
    }
  })");
  REQUIRE(c.ok());
  CHECK(c->plugin_dirs_size() == 2);
  CHECK(c->restart().jitter() == 0.0);  // Explicit 0: no jitter.
  CHECK(c->restart().multiplier() == 1.5);
  CHECK(c->restart().initial_backoff_ms() == 250);
  CHECK(c->reload().mode() == paddock::v1::ReloadPolicy::AUTO);
  CHECK(c->default_grant().max_memory_bytes() == 1ull << 40);
  const auto& hello = c->plugins().at("hello");
  REQUIRE(hello.has_grant());
  CHECK(hello.grant().max_pids() == 8);
  CHECK(hello.grant().max_memory_bytes() == 256u << 20);
  CHECK(hello.config().fields().at("greeting").string_value() == "Hi");
  CHECK_FALSE(c->plugins().at("plain").has_grant());
  CHECK(PluginConfigJson(*c, "hello") == R"({"greeting":"Hi","n":[1,null,{"x":true}]})");
  CHECK(PluginConfigJson(*c, "plain") == "{}");
  CHECK(PluginConfigJson(*c, "absent") == "{}");
}

TEST_CASE("ConfigToJson round-trips through ParseHostConfig", "[config]") {
  absl::StatusOr<LoadedConfig> d = LoadEmbeddedDefaultConfig();
  REQUIRE(d.ok());
  const std::string json = ConfigToJson(d->config);
  CHECK(json.find("\n  \"plugin_dirs\": [\n    \"$ORIGIN/../lib/paddock/plugins\"\n  ],") !=
        std::string::npos);
  absl::StatusOr<HostConfig> again = ParseHostConfig(json);
  REQUIRE(again.ok());
  CHECK(google::protobuf::util::MessageDifferencer::Equals(d->config, *again));

  absl::StatusOr<HostConfig> no_jitter = ParseHostConfig(R"({"restart": {"jitter": 0}})");
  REQUIRE(no_jitter.ok());
  absl::StatusOr<HostConfig> back = ParseHostConfig(ConfigToJson(*no_jitter));
  REQUIRE(back.ok());
  CHECK(back->restart().jitter() == 0.0);
}

TEST_CASE("the embedded default config describes the bundled plugins", "[config]") {
  absl::StatusOr<LoadedConfig> d = LoadEmbeddedDefaultConfig();
  REQUIRE(d.ok());
  CHECK(d->source == "embedded default");
  CHECK(d->sha256_hex == Sha256Hex(EmbeddedDefaultConfigJson()));
  const HostConfig& c = d->config;
  CHECK(c.plugin_dirs(0) == "$ORIGIN/../lib/paddock/plugins");
  CHECK(PluginConfigJson(c, "hello") == R"({"greeting":"Hello"})");
  const auto& la = c.plugins().at("log-aggregator");
  CHECK(la.grant().sockets());
  CHECK(la.grant().data_dir());
  CHECK(la.sockets().at("udp") == "127.0.0.1:5514");
  CHECK(la.sockets().at("tcp") == "127.0.0.1:5515");
  CHECK(c.plugins().at("gcounter").sockets().at("gossip") == "127.0.0.1:7946");
  const auto& sched = c.plugins().at("scheduler").grant();
  CHECK(sched.data_dir());
  CHECK(sched.capabilities_size() == 2);
  const auto& hs = c.plugins().at("http-sampler");
  CHECK(hs.grant().network_host());
  CHECK(hs.grant().capabilities_size() == 3);
  CHECK(hs.grant().syscall_groups(0) == "bpf");
  CHECK(hs.grant().syscall_groups(1) == "netlink");
  CHECK(hs.grant().data_dir());
  CHECK(PluginConfigJson(c, "http-sampler") == R"({"default_rate_ppm":10000,"interfaces":["lo"]})");
}

TEST_CASE("config syntax and type errors name the place", "[config]") {
  CHECK(ErrorOf("{\n \"restart\": {\"jitter\": 0.1,}\n}") ==
        "line 2, column 28: trailing comma in object");
  CHECK(ErrorOf("[]") == "the host config must be a JSON object, got an array (line 1, column 1)");
  CHECK(ErrorOf(R"({"plugin_dir": []})") ==
        "unknown field \"plugin_dir\" (known fields: plugin_dirs, control_socket, runtime_dir, "
        "data_dir, default_grant, restart, health, reload, shutdown_grace_ms, log_ring_bytes, "
        "plugins, sandbox, log_level, signatures, metrics) (line 1, column 16)");
  CHECK(ErrorOf(R"({"plugins": {"hello": {"grant": {"bogus": 1}}}})")
            .starts_with("plugins.\"hello\".grant: unknown field \"bogus\""));
  CHECK(ErrorOf(R"({"restart": {"jitter": "x"}})") ==
        "restart.jitter: expected a number, got the string \"x\" (line 1, column 24)");
  CHECK(ErrorOf(R"({"plugins": {"hello": {"grant": {"max_pids": -1}}}})") ==
        "plugins.\"hello\".grant.max_pids: expected an integer in [0, 4294967295], got the number "
        "-1 (line 1, column 46)");
  CHECK(ErrorOf(R"({"log_ring_bytes": 4294967296})")
            .starts_with("log_ring_bytes: expected an integer in [0, 4294967295]"));
  CHECK(ErrorOf(R"({"shutdown_grace_ms": 1.5})")
            .starts_with("shutdown_grace_ms: expected an integer"));
  CHECK(ErrorOf(R"({"shutdown_grace_ms": "12ms"})")
            .starts_with("shutdown_grace_ms: expected an integer"));
  CHECK(
      ErrorOf(R"({"reload": {"mode": "SOMETIMES"}})") ==
      "reload.mode: expected one of \"ON_SIGNAL\", \"AUTO\", got the string \"SOMETIMES\" (line 1, "
      "column 21)");
  CHECK(ErrorOf(R"({"plugin_dirs": "/opt"})") ==
        "plugin_dirs: expected an array, got the string \"/opt\" (line 1, column 17)");
  CHECK(ErrorOf(R"({"plugin_dirs": ["/a", null]})") ==
        "plugin_dirs[1]: list elements must not be null (line 1, column 24)");
  CHECK(ErrorOf(R"({"plugin_dirs": ["/a"], "pluginDirs": ["/b"]})")
            .starts_with("plugin_dirs: given twice"));
  CHECK(ErrorOf(R"({"sandbox": {"unconfined": "yes"}})")
            .starts_with("sandbox.unconfined: expected true or false"));
  CHECK(ErrorOf(R"({"plugins": {"hello": {"config": [1]}}})")
            .starts_with("plugins.\"hello\".config: expected an object, got an array"));
  CHECK(ErrorOf(R"({"plugins": {"hello": {"sockets": {"udp": 5}}}})")
            .starts_with("plugins.\"hello\".sockets.\"udp\": expected a string"));
  CHECK(ErrorOf(R"({"plugins": []})").starts_with("plugins: expected an object, got an array"));
}

TEST_CASE("config range and name errors name the field", "[config]") {
  CHECK(ErrorOf(R"({"restart": {"jitter": 1.5}})") == "restart.jitter: must be in [0, 1], got 1.5");
  CHECK(ErrorOf(R"({"restart": {"multiplier": 0.5}})") ==
        "restart.multiplier: must be in [1, 100], got 0.5");
  CHECK(ErrorOf(R"({"restart": {"initial_backoff_ms": 60000}})") ==
        "restart.max_backoff_ms: must be at least restart.initial_backoff_ms (60000), got 30000");
  CHECK(ErrorOf(R"({"restart": {"crash_loop_count": 5000}})") ==
        "restart.crash_loop_count: must be in [1, 1000], got 5000");
  CHECK(ErrorOf(R"({"health": {"interval_ms": 4000000}})") ==
        "health.interval_ms: must be in [1, 3600000], got 4000000");
  CHECK(ErrorOf(R"({"log_ring_bytes": 100})") ==
        "log_ring_bytes: must be in [65536, 268435456], got 100");
  CHECK(ErrorOf(R"({"plugins": {"Hello": {}}})") ==
        "plugins.\"Hello\": plugin name must match [a-z][a-z0-9-]{0,62}");
  CHECK(ErrorOf(R"({"plugins": {"hello": {"grant": {"capabilities": ["CAP_BPF", "CAP_FOO"]}}}})") ==
        "plugins.\"hello\".grant.capabilities[1]: \"CAP_FOO\" is not a known capability (CAP_CHOWN "
        "... CAP_CHECKPOINT_RESTORE)");
  CHECK(ErrorOf(R"({"default_grant": {"capabilities": ["CAP_BPF", "CAP_BPF"]}})") ==
        "default_grant.capabilities[1]: \"CAP_BPF\" is listed twice");
  CHECK(ErrorOf(R"({"default_grant": {"syscall_groups": ["Bad Group"]}})") ==
        "default_grant.syscall_groups[0]: \"Bad Group\" is not a valid syscall group name "
        "([a-z0-9_-]{1,64})");
  CHECK(ErrorOf(R"({"default_grant": {"max_memory_bytes": 1024}})") ==
        "default_grant.max_memory_bytes: must be in [4194304, 1125899906842624], got 1024");
  CHECK(ErrorOf(R"({"default_grant": {"max_cpu_millis": 5}})") ==
        "default_grant.max_cpu_millis: must be in [10, 1024000], got 5");
  CHECK(ErrorOf(R"({"plugins": {"hello": {"sockets": {"udp": "localhost:53"}}}})") ==
        "plugins.\"hello\".sockets.\"udp\": \"localhost:53\": host must be a numeric IPv4 address "
        "or a [bracketed] IPv6 address");
  CHECK(ErrorOf(R"({"plugins": {"hello": {"sockets": {"Bad": "127.0.0.1:1"}}}})") ==
        "plugins.\"hello\".sockets.\"Bad\": socket name must match [a-z][a-z0-9_-]{0,31}");
  CHECK(ErrorOf(R"({"plugins": {"hello": {"invoke": ["nope"]}}})")
            .starts_with("plugins.\"hello\".invoke[0]: \"nope\" must be"));
  CHECK(ErrorOf(R"({"plugins": {"hello": {"invoke": ["x/a b"]}}})")
            .starts_with("plugins.\"hello\".invoke[0]: \"x/a b\": method must be"));
  CHECK(ErrorOf(R"({"plugin_dirs": ["plugins"]})") ==
        "plugin_dirs[0]: must be an absolute path or start with $ORIGIN, got \"plugins\"");
  CHECK(ErrorOf(R"({"plugin_dirs": [""]})") == "plugin_dirs[0]: must not be empty");
  CHECK(ErrorOf(R"({"data_dir": "/a\u0000b"})") == "data_dir: must not contain NUL");
  CHECK(ErrorOf("{\"control_socket\": \"/" + std::string(120, 'a') + "\"}") ==
        "control_socket: is 121 bytes, a unix socket path may have at most 107");
  CHECK(ErrorOf(R"({"log_level": "verbose"})") ==
        "log_level: must be \"debug\", \"info\", \"warn\" or \"error\", got \"verbose\"");
  CHECK(ErrorOf(R"({"sandbox": {"cgroup_name": "../x"}})")
            .starts_with("sandbox.cgroup_name: must match"));
  CHECK(ErrorOf(R"({"sandbox": {"uid_base": 4294967000, "uid_count": 1000}})")
            .starts_with("sandbox.uid_count: uid_base + uid_count must stay below 4294967295"));
  CHECK(ErrorOf(R"({"metrics": {"listen": "localhost:9464"}})").starts_with("metrics.listen: "));
  CHECK(ErrorOf(R"({"metrics": {"listen": "127.0.0.1:99999"}})").starts_with("metrics.listen: "));
  CHECK(ErrorOf(R"({"metrics": {"plugin_timeout_ms": 60001}})")
            .starts_with("metrics.plugin_timeout_ms: "));
}

TEST_CASE("ExpandOrigin replaces only a leading $ORIGIN", "[config]") {
  absl::StatusOr<HostConfig> c = ParseHostConfig(R"({
    "plugin_dirs": ["$ORIGIN/../lib", "${ORIGIN}/b", "$ORIGIN", "/x/$ORIGIN", "$ORIGINAL/c"],
    "control_socket": "$ORIGIN/ctl.sock", "runtime_dir": "/run/x", "data_dir": "$ORIGIN/data"})");
  REQUIRE(c.ok());
  ExpandOrigin(&*c, "/opt/paddock/bin");
  CHECK(c->plugin_dirs(0) == "/opt/paddock/lib");  // normalized
  CHECK(c->plugin_dirs(1) == "/opt/paddock/bin/b");
  CHECK(c->plugin_dirs(2) == "/opt/paddock/bin");
  CHECK(c->plugin_dirs(3) == "/x/$ORIGIN");
  CHECK(c->plugin_dirs(4) == "$ORIGINAL/c");
  CHECK(c->control_socket() == "/opt/paddock/bin/ctl.sock");
  CHECK(c->runtime_dir() == "/run/x");
  CHECK(c->data_dir() == "/opt/paddock/bin/data");
}

TEST_CASE("LoadHostConfigFile reads regular files only, bounded", "[config]") {
  TempDir dir;
  const std::string good = dir.Write("good.json", R"({"log_level": "debug"})");
  absl::StatusOr<LoadedConfig> c = LoadHostConfigFile(good);
  REQUIRE(c.ok());
  CHECK(c->source == good);
  CHECK(c->config.log_level() == "debug");
  CHECK(c->sha256_hex == Sha256Hex(R"({"log_level": "debug"})"));

  const std::string bad = dir.Write("bad.json", R"({"log_level": "loud"})");
  absl::StatusOr<LoadedConfig> b = LoadHostConfigFile(bad);
  REQUIRE_FALSE(b.ok());
  CHECK(b.status().message() ==
        bad + ": log_level: must be \"debug\", \"info\", \"warn\" or \"error\", got \"loud\"");

  absl::StatusOr<LoadedConfig> missing = LoadHostConfigFile(dir.path() + "/nope.json");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.status().code() == absl::StatusCode::kNotFound);
  CHECK(std::string(missing.status().message()).find("nope.json") != std::string::npos);

  absl::StatusOr<LoadedConfig> d = LoadHostConfigFile(dir.path());
  REQUIRE_FALSE(d.ok());
  CHECK(d.status().message() == dir.path() + ": is a directory, not a regular file");

  // A FIFO with no writer must be refused, not block.
  const std::string fifo = dir.path() + "/fifo";
  REQUIRE(mkfifo(fifo.c_str(), 0600) == 0);
  absl::StatusOr<LoadedConfig> f = LoadHostConfigFile(fifo);
  REQUIRE_FALSE(f.ok());
  CHECK(f.status().message() == fifo + ": is a FIFO, not a regular file");

  const std::string big = dir.Write("big.json", "{" + std::string(kMaxConfigFileBytes, ' ') + "}");
  absl::StatusOr<LoadedConfig> g = LoadHostConfigFile(big);
  REQUIRE_FALSE(g.ok());
  CHECK(std::string(g.status().message()).find("more than the limit of 1048576") !=
        std::string::npos);

  const std::string empty = dir.Write("empty.json", "");
  absl::StatusOr<LoadedConfig> e = LoadHostConfigFile(empty);
  REQUIRE_FALSE(e.ok());
  CHECK(e.status().message() == empty + ": line 1, column 1: empty input: expected a JSON value");
}

}  // namespace
}  // namespace paddock::host
