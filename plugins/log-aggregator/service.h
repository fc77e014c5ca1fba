// The gRPC service paddock.logagg.v1.LogAggregator: Query, Tail and Stats over the
// catalog. Handlers run on gRPC's threads, concurrently; everything they touch is
// thread-safe (catalog, atomic counters, immutable config).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

#include "log_aggregator.grpc.pb.h"
#include "ring.h"
#include "segment_catalog.h"
#include "stats.h"

namespace paddock::logagg {

class LogAggregatorService final : public paddock::logagg::v1::LogAggregator::Service {
 public:
  // Nothing is owned; all must outlive the service.
  LogAggregatorService(SegmentCatalog& catalog, ::paddock::logagg::Stats& stats, uint64_t instance);

  // Set before the server starts: the ring (for the pending count) and socket addresses.
  void SetIngest(const Ring* ring, std::string udp_address, std::string tcp_address);
  // Tails end (OK) once this returns true (drain / shutdown). Set before the server starts.
  void SetStopping(std::function<bool()> stopping) { stopping_ = std::move(stopping); }
  // Longest a Query may scan before it returns a partial page with a token. Default 5 s.
  void set_scan_budget_ms(int64_t ms) { scan_budget_ms_ = ms; }

  grpc::Status Query(grpc::ServerContext* ctx, const paddock::logagg::v1::QueryRequest* req,
                     paddock::logagg::v1::QueryResponse* resp) override;
  grpc::Status Tail(grpc::ServerContext* ctx, const paddock::logagg::v1::TailRequest* req,
                    grpc::ServerWriter<paddock::logagg::v1::LogRecord>* writer) override;
  grpc::Status Stats(grpc::ServerContext* ctx, const paddock::logagg::v1::StatsRequest* req,
                     paddock::logagg::v1::StatsResponse* resp) override;

  // Tail against any sink (the unit tests' entry point; Tail() calls it with the stream).
  // `write` returns false when the client is gone; `cancelled` is polled between waits.
  grpc::Status TailTo(const paddock::logagg::v1::TailRequest& req,
                      const std::function<bool(const paddock::logagg::v1::LogRecord&)>& write,
                      const std::function<bool()>& cancelled);

 private:
  SegmentCatalog& catalog_;
  ::paddock::logagg::Stats& stats_;  // Qualified: Stats() is also a method here.
  const uint64_t instance_;
  const Ring* ring_ = nullptr;
  std::string udp_address_, tcp_address_;
  std::function<bool()> stopping_ = [] { return false; };
  int64_t scan_budget_ms_ = 5000;
};

}  // namespace paddock::logagg
