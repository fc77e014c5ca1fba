/* The contract between the BPF program (sampler.bpf.c) and its userspace reader: map
 * layouts and ring-buffer records. Plain C with fixed-width kernel types, included by
 * both sides; every layout is checked with _Static_assert / static_assert on both.
 *
 * Byte order: addresses are kept as on the wire (network order); ports, lengths and
 * status codes are host order. Times are CLOCK_MONOTONIC nanoseconds (bpf_ktime_get_ns).
 */
#ifndef PADDOCK_HTTP_SAMPLER_ABI_H_
#define PADDOCK_HTTP_SAMPLER_ABI_H_

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* Bounds of what is copied per sampled request. */
#define HS_PATH_MAX 256  /* bytes of the request target kept; longer ones are cut */
#define HS_HOST_MAX 128  /* bytes of the Host header value kept */
#define HS_SCAN_MAX 1024 /* bytes of the payload searched for the path end and Host */

/* Records go to one ring buffer per CPU. Each ring is HS_RING_BYTES (a power of two) while
 * the rings together stay within HS_RING_BUDGET, else HS_RING_BUDGET / CPUs rounded down to
 * a power of two, but at least HS_RING_MIN_BYTES. One 16 MiB ring holds ~500 ms of records
 * at 150,000 sampled requests per second with the smallest request records (~200 ms with
 * the largest), so a reader the scheduler holds back for that long loses nothing even when
 * one CPU sees all the traffic. */
#define HS_RING_BYTES (16u << 20)
#define HS_RING_BUDGET (32u << 20)
#define HS_RING_MIN_BYTES (1u << 20)

/* Policy: one slot per TCP destination port (the array index), mmapped by userspace. */
#define HS_PORTS 65536
/* Counter sets: rule 0 counts ports that fall back to the default rate; rules
 * 1..HS_RULES-1 are the explicit per-port rules. */
#define HS_RULES 64
#define HS_RATE_ONE 1000000u /* rate_ppm meaning "every request" */

struct hs_policy {
  __u32 rate_ppm; /* 0..HS_RATE_ONE: probability of sampling, parts per million */
  __u32 rule;     /* counter set this port counts into (0..HS_RULES-1) */
};

/* Per-CPU counters of one rule (a PERCPU_ARRAY of HS_RULES entries). */
struct hs_counters {
  __u64 seen;      /* HTTP requests detected (before the draw) */
  __u64 sampled;   /* requests the draw selected (including ring-full drops) */
  __u64 ring_full; /* selected requests lost because the ring buffer was full */
  __u64 responses; /* responses matched to a sampled request */
};

/* HTTP methods, as detected at the start of a segment. */
enum hs_method {
  HS_METHOD_UNKNOWN = 0,
  HS_METHOD_GET = 1,
  HS_METHOD_HEAD = 2,
  HS_METHOD_POST = 3,
  HS_METHOD_PUT = 4,
  HS_METHOD_DELETE = 5,
  HS_METHOD_CONNECT = 6,
  HS_METHOD_OPTIONS = 7,
  HS_METHOD_TRACE = 8,
  HS_METHOD_PATCH = 9,
};

/* Record kinds in the ring buffer. */
enum hs_kind {
  HS_KIND_REQUEST = 1,
  HS_KIND_RESPONSE = 2,
};

/* Flags of a request record. */
#define HS_F_PATH_TRUNCATED                                                   \
  0x1                       /* the target was longer than HS_PATH_MAX, or the \
                             * segment ended inside it */
#define HS_F_HOST_FOUND 0x2 /* a Host header was found within HS_SCAN_MAX bytes */
#define HS_F_HOST_TRUNCATED                                                     \
  0x4                         /* the Host value was longer than HS_HOST_MAX, or \
                               * the segment ended inside it */
#define HS_F_VERSION_SEEN 0x8 /* " HTTP/1." followed the target */

/* A TCP connection as seen in the request direction (client -> server). */
struct hs_tuple {
  __u8 saddr[16]; /* IPv4 uses the first 4 bytes, the rest is zero */
  __u8 daddr[16];
  __u16 sport;
  __u16 dport;
  __u8 family; /* 4 or 6 */
  __u8 pad[3];
};

/* Slots of the table of outstanding sampled requests (a power of two). */
#define HS_PENDING_SLOTS (1u << 16)

/* Buckets of the table's occupancy counts (a power of two): bucket b counts the occupied
 * slots of pairs [b * P, (b + 1) * P), P = HS_PENDING_SLOTS / 2 / HS_PENDING_BUCKETS. A
 * response reads its bucket's count (2 KiB in all, a few cache lines that stay hot) and
 * reads its pair of slots only when the count is not 0. */
#define HS_PENDING_BUCKETS 512u

/* A slot of that table: a sampled request waiting for its response. 16 bytes, so a pair
 * of slots (the unit a tuple maps to) shares one cache line: 1 MiB for the whole table. */
struct hs_slot {
  __u64 ts_ns; /* the request's ts_ns; 0 when the slot is free */
  __u64 tag;   /* the 64-bit hash of the request's tuple (request direction) */
};

/* Ring-buffer record: a sampled request, written where requests are seen (ingress). The
 * record is this header followed by its text: path_len bytes of the request target, then
 * host_len bytes of the Host value, then unused bytes up to the record's size. Records come
 * in a few constant sizes (bpf_ringbuf_reserve takes a constant): the smallest class whose
 * path and Host capacities both fit, so a typical request ("/", "example.com") costs 128
 * bytes of ring instead of 448. A reader takes the lengths from the header and must check
 * sizeof(struct hs_request) + path_len + host_len <= the record's size. */
struct hs_request {
  __u8 kind; /* HS_KIND_REQUEST */
  __u8 method;
  __u8 flags;
  __u8 pad;
  __u16 path_len; /* <= HS_PATH_MAX */
  __u16 host_len; /* <= HS_HOST_MAX */
  __u32 ifindex;
  __u32 payload_len; /* bytes of TCP payload in the segment that started the request */
  __u64 ts_ns;
  struct hs_tuple tuple;
};

/* Size classes of request records: capacity for the path, for the Host value. The text
 * of a class is path capacity + Host capacity bytes; the last class is the bounds. */
#define HS_SMALL_PATH 32
#define HS_SMALL_HOST 32
#define HS_MEDIUM_PATH 128
#define HS_MEDIUM_HOST 64
#define HS_TEXT_MAX (HS_PATH_MAX + HS_HOST_MAX)

/* Ring-buffer record: the response to a sampled request, written where responses are seen
 * (egress, or ingress of a loopback interface). 32 bytes: the request is named by its time
 * and its tuple's hash, not by the 40-byte tuple itself. */
struct hs_response {
  __u8 kind; /* HS_KIND_RESPONSE */
  __u8 pad;
  __u16 status;
  __u32 ifindex;
  __u64 request_ts_ns; /* ts_ns of the matched request (with tag, its identity) */
  __u64 latency_ns;    /* when the response's first segment was seen minus the request's */
  __u64 tag;           /* hs_tuple_hash of the request's tuple (request direction) */
};

/* The 64-bit hash of a tuple (request direction, read as 5 native-endian words): its high
 * bits pick a pair of pending-table slots, all of it is the slot's tag and names the
 * request in its response record. The program and userspace compute it alike. */
static inline __u64 hs_tuple_hash(const __u64 *t) {
  const __u64 k = 0x9E3779B97F4A7C15ULL; /* 2^64 / golden ratio */
  __u64 h = t[0] * k;
  h = (h ^ t[1]) * k;
  h = (h ^ t[2]) * k;
  h = (h ^ t[3]) * k;
  h = (h ^ t[4]) * k;
  return h;
}

#endif /* PADDOCK_HTTP_SAMPLER_ABI_H_ */
