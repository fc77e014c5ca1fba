// Tests of the structured log: line format, levels, truncation, one write per line.
#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>
#include <thread>
#include <vector>

#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "paddock/fd.h"
#include "paddock/log.h"
#include "plugin-sdk/log_internal.h"

namespace paddock::sdk {
namespace {

// Parses a line as JSON (fails the test if it is not).
google::protobuf::Struct Parse(const std::string& line) {
  google::protobuf::Struct s;
  INFO(line);
  REQUIRE(google::protobuf::util::JsonStringToMessage(line, &s).ok());
  return s;
}

TEST_CASE("a line is one JSON object with ts, level, msg and fields", "[log]") {
  std::string line = FormatLogLine(log::Level::kWarn, 1700000000123456, "listening",
                                   {{"port", "5514"}, {"quote", "a\"b"}});
  CHECK(
      line ==
      R"({"ts":1700000000.123456,"level":"warn","msg":"listening","fields":{"port":"5514","quote":"a\"b"}})"
      "\n");
  auto s = Parse(line);
  CHECK(s.fields().at("msg").string_value() == "listening");
  CHECK(s.fields().at("fields").struct_value().fields().at("quote").string_value() == "a\"b");
}

TEST_CASE("no fields, no fields object", "[log]") {
  CHECK(FormatLogLine(log::Level::kDebug, 5, "x", {}) ==
        R"({"ts":0.000005,"level":"debug","msg":"x"})"
        "\n");
}

TEST_CASE("arbitrary bytes still make valid JSON", "[log]") {
  std::string junk;
  for (int i = 0; i < 256; ++i) junk.push_back(static_cast<char>(i));
  std::string line = FormatLogLine(log::Level::kError, 1, junk, {{junk, junk}});
  CHECK(std::count(line.begin(), line.end(), '\n') == 1);
  Parse(line);
}

TEST_CASE("long lines are cut to 16 KiB and say so", "[log]") {
  SECTION("long message") {
    std::string line = FormatLogLine(log::Level::kInfo, 1, std::string(100000, 'm'), {{"k", "v"}});
    CHECK(line.size() <= kMaxLogLineBytes);
    CHECK(line.find(R"("truncated":true)") != std::string::npos);
    Parse(line);
  }
  SECTION("many fields, escapes near the cut") {
    std::vector<std::string> values(40, std::string(1000, '\x01'));
    std::string line = FormatLogLine(log::Level::kInfo, 1, "m",
                                     {{"a", values[0]}, {"b", values[1]}, {"c", values[2]}});
    CHECK(line.size() <= kMaxLogLineBytes);
    CHECK(line.find(R"("truncated":true)") != std::string::npos);
    Parse(line);
  }
  SECTION("just under the limit is not cut") {
    std::string line = FormatLogLine(log::Level::kInfo, 1, std::string(16000, 'm'), {});
    CHECK(line.find("truncated") == std::string::npos);
    Parse(line);
  }
}

TEST_CASE("levels parse and filter", "[log]") {
  CHECK(ParseLogLevel("warn") == log::Level::kWarn);
  CHECK_FALSE(ParseLogLevel("WARN").has_value());
  CHECK_FALSE(ParseLogLevel("").has_value());

  int fds[2];
  REQUIRE(pipe2(fds, O_CLOEXEC | O_NONBLOCK) == 0);
  UniqueFd r(fds[0]), w(fds[1]);
  SetLogFdForTesting(w.get());
  log::SetMinLevel(log::Level::kWarn);
  log::Info("dropped");
  log::Error("kept", {{"k", "v"}});
  log::SetMinLevel(log::Level::kInfo);
  SetLogFdForTesting(2);
  char buf[1024];
  ssize_t n = read(r.get(), buf, sizeof(buf));
  REQUIRE(n > 0);
  std::string out(buf, static_cast<size_t>(n));
  CHECK(out.find("dropped") == std::string::npos);
  CHECK(out.find(R"("level":"error","msg":"kept","fields":{"k":"v"})") != std::string::npos);
}

TEST_CASE("lines from many threads never interleave", "[log]") {
  int fds[2];
  REQUIRE(pipe2(fds, O_CLOEXEC) == 0);
  UniqueFd r(fds[0]), w(fds[1]);
  std::string all;
  std::thread reader([&] {
    char buf[65536];
    ssize_t n;
    while ((n = read(r.get(), buf, sizeof(buf))) > 0) all.append(buf, static_cast<size_t>(n));
  });
  SetLogFdForTesting(w.get());
  std::vector<std::thread> writers;
  for (int t = 0; t < 4; ++t) {
    writers.emplace_back([t] {
      for (int i = 0; i < 50; ++i) {
        log::Info(std::string(9000, static_cast<char>('a' + t)), {{"i", std::to_string(i)}});
      }
    });
  }
  for (auto& t : writers) t.join();
  SetLogFdForTesting(2);
  w.Reset();
  reader.join();
  size_t lines = 0;
  size_t start = 0;
  for (size_t nl = all.find('\n'); nl != std::string::npos; nl = all.find('\n', start)) {
    Parse(all.substr(start, nl - start));
    ++lines;
    start = nl + 1;
  }
  CHECK(lines == 200);
}

}  // namespace
}  // namespace paddock::sdk
