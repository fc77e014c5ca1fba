#include "service.h"

#include <algorithm>
#include <chrono>
#include <limits>

#include "absl/strings/str_cat.h"
#include "query.h"
#include "record.h"
#include "segment_writer.h"

namespace paddock::logagg {
namespace {

namespace pb = paddock::logagg::v1;

constexpr uint32_t kDefaultLimit = 100;
constexpr uint32_t kMaxLimit = 10000;
constexpr int64_t kMs = 1'000'000;
constexpr size_t kMaxResponseBytes = 3u << 20;

grpc::Status ToGrpc(const absl::Status& st) {
  return grpc::Status(static_cast<grpc::StatusCode>(st.code()), std::string(st.message()));
}

void SetTs(int64_t ns, google::protobuf::Timestamp* t) {
  int64_t s = ns / 1'000'000'000, n = ns % 1'000'000'000;
  if (n < 0) {
    n += 1'000'000'000;
    --s;
  }
  t->set_seconds(s);
  t->set_nanos(static_cast<int32_t>(n));
}

}  // namespace

LogAggregatorService::LogAggregatorService(SegmentCatalog& catalog, ::paddock::logagg::Stats& stats,
                                           uint64_t instance)
    : catalog_(catalog), stats_(stats), instance_(instance) {}

void LogAggregatorService::SetIngest(const Ring* ring, std::string udp_address,
                                     std::string tcp_address) {
  ring_ = ring;
  udp_address_ = std::move(udp_address);
  tcp_address_ = std::move(tcp_address);
}

grpc::Status LogAggregatorService::Query(grpc::ServerContext* ctx, const pb::QueryRequest* req,
                                         pb::QueryResponse* resp) {
  int64_t started = MonotonicNs();
  auto filter = RecordFilter::FromProto(req->filter());
  if (!filter.ok()) return ToGrpc(filter.status());
  auto cursor = Cursor::Decode(req->page_token());
  if (!cursor.ok()) return ToGrpc(cursor.status());
  if (req->limit() > kMaxLimit) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        absl::StrCat("limit: at most ", kMaxLimit));
  }
  const uint32_t limit = req->limit() == 0 ? kDefaultLimit : req->limit();
  (void)catalog_.Refresh();
  std::vector<SegmentEntry> segments = catalog_.Snapshot();
  int64_t deadline = started + scan_budget_ms_ * kMs;
  if (ctx != nullptr && ctx->deadline() != std::chrono::system_clock::time_point::max()) {
    // Leave time to send the page before the client gives up.
    auto left = std::chrono::duration_cast<std::chrono::nanoseconds>(
                    ctx->deadline() - std::chrono::system_clock::now())
                    .count();
    deadline = std::min(deadline, started + left * 8 / 10);
  }
  uint32_t n = 0;
  size_t bytes = 0;  // Estimate of the response size: stay well below gRPC's 4 MiB.
  ScanStats st = Scan(catalog_.dir(), segments, *filter, &*cursor, deadline,
                      [&](const RecordHeader& h, const char* line, uint64_t instance) {
                        ToProto(h, line, instance, req->include_raw(), resp->add_records());
                        bytes += 160 + 2 * size_t{h.length} * (req->include_raw() ? 2 : 1);
                        return ++n < limit && bytes < kMaxResponseBytes;
                      });
  resp->set_next_page_token(st.at_end ? "" : cursor->Encode());
  resp->set_scanned_records(st.scanned_records);
  resp->set_scanned_segments(st.scanned_segments);
  resp->set_skipped_segments(st.skipped_segments);
  resp->set_budget_exhausted(st.budget_exhausted);
  resp->set_elapsed_us(static_cast<uint64_t>((MonotonicNs() - started) / 1000));
  return grpc::Status::OK;
}

grpc::Status LogAggregatorService::TailTo(const pb::TailRequest& req,
                                          const std::function<bool(const pb::LogRecord&)>& write,
                                          const std::function<bool()>& cancelled) {
  auto filter = RecordFilter::FromProto(req.filter());
  if (!filter.ok()) return ToGrpc(filter.status());
  (void)catalog_.Refresh();
  Cursor cursor;
  if (!req.filter().has_start_time()) cursor = EndCursor(catalog_.dir(), catalog_.Snapshot());
  int64_t last_refresh = MonotonicNs();
  bool client_gone = false;
  pb::LogRecord rec;
  for (;;) {
    uint64_t seen = catalog_.written_generation();
    std::vector<SegmentEntry> segments = catalog_.Snapshot();
    ScanStats st = Scan(catalog_.dir(), segments, *filter, &cursor, MonotonicNs() + 1000 * kMs,
                        [&](const RecordHeader& h, const char* line, uint64_t instance) {
                          rec.Clear();
                          ToProto(h, line, instance, req.include_raw(), &rec);
                          if (!write(rec)) client_gone = true;
                          return !client_gone;
                        });
    if (client_gone || cancelled()) return grpc::Status::OK;
    if (!st.at_end || st.budget_exhausted) continue;
    if (!req.follow() || stopping_()) return grpc::Status::OK;
    catalog_.WaitForWrite(&seen, absl::Milliseconds(250));
    if (MonotonicNs() - last_refresh >= 1000 * kMs) {
      (void)catalog_.Refresh();  // Segments of other instances (a reload in progress).
      last_refresh = MonotonicNs();
    }
  }
}

grpc::Status LogAggregatorService::Tail(grpc::ServerContext* ctx, const pb::TailRequest* req,
                                        grpc::ServerWriter<pb::LogRecord>* writer) {
  return TailTo(
      *req, [&](const pb::LogRecord& r) { return writer->Write(r); },
      [&] { return ctx->IsCancelled(); });
}

grpc::Status LogAggregatorService::Stats(grpc::ServerContext*, const pb::StatsRequest*,
                                         pb::StatsResponse* r) {
  r->set_received(Get(stats_.received));
  r->set_received_bytes(Get(stats_.received_bytes));
  r->set_parsed_rfc3164(Get(stats_.parsed_rfc3164));
  r->set_parsed_rfc5424(Get(stats_.parsed_rfc5424));
  r->set_raw(Get(stats_.raw));
  r->set_written(Get(stats_.written));
  r->set_written_bytes(Get(stats_.written_bytes));
  r->set_kernel_drops(Get(stats_.kernel_drops));
  r->set_ring_overflows(Get(stats_.ring_overflows));
  r->set_write_dropped(Get(stats_.write_dropped));
  r->set_disk_full(stats_.disk_full.load(std::memory_order_relaxed));
  r->set_direct_io(stats_.direct_io.load(std::memory_order_relaxed));
  r->set_last_write_error(stats_.last_write_error());
  r->set_lost_on_crash(Get(stats_.lost_on_crash));
  r->set_torn_bytes_truncated(Get(stats_.torn_bytes_truncated));
  r->set_truncated(Get(stats_.truncated));
  r->set_tcp_connections(stats_.tcp_connections.load(std::memory_order_relaxed));
  r->set_tcp_accepted(Get(stats_.tcp_accepted));
  r->set_tcp_shed(Get(stats_.tcp_shed));
  r->set_tcp_idle_closed(Get(stats_.tcp_idle_closed));
  r->set_tcp_framing_errors(Get(stats_.tcp_framing_errors));
  r->set_segments_deleted(Get(stats_.segments_deleted));
  r->set_segments_rotated(Get(stats_.segments_rotated));
  r->set_fsyncs(Get(stats_.fsyncs));
  r->set_udp_address(udp_address_);
  r->set_tcp_address(tcp_address_);
  r->set_instance(InstanceHex(instance_));
  if (ring_ != nullptr) r->set_pending(ring_->PublishedTotal() - ring_->ReleasedTotal());
  (void)catalog_.Refresh();
  int64_t oldest = std::numeric_limits<int64_t>::max(),
          newest = std::numeric_limits<int64_t>::min();
  uint64_t bytes = 0;
  uint32_t count = 0;
  for (const SegmentEntry& e : catalog_.Snapshot()) {
    ++count;
    bytes += e.file_bytes;
    if (e.has_index && !e.index.empty()) {
      oldest = std::min(oldest, e.index.min_recv_ns);
      newest = std::max(newest, e.index.max_recv_ns);
    }
  }
  r->set_segments(count);
  r->set_disk_bytes(bytes);
  if (newest != std::numeric_limits<int64_t>::min()) {
    SetTs(oldest, r->mutable_oldest());
    SetTs(newest, r->mutable_newest());
  }
  return grpc::Status::OK;
}

}  // namespace paddock::logagg
