#include "host/log_capture.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "host/utf8.h"

namespace paddock::host {
namespace {

using Lines = std::vector<std::pair<std::string, bool>>;

Lines Split(const std::vector<std::string>& chunks, size_t max_line, bool finish = true) {
  Lines out;
  LineSplitter s(max_line);
  const auto emit = [&](std::string_view line, bool truncated) {
    out.emplace_back(std::string(line), truncated);
  };
  for (const auto& c : chunks) s.Feed(c, emit);
  if (finish) s.Finish(emit);
  return out;
}

TEST_CASE("lines split at newlines, across chunks", "[log_capture]") {
  CHECK(Split({"a\nbb\n"}, 100) == Lines{{"a", false}, {"bb", false}});
  CHECK(Split({"a", "b", "\nc"}, 100) == Lines{{"ab", false}, {"c", false}});
  CHECK(Split({"crlf\r\n", "\n"}, 100) == Lines{{"crlf", false}, {"", false}});
  CHECK(Split({"partial"}, 100, false).empty());
  CHECK(Split({""}, 100).empty());
}

TEST_CASE("overlong lines are cut once and their rest dropped", "[log_capture]") {
  CHECK(Split({"12345\n"}, 5) == Lines{{"12345", false}});  // Exactly max_line: kept whole.
  CHECK(Split({"12345", "\n"}, 5) == Lines{{"12345", false}});
  CHECK(Split({"123456\nok\n"}, 5) == Lines{{"12345", true}, {"ok", false}});
  CHECK(Split({"12345", "6789", "abc\nok"}, 5) == Lines{{"12345", true}, {"ok", false}});
  CHECK(Split({std::string(100, 'x')}, 5) == Lines{{"xxxxx", true}});  // Rest never emitted.
  CHECK(Split({"123456789012\n"}, 5) == Lines{{"12345", true}});
}

TEST_CASE("feeding byte by byte gives the same lines as feeding at once", "[log_capture]") {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> byte(0, 255);
  for (int round = 0; round < 50; ++round) {
    std::string data;
    for (int i = 0; i < 2000; ++i) {
      const int b = byte(rng);
      data.push_back(b < 20 ? '\n' : static_cast<char>(b));
    }
    std::vector<std::string> bytes;
    for (char c : data) bytes.emplace_back(1, c);
    REQUIRE(Split({data}, 64) == Split(bytes, 64));
  }
}

TEST_CASE("SDK lines become structured entries", "[log_capture]") {
  const auto e = ParseLogLine(
      R"({"ts":1700000000.5,"level":"warn","msg":"disk \u001b full","fields":{"port":"5514","n":3,"o":{"a":[1]}}})",
      "hello", 4, "stderr", 123);
  CHECK(e.level() == "warn");
  CHECK(e.message() == "disk \\x1b full");
  CHECK(e.plugin() == "hello");
  CHECK(e.generation() == 4);
  CHECK(e.stream() == "stderr");
  CHECK(e.unix_nanos() == 123);
  CHECK(e.fields().at("port") == "5514");
  CHECK(e.fields().at("n") == "3");
  CHECK(e.fields().at("o") == R"({"a":[1]})");
  CHECK(ParseLogLine(R"({"level":"info","msg":"x"})", "p", 1, "stdout", 0).level() == "info");
  CHECK(
      ParseLogLine(R"(  {"level":"debug","msg":"x","fields":null})", "p", 1, "stdout", 0).level() ==
      "debug");
}

TEST_CASE("anything else becomes a sanitized raw entry", "[log_capture]") {
  for (std::string_view line :
       {std::string_view("plain text"), std::string_view(R"({"level":"loud","msg":"x"})"),
        std::string_view(R"({"level":"info"})"), std::string_view(R"({"level":"info","msg":1})"),
        std::string_view(R"({"level":"info","msg":"x","fields":[1]})"),
        std::string_view(R"({"level":"info","msg":"x","msg":"y"})"),
        std::string_view(R"({"level":"info","msg":"x")"), std::string_view("[1,2]")}) {
    INFO(line);
    const auto e = ParseLogLine(line, "p", 1, "stdout", 0);
    CHECK(e.level() == "raw");
    CHECK(e.message() == std::string(line));
    CHECK(e.fields().empty());
  }
  const auto bad =
      ParseLogLine(std::string("nul\0 and \xff\xfe and \x1b[2J", 20), "p", 1, "stdout", 0);
  CHECK(bad.level() == "raw");
  CHECK(bad.message() == "nul\\x00 and \xef\xbf\xbd\xef\xbf\xbd and \\x1b[2J");
  const auto deep = ParseLogLine(
      R"({"level":"info","msg":"x","fields":{"a":[[[[[[[[[[1]]]]]]]]]]}})", "p", 1, "stdout", 0);
  CHECK(deep.level() == "raw");
  std::string many = R"({"level":"info","msg":"x","fields":{)";
  for (int i = 0; i < 100; ++i)
    many += (i ? "," : "") + std::string("\"k") + std::to_string(i) + "\":\"v\"";
  many += "}}";
  CHECK(ParseLogLine(many, "p", 1, "stdout", 0).fields_size() == kMaxLogFields);
}

TEST_CASE("a sink marks cut lines", "[log_capture]") {
  auto ring = std::make_shared<LogRing>(1 << 20);
  LogSink sink("p", 2, "stderr", ring, 8, [] { return absl::FromUnixNanos(99); });
  sink.Feed("0123456789\nshort\nend");
  sink.Finish();
  auto all = ring->Tail(0);
  REQUIRE(all.size() == 3);
  CHECK(all[0].second.message() == "01234567 [truncated]");
  CHECK(all[0].second.fields().at("truncated") == "true");
  CHECK(all[0].second.unix_nanos() == 99);
  CHECK(all[1].second.message() == "short");
  CHECK(all[2].second.message() == "end");
  CHECK(sink.lines() == 3);
}

// A plugin writing 10 MB of garbage must not grow host memory past the ring (the
// supervisor reads its pipes on the event loop, so the writer never waits on the host
// either: tests/integration/bad_input_test.cc runs that against the real paddockd).
TEST_CASE("10 MB of garbage on stderr stays within the ring", "[log_capture]") {
  constexpr size_t kRingBytes = 64 << 10;
  constexpr size_t kTotal = 10 << 20;
  for (bool with_newlines : {true, false}) {
    INFO("with newlines: " << with_newlines);
    auto ring = std::make_shared<LogRing>(kRingBytes);
    uint64_t observed = 0;
    LogSink sink("p", 1, "stderr", ring, kDefaultMaxLogLine, &absl::Now,
                 [&](const paddock::v1::LogEntry&) { ++observed; });
    std::mt19937 rng(11);
    std::string chunk(1 << 16, '\0');
    for (char& c : chunk) {
      c = static_cast<char>(rng());
      if (!with_newlines && c == '\n') c = 'x';
    }
    size_t max_bytes = 0;
    for (size_t fed = 0; fed < kTotal; fed += chunk.size()) {
      sink.Feed(chunk);
      max_bytes = std::max(max_bytes, ring->bytes());
    }
    sink.Finish();
    CHECK(observed == sink.lines());
    CHECK(ring->bytes() <= kRingBytes);
    CHECK(max_bytes <= kRingBytes);
    if (with_newlines) {
      CHECK(ring->dropped() > 0);
    } else {
      // One endless line: cut once, the other ~10 MB dropped by the splitter.
      REQUIRE(ring->Tail(0).size() == 1);
      CHECK(ring->Tail(0)[0].second.fields().at("truncated") == "true");
    }
    for (const auto& [seq, e] : ring->Tail(0)) {
      REQUIRE(IsValidUtf8(e.message()));
      REQUIRE(e.message().size() <= 4 * kDefaultMaxLogLine + 16);
    }
  }
}

}  // namespace
}  // namespace paddock::host
