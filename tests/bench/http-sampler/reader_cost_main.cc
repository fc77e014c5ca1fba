// Prints the user-space cost per sample of the sampler's reader path, on synthetic ring
// records as a drain at 100% sampling on lo delivers them: each record checked in place
// (CheckRecord), requests and responses joined (Joiner), the batch counted (Aggregates)
// and kept for backlogs (SampleHub, no subscriber). No kernel, no root.
//   usage: http-sampler-reader-cost [batches]
#include <arpa/inet.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "aggregates.h"
#include "records.h"
#include "sample_hub.h"

namespace {

namespace hs = paddock::http_sampler;

constexpr int kConnections = 32;
constexpr int kPerBatch = 8192;  // ~1 MiB of records: one busy drain

// How a drain delivers a sample's two records: request then response (one ring, or both
// seen on one CPU), response first (the response's ring read first), or rings apart: all
// of the batch's requests, then all of its responses (client and server on different
// CPUs: each ring holds one kind, read one after the other).
enum class Order { kRequestsFirst, kResponsesFirst, kRingsApart };

const char* OrderName(Order o) {
  switch (o) {
    case Order::kRequestsFirst:
      return "requests first";
    case Order::kResponsesFirst:
      return "responses first";
    case Order::kRingsApart:
      return "rings apart";
  }
  return "?";
}

// One batch of ring records (8-aligned, as libbpf hands them out): for each sample its
// request record (128-byte class) and its response record, in `order`.
struct Batch {
  std::vector<std::vector<uint64_t>> records;
  std::vector<size_t> sizes;
};

Batch MakeBatch(uint64_t t0, Order order) {
  Batch b;
  Batch responses;
  for (int i = 0; i < kPerBatch; ++i) {
    hs_request r{};
    r.kind = HS_KIND_REQUEST;
    r.method = HS_METHOD_GET;
    r.ts_ns = t0 + static_cast<uint64_t>(i) * 1000;
    r.tuple.family = 4;
    inet_pton(AF_INET, "127.0.0.1", r.tuple.saddr);
    inet_pton(AF_INET, "127.0.0.1", r.tuple.daddr);
    r.tuple.sport = static_cast<uint16_t>(40000 + i % kConnections);
    r.tuple.dport = 8080;
    const char path[] = "/bench/path?x=1";
    const char host[] = "127.0.0.1:8080";
    r.path_len = sizeof(path) - 1;
    r.host_len = sizeof(host) - 1;
    size_t size = sizeof(hs_request) + HS_SMALL_PATH + HS_SMALL_HOST;
    std::vector<uint64_t> req(size / 8);
    std::memcpy(req.data(), &r, sizeof(r));
    std::memcpy(reinterpret_cast<char*>(req.data()) + sizeof(r), path, r.path_len);
    std::memcpy(reinterpret_cast<char*>(req.data()) + sizeof(r) + r.path_len, host, r.host_len);
    hs_response resp{};
    resp.kind = HS_KIND_RESPONSE;
    resp.status = 200;
    resp.request_ts_ns = r.ts_ns;
    resp.latency_ns = 150000;
    resp.tag = hs::TupleHash(r.tuple);
    std::vector<uint64_t> rsp(sizeof(resp) / 8);
    std::memcpy(rsp.data(), &resp, sizeof(resp));
    if (order == Order::kRingsApart) {
      b.records.push_back(std::move(req));
      b.sizes.push_back(size);
      responses.records.push_back(std::move(rsp));
      responses.sizes.push_back(sizeof(resp));
    } else if (order == Order::kResponsesFirst) {
      b.records.push_back(std::move(rsp));
      b.sizes.push_back(sizeof(resp));
      b.records.push_back(std::move(req));
      b.sizes.push_back(size);
    } else {
      b.records.push_back(std::move(req));
      b.sizes.push_back(size);
      b.records.push_back(std::move(rsp));
      b.sizes.push_back(sizeof(resp));
    }
  }
  for (size_t i = 0; i < responses.records.size(); ++i) {
    b.records.push_back(std::move(responses.records[i]));
    b.sizes.push_back(responses.sizes[i]);
  }
  return b;
}

uint64_t Now() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

}  // namespace

int main(int argc, char** argv) {
  int batches = argc > 1 ? std::atoi(argv[1]) : 200;
  for (Order order : {Order::kRequestsFirst, Order::kResponsesFirst, Order::kRingsApart}) {
    hs::Joiner joiner(5'000'000'000ull, 65536);
    hs::Aggregates aggregates(60);
    hs::SampleHub hub(0);
    std::vector<hs::Completed> done;
    uint64_t join_ns = 0, agg_ns = 0, hub_ns = 0, samples = 0;
    // The fastest batch of each stage too: the machine's other load only adds time.
    uint64_t join_min = UINT64_MAX, agg_min = UINT64_MAX, hub_min = UINT64_MAX;
    for (int n = 0; n < batches; ++n) {
      Batch b = MakeBatch(1000000000ull + static_cast<uint64_t>(n) * kPerBatch * 1000, order);
      uint64_t t0 = Now();
      for (size_t i = 0; i < b.records.size(); ++i) {
        const void* data = b.records[i].data();
        uint8_t kind = hs::CheckRecord(data, b.sizes[i]);
        if (kind == HS_KIND_REQUEST) {
          joiner.AddRequest(*static_cast<const hs_request*>(data),
                            static_cast<const char*>(data) + sizeof(hs_request), &done);
        } else if (kind == HS_KIND_RESPONSE) {
          (void)joiner.AddResponse(*static_cast<const hs_response*>(data), &done);
        }
      }
      uint64_t t1 = Now();
      aggregates.Add(done, t1);
      uint64_t t2 = Now();
      hub.Publish(done);
      uint64_t t3 = Now();
      join_min = std::min(join_min, t1 - t0);
      agg_min = std::min(agg_min, t2 - t1);
      hub_min = std::min(hub_min, t3 - t2);
      join_ns += t1 - t0;
      agg_ns += t2 - t1;
      hub_ns += t3 - t2;
      samples += done.size();
      done.clear();
    }
    double s = static_cast<double>(samples);
    std::printf(
        "%-16s samples %8llu  ns/sample: check+join %6.1f  aggregates %6.1f  hub %6.1f  "
        "total %6.1f\n",
        OrderName(order), static_cast<unsigned long long>(samples),
        static_cast<double>(join_ns) / s, static_cast<double>(agg_ns) / s,
        static_cast<double>(hub_ns) / s, static_cast<double>(join_ns + agg_ns + hub_ns) / s);
    std::printf(
        "%-16s fastest batch, ns/sample:  check+join %6.1f  aggregates %6.1f  hub %6.1f  "
        "total %6.1f\n",
        "", static_cast<double>(join_min) / kPerBatch, static_cast<double>(agg_min) / kPerBatch,
        static_cast<double>(hub_min) / kPerBatch,
        static_cast<double>(join_min + agg_min + hub_min) / kPerBatch);
  }
  return 0;
}
