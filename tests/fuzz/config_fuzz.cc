// Fuzzes the host config parser: the strict JSON reader (host/json), the JSON -> proto
// mapping (host/json_proto) and the defaults and range checks (host/config,
// host/config_validate). The config file is written by an operator, or pushed through a
// ConfigMap: a typo must give an error, never a crash.
//
// Invariants checked beyond "no crash, no leak, no UB":
//   - json::Serialize of a parsed value parses again to the same serialization;
//   - ParseHostConfig(ConfigToJson(c)) gives back c (host/config.h promises it);
//   - a plugin's config section is a JSON object that parses.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "google/protobuf/util/message_differencer.h"
#include "host/config.h"
#include "host/json.h"

namespace json = paddock::host::json;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);

  auto value = json::Parse(in);
  if (value.ok()) {
    std::string once = json::Serialize(*value);
    auto again = json::Parse(once);
    FUZZ_CHECK(again.ok());
    FUZZ_CHECK(json::Serialize(*again) == once);
    (void)json::Serialize(*value, 2);
  }

  auto config = paddock::host::ParseHostConfig(in);
  if (!config.ok()) return 0;
  std::string text = paddock::host::ConfigToJson(*config);
  auto back = paddock::host::ParseHostConfig(text);
  if (!back.ok()) {
    std::fprintf(stderr, "ConfigToJson output does not parse: %s\n%s\n",
                 back.status().ToString().c_str(), text.c_str());
  }
  FUZZ_CHECK(back.ok());
  FUZZ_CHECK(google::protobuf::util::MessageDifferencer::Equals(*config, *back));
  for (const auto& [name, plugin] : config->plugins()) {
    auto section = json::Parse(paddock::host::PluginConfigJson(*config, name));
    FUZZ_CHECK(section.ok());
    FUZZ_CHECK(section->kind == json::Value::Kind::kObject);
  }
  return 0;
}
