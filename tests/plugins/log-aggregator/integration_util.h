// Helpers for the log-aggregator integration tests (tests/integration/log_aggregator_*):
// a paddockd with the plugin, JSON answers of `paddockctl call`, senders, and an
// independent reader of the segment format (record.h documents it; this reads it without
// the plugin's code, so the tests check the format itself). Header-only: the integration
// tests link only the harness.
#pragma once

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "integration/harness.h"

namespace paddock::logagg::itest {

// The host config section for the plugin: sockets on ephemeral loopback ports, a grant
// that covers the manifest, and `config` (a JSON object body, without braces).
inline std::string PluginConfig(const std::string& config, const std::string& udp = "127.0.0.1:0",
                                const std::string& tcp = "127.0.0.1:0") {
  return "\"plugins\": {\"log-aggregator\": {"
         "\"grant\": {\"sockets\": true, \"data_dir\": true, \"max_memory_bytes\": 536870912, "
         "\"max_cpu_millis\": 2000},"
         "\"sockets\": {\"udp\": \"" +
         udp + "\", \"tcp\": \"" + tcp + "\"}, \"config\": {" + config + "}}}";
}

// A JSON object answer.
struct Json {
  google::protobuf::Struct s;
  bool ok = false;
  std::string err;

  const google::protobuf::Value* Field(const std::string& name) const {
    auto it = s.fields().find(name);
    return it == s.fields().end() ? nullptr : &it->second;
  }
  // Numbers come as numbers, 64-bit ones as strings.
  uint64_t U(const std::string& name) const {
    const auto* v = Field(name);
    if (v == nullptr) return 0;
    if (v->has_string_value()) return std::stoull(v->string_value());
    return static_cast<uint64_t>(v->number_value());
  }
  std::string S(const std::string& name) const {
    const auto* v = Field(name);
    return v == nullptr ? "" : v->string_value();
  }
  bool B(const std::string& name) const {
    const auto* v = Field(name);
    return v != nullptr && v->bool_value();
  }
};

inline Json ParseJson(const std::string& text) {
  Json j;
  auto st = google::protobuf::util::JsonStringToMessage(text, &j.s);
  j.ok = st.ok();
  if (!j.ok) j.err = std::string(st.message()) + ": " + text.substr(0, 200);
  return j;
}

// `paddockctl call log-aggregator <method> <json>`.
inline Json Call(testing::Host& host, const std::string& method, const std::string& body) {
  testing::CmdResult r = host.Ctl({"--timeout", "60", "call", "log-aggregator", method, body});
  if (r.exit_code != 0) {
    Json j;
    j.err = "paddockctl exit " + std::to_string(r.exit_code) + ": " + r.err;
    return j;
  }
  return ParseJson(r.out);
}

// Port of an "ip:port" address.
inline uint16_t PortOf(const std::string& address) {
  size_t colon = address.rfind(':');
  return colon == std::string::npos ? 0
                                    : static_cast<uint16_t>(std::stoi(address.substr(colon + 1)));
}

inline int UdpSocketTo(uint16_t port) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  return fd;
}

inline int TcpConnectTo(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// Sends `lines[i]` for i in [from, to) at about `rate` per second (in 1 ms steps).
template <typename LineFn>
void SendPaced(int fd, uint64_t from, uint64_t to, double rate, LineFn&& line_fn) {
  auto start = std::chrono::steady_clock::now();
  for (uint64_t i = from; i < to; ++i) {
    double due_s = static_cast<double>(i - from) / rate;
    auto due = start + std::chrono::microseconds(static_cast<int64_t>(due_s * 1e6));
    if (std::chrono::steady_clock::now() < due) std::this_thread::sleep_until(due);
    std::string l = line_fn(i);
    (void)!send(fd, l.data(), l.size(), 0);
  }
}

// Every line stored in the segment files of `dir`, read by an independent parser of the
// documented format: 64-byte file header, then records of a 64-byte header (magic
// "LGR1" at 0, length at 4) followed by the line. Stops a file at the first record that
// does not fit (counted in *bad_tails).
inline std::vector<std::string> ReadSegmentLines(const std::string& dir, int* files = nullptr,
                                                 int* bad_tails = nullptr) {
  std::vector<std::string> out;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return out;
  std::vector<std::string> names;
  while (dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n.size() > 4 && n.compare(n.size() - 4, 4, ".log") == 0) names.push_back(n);
  }
  closedir(d);
  if (files) *files = static_cast<int>(names.size());
  for (const std::string& n : names) {
    std::ifstream f(dir + "/" + n, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    std::string data = ss.str();
    size_t pos = 64;
    while (pos + 64 <= data.size()) {
      uint32_t magic, len;
      std::memcpy(&magic, data.data() + pos, 4);
      std::memcpy(&len, data.data() + pos + 4, 4);
      if (magic != 0x3152474cu || pos + 64 + len > data.size()) break;
      out.emplace_back(data.data() + pos + 64, len);
      pos += 64 + len;
    }
    if (pos != data.size() && bad_tails) ++*bad_tails;
  }
  return out;
}

// Every record of a Query (all pages) as JSON objects.
inline std::vector<google::protobuf::Struct> QueryAll(testing::Host& host,
                                                      const std::string& filter_json,
                                                      std::string* error) {
  std::vector<google::protobuf::Struct> out;
  std::string token;
  for (int page = 0; page < 1000; ++page) {
    std::string body = "{\"filter\": " + filter_json + ", \"limit\": 10000";
    if (!token.empty()) body += ", \"pageToken\": \"" + token + "\"";
    body += "}";
    Json j = Call(host, "Query", body);
    if (!j.ok) {
      *error = j.err;
      return out;
    }
    const auto* recs = j.Field("records");
    if (recs != nullptr) {
      for (const auto& v : recs->list_value().values()) out.push_back(v.struct_value());
    }
    token = j.S("nextPageToken");
    if (token.empty()) break;
  }
  return out;
}

inline std::string Str(const google::protobuf::Struct& s, const std::string& name) {
  auto it = s.fields().find(name);
  return it == s.fields().end() ? "" : it->second.string_value();
}

}  // namespace paddock::logagg::itest
