// Fuzzes the userspace side of the http-sampler: decoding the BPF program's ring-buffer
// records (plugins/http-sampler/records.cc DecodeRecord: the kernel side is trusted to
// write the layout, but the request target and Host header it copies are bytes from the
// network), joining requests with responses (Joiner), turning them into Samples
// (ToSample) and the rolling aggregates (aggregates.cc).
//
// Input: a sequence of records, each a 2-byte little-endian size and that many bytes (as
// libbpf hands them over: a pointer and a size). Invariants beyond "no crash, no leak, no
// UB": every Sample and StatsReply serializes and parses back (a proto3 string field
// with invalid UTF-8 would fail to parse on the receiving side, breaking the stream).
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "aggregates.h"
#include "fuzz_check.h"
#include "records.h"

namespace hs = paddock::http_sampler;

namespace {

template <typename Msg>
void CheckWire(const Msg& m) {
  std::string wire;
  FUZZ_CHECK(m.SerializeToString(&wire));
  Msg back;
  FUZZ_CHECK(back.ParseFromString(wire));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  hs::Joiner joiner(/*timeout_ns=*/1'000'000'000, /*max_pending=*/8);
  hs::Aggregates aggregates(60);
  std::vector<hs::Completed> done;
  uint64_t now = 0;
  size_t pos = 0;
  while (pos + 2 <= size) {
    size_t len = data[pos] | (size_t{data[pos + 1]} << 8);
    pos += 2;
    if (len > size - pos) len = size - pos;
    // A copy, so ASan sees reads past the record's end (libbpf's records are not padded).
    std::vector<uint8_t> rec(data + pos, data + pos + len);
    pos += len;
    auto r = hs::DecodeRecord(rec.empty() ? nullptr : rec.data(), rec.size());
    if (!r.ok()) continue;
    if (const hs::Request* req = std::get_if<hs::Request>(&*r)) {
      now = req->ts_ns;
      joiner.AddRequest(*req, &done);
    } else {
      (void)joiner.AddResponse(std::get<hs_response>(*r), &done);
    }
    joiner.Expire(now, &done);
    for (const hs::Completed& c : done) CheckWire(hs::ToSample(c, 1'700'000'000'000'000'000));
    aggregates.Add(done, now);
    done.clear();
  }
  joiner.Flush(&done);
  aggregates.Add(done, now);
  paddock::http_sampler::v1::StatsReply stats;
  aggregates.Fill(10, now, &stats);
  CheckWire(stats);
  return 0;
}
