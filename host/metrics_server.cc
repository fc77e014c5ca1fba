#include "host/metrics_server.h"

#include <microhttpd.h>

#include <unistd.h>
#include <cstdarg>
#include <cstdio>

#include <cstring>

#include "absl/strings/str_cat.h"
#include "host/host_log.h"
#include "host/prom_text.h"
#include "host/socket_opener.h"
#include "paddock/v1/manifest.pb.h"

namespace paddock::host {
namespace {

constexpr char kIndex[] =
    "<html><head><title>paddockd</title></head><body><h1>paddockd</h1>"
    "<p><a href=\"/metrics\">Metrics</a></p></body></html>\n";

MHD_Result Reply(MHD_Connection* c, unsigned status, const std::string& body,
                 const char* content_type) {
  MHD_Response* r = MHD_create_response_from_buffer(body.size(), const_cast<char*>(body.data()),
                                                    MHD_RESPMEM_MUST_COPY);
  if (r == nullptr) return MHD_NO;
  MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
  if (status == MHD_HTTP_METHOD_NOT_ALLOWED) MHD_add_response_header(r, "Allow", "GET, HEAD");
  MHD_Result ret = MHD_queue_response(c, status, r);
  MHD_destroy_response(r);
  return ret;
}

MHD_Result Access(void* cls, MHD_Connection* connection, const char* url, const char* method,
                  const char* /*version*/, const char* /*upload_data*/,
                  size_t* /*upload_data_size*/, void** /*con_cls*/) {
  return static_cast<MHD_Result>(MetricsServer::Answer(cls, connection, url, method));
}

void Log(void*, const char* fmt, va_list ap) {
  char buf[512];
  vsnprintf(buf, sizeof(buf), fmt, ap);
  std::string line(buf);
  while (!line.empty() && line.back() == '\n') line.pop_back();
  HostLog(LogLevel::kDebug, absl::StrCat("metrics http: ", line));
}

}  // namespace

void MetricsServer::StopDaemon::operator()(MHD_Daemon* d) const { MHD_stop_daemon(d); }

int MetricsServer::Answer(void* self, void* connection, const char* url, const char* method) {
  auto* server = static_cast<MetricsServer*>(self);
  auto* c = static_cast<MHD_Connection*>(connection);
  bool get = strcmp(method, MHD_HTTP_METHOD_GET) == 0 || strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
  if (!get) return Reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET\n", "text/plain");
  if (strcmp(url, "/metrics") == 0) {
    return Reply(c, MHD_HTTP_OK, server->handler_(), prom::kContentType);
  }
  if (strcmp(url, "/") == 0) return Reply(c, MHD_HTTP_OK, kIndex, "text/html; charset=utf-8");
  return Reply(c, MHD_HTTP_NOT_FOUND, "not found; try /metrics\n", "text/plain");
}

absl::StatusOr<std::unique_ptr<MetricsServer>> MetricsServer::Start(const std::string& address,
                                                                    Handler handler) {
  paddock::v1::SocketRequest tcp;
  tcp.set_kind(paddock::v1::SocketRequest::TCP);
  auto fd = OpenHeldSocket(tcp, address);
  if (!fd.ok()) return fd.status();
  std::unique_ptr<MetricsServer> server(
      new MetricsServer(std::move(handler), LocalAddress(fd->get())));
  // The daemon owns the listening socket from here on (MHD_stop_daemon closes it).
  int listen_fd = fd->Release();
  MHD_Daemon* d = MHD_start_daemon(
      MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL |
          MHD_USE_ERROR_LOG,
      0, nullptr, nullptr, &Access, server.get(), MHD_OPTION_LISTEN_SOCKET, listen_fd,
      MHD_OPTION_CONNECTION_LIMIT, kMaxConnections, MHD_OPTION_CONNECTION_TIMEOUT,
      kIdleTimeoutSeconds, MHD_OPTION_EXTERNAL_LOGGER, &Log, nullptr, MHD_OPTION_END);
  if (d == nullptr) {
    close(listen_fd);
    return absl::InternalError("libmicrohttpd could not start serving " + server->address());
  }
  server->daemon_.reset(d);
  return server;
}

MetricsServer::~MetricsServer() = default;

}  // namespace paddock::host
