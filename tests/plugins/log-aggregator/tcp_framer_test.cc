#include "tcp_framer.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace paddock::logagg {
namespace {

struct Out {
  std::vector<std::string> frames;
  std::vector<bool> cut;
};

// Feeds `stream` in pieces of `step` bytes the way the receiver does (keeping the
// unconsumed rest); returns the frames and whether a framing error happened.
Out FeedAll(const std::string& stream, size_t step, size_t max, bool* error, bool finish = true) {
  TcpFramer f(max);
  Out out;
  std::string pending;
  *error = false;
  for (size_t off = 0; off < stream.size() && !*error; off += step) {
    pending += stream.substr(off, step);
    size_t used = f.Feed(
        pending.data(), pending.size(),
        [&](const TcpFramer::Frame& fr) {
          out.frames.emplace_back(fr.data, fr.len);
          out.cut.push_back(fr.truncated);
          return true;
        },
        error);
    pending.erase(0, used);
  }
  TcpFramer::Frame last;
  if (finish && !*error && f.Finish(pending.data(), pending.size(), &last)) {
    out.frames.emplace_back(last.data, last.len);
    out.cut.push_back(last.truncated);
  }
  return out;
}

}  // namespace

TEST_CASE("Octet counting and LF framing, mixed, in every split", "[framer]") {
  std::string a = "<13>Mar 15 11:00:00 h app: with\nnewline inside";
  std::string stream = std::to_string(a.size()) + " " + a + "<14>plain line\n" + "\n" + "2 ok" +
                       "123abc is a line starting with digits\n" + "<15>last";
  for (size_t step : {1u, 2u, 3u, 7u, 64u, 1000u}) {
    bool error;
    Out out = FeedAll(stream, step, 1024, &error);
    INFO(step);
    REQUIRE_FALSE(error);
    REQUIRE(out.frames == std::vector<std::string>{a, "<14>plain line", "ok",
                                                   "123abc is a line starting with digits",
                                                   "<15>last"});
  }
}

TEST_CASE("A declared 2 GB frame is a framing error without buffering", "[framer]") {
  bool error;
  Out out = FeedAll("5 hello2147483648 " + std::string(4096, 'x'), 100, 65535, &error);
  REQUIRE(error);
  REQUIRE(out.frames == std::vector<std::string>{"hello"});
  // Exactly at the limit is fine.
  Out ok = FeedAll("16 " + std::string(16, 'y'), 5, 16, &error);
  REQUIRE_FALSE(error);
  REQUIRE(ok.frames.size() == 1);
  Out over = FeedAll("17 " + std::string(17, 'y'), 5, 16, &error);
  REQUIRE(error);
}

TEST_CASE("An over-long LF line is cut and its rest skipped", "[framer]") {
  bool error;
  std::string stream = std::string(100, 'a') + "\n" + "next\n" + std::string(50, 'b') + "\n";
  Out out = FeedAll(stream, 7, 40, &error);
  REQUIRE_FALSE(error);
  REQUIRE(out.frames ==
          std::vector<std::string>{std::string(40, 'a'), "next", std::string(40, 'b')});
  REQUIRE(out.cut == std::vector<bool>{true, false, true});
}

TEST_CASE("A line of exactly the limit is whole however its bytes arrive", "[framer]") {
  // Found by tests/fuzz/syslog_fuzz.cc: with the LF in a later read, the line used to be
  // handed out as truncated (and its LF then skipped as the rest of an over-long line).
  std::string stream = std::string(40, 'a') + "\n" + "next\n";
  for (size_t step : {1u, 7u, 40u, 41u, 1000u}) {
    INFO(step);
    bool error;
    Out out = FeedAll(stream, step, 40, &error);
    REQUIRE_FALSE(error);
    REQUIRE(out.frames == std::vector<std::string>{std::string(40, 'a'), "next"});
    REQUIRE(out.cut == std::vector<bool>{false, false});
  }
}

TEST_CASE("A stalled partial frame keeps at most one frame's bytes", "[framer]") {
  TcpFramer f(100);
  bool error = false;
  std::string partial = "50 " + std::string(20, 'z');
  size_t used = f.Feed(
      partial.data(), partial.size(), [](const TcpFramer::Frame&) { return true; }, &error);
  REQUIRE(used == 0);  // Nothing complete: the caller keeps 23 bytes.
  TcpFramer::Frame fr;
  REQUIRE_FALSE(f.Finish(partial.data(), partial.size(), &fr));  // Incomplete, not a line.
}

TEST_CASE("A refusing sink leaves the frame unconsumed", "[framer]") {
  TcpFramer f(100);
  bool error = false;
  std::string s = "<1>a\n<2>b\n<3>c\n";
  int accepted = 0;
  size_t used = f.Feed(
      s.data(), s.size(), [&](const TcpFramer::Frame&) { return accepted++ < 1 ? true : false; },
      &error);
  REQUIRE(used == 5);
}

}  // namespace paddock::logagg
