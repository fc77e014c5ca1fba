// The HTTP side of the metrics endpoint: GET /metrics over libmicrohttpd (HTTP parsing,
// keep-alive and timeouts are the library's), on its own threads, never the event loop's.
//
// Decisions: libmicrohttpd rather than a hand-written parser (the bytes come from the
// network) and rather than cpp-httplib (a C library with a stable ABI in Debian, explicit
// connection limits and timeouts). Thread per connection: a scrape blocks its thread for
// up to the plugin deadline, which must not hold up another scraper. Connections are
// capped (kMaxConnections) and idle ones closed after kIdleTimeoutSeconds, so a client
// cannot pile up threads.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"

struct MHD_Daemon;

namespace paddock::host {

class MetricsServer {
 public:
  // Renders the body of one GET /metrics. Called on the server's threads, possibly
  // concurrently; must be thread-safe.
  using Handler = std::function<std::string()>;

  static constexpr unsigned kMaxConnections = 16;
  static constexpr unsigned kIdleTimeoutSeconds = 30;

  // Binds `address` ("127.0.0.1:9464", "[::1]:9464"; port 0 picks a free one) and serves
  // until destroyed. InvalidArgument for a malformed address, the errno for bind errors
  // (e.g. the port is taken), Internal if libmicrohttpd cannot start.
  static absl::StatusOr<std::unique_ptr<MetricsServer>> Start(const std::string& address,
                                                              Handler handler);
  // Stops listening, closes every connection and waits for handlers in progress.
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  // The address actually bound, "127.0.0.1:40123".
  const std::string& address() const { return address_; }

  // Internal: answers one request (the libmicrohttpd access handler's body); `self` is the
  // server, `connection` its MHD_Connection.
  static int Answer(void* self, void* connection, const char* url, const char* method);

 private:
  MetricsServer(Handler handler, std::string address)
      : handler_(std::move(handler)), address_(std::move(address)) {}
  struct StopDaemon {
    void operator()(MHD_Daemon* d) const;
  };
  Handler handler_;
  std::string address_;
  std::unique_ptr<MHD_Daemon, StopDaemon> daemon_;
};

}  // namespace paddock::host
