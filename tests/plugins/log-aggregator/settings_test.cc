#include "settings.h"

#include <catch2/catch.hpp>

namespace paddock::logagg {

using paddock::logagg::v1::LogAggregatorConfig;

TEST_CASE("Empty config gives the documented defaults", "[settings]") {
  auto s = SettingsFromConfig(LogAggregatorConfig());
  REQUIRE(s.ok());
  REQUIRE(s->segment_max_bytes == 64ull << 20);
  REQUIRE(s->retention_max_bytes == 1ull << 30);
  REQUIRE(s->flush_interval_ns == 200'000'000);
  REQUIRE(s->fsync == FsyncMode::kNever);
  REQUIRE(s->ring_slots == 32768);
  REQUIRE(s->recv_batch == 256);
  REQUIRE(s->coalesce_us == 2000);
  REQUIRE(s->flush_bytes == 1u << 20);
  REQUIRE(s->slot_bytes == 512);
  REQUIRE(s->max_message_bytes == 65535);
  REQUIRE(s->max_tcp_connections == 512);
}

TEST_CASE("Out-of-range config values are refused with the field name", "[settings]") {
  auto bad = [](auto set, const char* field) {
    LogAggregatorConfig c;
    set(c);
    auto s = SettingsFromConfig(c);
    INFO(field);
    REQUIRE_FALSE(s.ok());
    REQUIRE(std::string(s.status().message()).find(field) != std::string::npos);
  };
  bad([](LogAggregatorConfig& c) { c.set_segment_max_bytes(1000); }, "segment_max_bytes");
  bad([](LogAggregatorConfig& c) { c.set_retention_max_bytes(100ull << 20); },
      "retention_max_bytes");
  bad([](LogAggregatorConfig& c) { c.set_max_tcp_connections(5000); }, "max_tcp_connections");
  bad([](LogAggregatorConfig& c) { c.set_recv_batch(5000); }, "recv_batch");
  bad([](LogAggregatorConfig& c) { c.set_ring_slots(100); }, "ring_slots");
  bad([](LogAggregatorConfig& c) { c.set_max_message_bytes(70000); }, "max_message_bytes");
  bad([](LogAggregatorConfig& c) { c.set_slot_bytes(10); }, "slot_bytes");
  bad([](LogAggregatorConfig& c) { c.set_flush_interval_ms(100000); }, "flush_interval_ms");
  bad([](LogAggregatorConfig& c) { c.set_fsync(static_cast<paddock::logagg::v1::FsyncPolicy>(9)); },
      "fsync");
}

}  // namespace paddock::logagg

#include <fstream>
#include <sstream>

#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"

namespace paddock::logagg {

TEST_CASE("The log-aggregator section of host/default_config.json is a valid config",
          "[settings]") {
  std::ifstream f(std::string(PADDOCK_SOURCE_DIR) + "/host/default_config.json");
  std::stringstream ss;
  ss << f.rdbuf();
  google::protobuf::Struct host;
  REQUIRE(google::protobuf::util::JsonStringToMessage(ss.str(), &host).ok());
  const auto& section =
      host.fields().at("plugins").struct_value().fields().at("log-aggregator").struct_value();
  std::string json;
  REQUIRE(google::protobuf::util::MessageToJsonString(section.fields().at("config"), &json).ok());
  LogAggregatorConfig c;
  google::protobuf::util::JsonParseOptions strict;
  REQUIRE(google::protobuf::util::JsonStringToMessage(json, &c, strict).ok());
  REQUIRE(SettingsFromConfig(c).ok());
}

}  // namespace paddock::logagg
