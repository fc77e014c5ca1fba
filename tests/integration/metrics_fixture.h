// Helpers for the metrics integration tests: where a test host serves /metrics, scraping
// it, reading series out of the text, and running promtool on it.
#pragma once

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "integration/harness.h"

namespace paddock::testing {

// The address the host logged ("metrics: http://127.0.0.1:40123/metrics"), "" if none yet.
inline std::string MetricsAddress(const Host& host) {
  const std::string log = host.Log();
  const std::string key = "metrics: http://";
  size_t p = log.find(key);
  if (p == std::string::npos) return "";
  p += key.size();
  size_t end = log.find("/metrics", p);
  return end == std::string::npos ? "" : log.substr(p, end - p);
}

// GET http://<address><path> with curl; the body, or "" on failure.
inline std::string HttpGet(const std::string& address, const std::string& path = "/metrics",
                           CmdResult* result = nullptr) {
  CmdResult r =
      Run({"/usr/bin/curl", "-sS", "--fail", "--max-time", "10", "http://" + address + path});
  if (result != nullptr) *result = r;
  return r.exit_code == 0 ? r.out : "";
}

// The value of the sample line that starts with `series` ("name{labels}" exactly as
// written, labels sorted), or -1 when there is none.
inline double SeriesValue(const std::string& text, const std::string& series) {
  size_t p = text.find("\n" + series + " ");
  if (p == std::string::npos) return -1;
  p += series.size() + 2;
  return std::strtod(text.c_str() + p, nullptr);
}

// Runs `promtool check metrics` on `text`; returns its exit code and fills `report`.
inline int PromtoolCheck(const std::string& text, std::string* report) {
  char path[] = "/tmp/paddock-metrics.XXXXXX";
  int fd = mkstemp(path);
  if (fd < 0) return -1;
  close(fd);
  std::ofstream(path) << text;
  CmdResult r = Run({"/bin/sh", "-c", std::string("/usr/bin/promtool check metrics < ") + path});
  unlink(path);
  *report = r.out + r.err;
  return r.exit_code;
}

// True on CI (.ci/run sets CI), where missing tools are failures, not skips.
inline bool OnCi() { return std::getenv("CI") != nullptr; }

}  // namespace paddock::testing
