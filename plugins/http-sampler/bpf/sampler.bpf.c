// SPDX-License-Identifier: GPL-2.0
/* http-sampler: samples HTTP/1.x requests and matches their responses, on TC clsact.
 * A CO-RE program: compiled once against vmlinux.h, relocated by libbpf against the
 * running kernel's BTF (the only kernel structures read are sk_buff -> net_device, to
 * learn how long the link-layer header is).
 *
 * The point of view is the server's. Three entry points, one per way of attaching:
 *   hs_ingress  (ingress of a real interface): requests only;
 *   hs_egress   (egress of a real interface): responses only;
 *   hs_loopback (ingress of a loopback interface): both. Everything sent on lo comes back
 *               in on lo, so its ingress sees each request and each response exactly once
 *               and one hook does the work that ingress + egress would do twice.
 * A segment is a request if its first 8 payload bytes start with a method, a response if
 * they are "HTTP/1.x" followed by " NNN"; anything else stops after those 8 bytes.
 *
 * Per packet, in order (the common path stops early):
 *   1. link type -> L3 offset (hs_loopback: lo's is Ethernet's, the device is not read);
 *      IPv4/IPv6 + TCP only; first fragment only;
 *   2. TCP payload start and length (bounded by the IP length, not the skb);
 *   3. the first 8 payload bytes (ACKs and short segments stop before them);
 *      request: seen++ -> policy lookup by destination port -> random draw -> only if
 *      selected: the addresses, path + Host measured, a ring-buffer record of the
 *      smallest size class that holds them, the tuple's hash into the table of
 *      outstanding requests (hs_pending);
 *      response: status digits -> the addresses -> the reversed tuple's pair of
 *      hs_pending slots (one cache line) -> if one holds it: claimed, response record.
 * Every path returns TC_ACT_UNSPEC, so the next filter (another generation of this
 * program during a reload, or anyone else's) still sees the packet and the verdict
 * stays the qdisc's default.
 *
 * Limits (by design, documented in the README): a request is detected only where a
 * segment starts with it (a method split across segments, or the 2nd request of a
 * pipelined segment, is not seen); IPv6 extension headers are not walked; with
 * pipelining the first response after a sampled request is attributed to it.
 */
#include "vmlinux.h"

#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "sampler_abi.h"
#include "parse.h"

char LICENSE[] SEC("license") = "GPL";

/* ---- maps ---- */

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(map_flags, BPF_F_MMAPABLE);
  __uint(max_entries, HS_PORTS);
  __type(key, __u32);
  __type(value, struct hs_policy);
} hs_policy SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, HS_RULES);
  __type(key, __u32);
  __type(value, struct hs_counters);
} hs_counters SEC(".maps");

/* Outstanding sampled requests, for matching their responses: a 2-way set-associative
 * table (HS_PENDING_SLOTS slots; a request's tuple hashes to a pair of them). An ARRAY
 * map: lookups are inlined loads, with no lock and no allocation, where an LRU hash map
 * took ~220 ns per insert and ~130 ns per lookup + delete here. A slot is free when its
 * ts_ns is 0. The tuple is written first and ts_ns published last (an atomic exchange);
 * a response claims a slot by swapping ts_ns back to 0 (compare-and-swap), so only one
 * CPU reports it. When both slots of a pair hold other pending requests, the older one
 * is replaced: its response then goes unmatched (it is reported unanswered), never
 * attributed to another request (userspace joins on tuple and time). */
struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, HS_PENDING_SLOTS);
  __type(key, __u32);
  __type(value, struct hs_slot);
} hs_pending SEC(".maps");

/* How many slots of hs_pending are occupied, per bucket of pairs (HS_PENDING_BUCKETS, in
 * sampler_abi.h): the pre-check that spares a response the read of its pair of slots (a
 * cache line of a 1 MiB table: a miss on a server with many connections) when nothing in
 * its bucket waits, i.e. nearly always at low sampling rates. Kept exact by slot position,
 * not by tag: whoever makes a slot's ts_ns non-zero (remember's exchange) adds 1 to the
 * bucket first, and whoever takes a non-zero ts_ns out of a slot (the exchange that
 * replaces it, or a claim's compare-and-swap) subtracts 1 after, each with an atomic add.
 * So a bucket's count is never below the number of occupied slots in its pairs, whatever
 * the CPUs interleave; a response comes after its request's program run has finished
 * (it answers that request), so it sees the request's add. A count of 0 therefore means
 * that no request on this connection waits: skipping the table loses nothing. */
struct hs_occupancy {
  __u32 n[HS_PENDING_BUCKETS];
};

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct hs_occupancy);
} hs_occupancy SEC(".maps");

/* Records go to the ring buffer of the CPU the program runs on: an array of ring buffers
 * indexed by CPU. One shared ring made both CPUs take its one spinlock (IRQs off) and write
 * its producer position for every record: __bpf_ringbuf_reserve was 2.76% of all CPU time
 * at 100% sampling on lo, three quarters of the program's own cost. Userspace sizes the
 * outer array to the possible CPUs before load, creates one ring per CPU (the size below
 * is only the template's: the kernel does not compare a ring's size with it) and reads
 * them all through one epoll set. A request and its response are seen on different CPUs
 * when client and server run on different ones, so they may land in different rings and
 * be read in either order: the reader holds a response until its request is read. */
struct hs_ring {
  __uint(type, BPF_MAP_TYPE_RINGBUF);
  __uint(max_entries, 4096); /* the template's (one page); the rings are bigger */
};

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
  __uint(max_entries, 1); /* the number of possible CPUs, set by userspace before load */
  __type(key, __u32);
  __array(values, struct hs_ring);
} hs_rings SEC(".maps");

/* Per-CPU scratch for the bounded scans (the BPF stack is only 512 bytes). */
struct hs_scratch {
  __u8 buf[HS_SCAN_MAX + 16];
};

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct hs_scratch);
} hs_scratch SEC(".maps");

/* Little-endian 8-byte words of "METHOD " prefixes, and how many bytes to compare. */
#define W(a, b, c, d, e, f, g, h)                                                          \
  ((__u64)(a) | (__u64)(b) << 8 | (__u64)(c) << 16 | (__u64)(d) << 24 | (__u64)(e) << 32 | \
   (__u64)(f) << 40 | (__u64)(g) << 48 | (__u64)(h) << 56)
#define MASK(n) ((n) == 8 ? ~0ULL : ((1ULL << ((n)*8)) - 1))

/* Returns the method whose "NAME " starts `word`, and its length with the space. */
static __always_inline int match_method(__u64 word, __u32 *len) {
#define TRY(m, n, a, b, c, d, e, f, g, h)                          \
  if ((word & MASK(n)) == (W(a, b, c, d, e, f, g, h) & MASK(n))) { \
    *len = n;                                                      \
    return m;                                                      \
  }
  TRY(HS_METHOD_GET, 4, 'G', 'E', 'T', ' ', 0, 0, 0, 0)
  TRY(HS_METHOD_POST, 5, 'P', 'O', 'S', 'T', ' ', 0, 0, 0)
  TRY(HS_METHOD_HEAD, 5, 'H', 'E', 'A', 'D', ' ', 0, 0, 0)
  TRY(HS_METHOD_PUT, 4, 'P', 'U', 'T', ' ', 0, 0, 0, 0)
  TRY(HS_METHOD_DELETE, 7, 'D', 'E', 'L', 'E', 'T', 'E', ' ', 0)
  TRY(HS_METHOD_PATCH, 6, 'P', 'A', 'T', 'C', 'H', ' ', 0, 0)
  TRY(HS_METHOD_OPTIONS, 8, 'O', 'P', 'T', 'I', 'O', 'N', 'S', ' ')
  TRY(HS_METHOD_CONNECT, 8, 'C', 'O', 'N', 'N', 'E', 'C', 'T', ' ')
  TRY(HS_METHOD_TRACE, 6, 'T', 'R', 'A', 'C', 'E', ' ', 0, 0)
#undef TRY
  return HS_METHOD_UNKNOWN;
}

/* Submits a record with the kernel's default wakeup rule: the reader is woken only when
 * this record is the first one it has not consumed, i.e. when it may be waiting for data.
 * While it works through a batch (or sleeps to let one build up, see event_reader.cc) the
 * records behind the first cost no wakeup. */
static __always_inline void submit(void *rec) { bpf_ringbuf_submit(rec, 0); }

/* This CPU's ring buffer, or NULL (a CPU beyond the array, or no ring installed: the
 * record is then counted as lost to a full ring). */
static __always_inline void *cpu_ring(void) {
  __u32 cpu = bpf_get_smp_processor_id();
  return bpf_map_lookup_elem(&hs_rings, &cpu);
}

static __always_inline struct hs_counters *counters(__u32 rule) {
  if (rule >= HS_RULES) rule = 0;
  return bpf_map_lookup_elem(&hs_counters, &rule);
}

/* State of the bounded scans, run with bpf_loop (verified once, not unrolled). */
struct scan_ctx {
  struct hs_scratch *s;
  __u32 len;        /* valid bytes in s->buf */
  __u32 pos;        /* loop start offset */
  __u32 found;      /* result offset, or ~0 */
  __u32 space_ends; /* find_field_end: a ' ' ends the field too */
  __u32 words;      /* find_field_end: how many words from pos it may read */
};

/* Words each scan callback reads: a bpf_loop step is a call (~3 ns); four words per step
 * quarter the calls of a long header block. */
#define SCAN_UNROLL 4 /* find_field_end and find_host are written out for 4 */

/* The scans read the scratch copy 8 bytes at a time and find bytes by value with the
 * usual word trick: zero_bytes(v) flags (0x80) every byte of v that is 0; the lowest flag
 * is exact (higher ones can be false after a borrow), which is the one used. */
#define ONES 0x0101010101010101ULL
static __always_inline __u64 zero_bytes(__u64 v) { return (v - ONES) & ~v & (ONES << 7); }

/* Flags of the bytes of v equal to c. */
static __always_inline __u64 bytes_equal(__u64 v, __u8 c) { return zero_bytes(v ^ (ONES * c)); }

/* Index (0-7) of the lowest flagged byte of m (m != 0). */
static __always_inline __u32 first_flag(__u64 m) {
  __u32 n = 0;
  if (!(m & 0xFFFFFFFFULL)) {
    n += 4;
    m >>= 32;
  }
  if (!(m & 0xFFFFULL)) {
    n += 2;
    m >>= 16;
  }
  if (!(m & 0xFFULL)) n += 1;
  return n;
}

/* The 8 scratch bytes at `at` (masked into the buffer, which has 16 bytes of slack). */
static __always_inline __u64 word_at(const struct hs_scratch *s, __u32 at) {
  return *(const __u64 *)&s->buf[at & (HS_SCAN_MAX - 1)];
}

/* Word w (from pos) of the search for the first '\r' or '\n' (or ' ' when space_ends) at
 * or after pos: the end of the request target or of a header value. Bytes past len do not
 * count. Returns 1 when the search is over (found, or out of words or bytes). */
static __always_inline long field_end_word(struct scan_ctx *c, __u32 w) {
  __u32 at = c->pos + w * 8;
  if (w >= c->words || at >= c->len) return 1;
  __u64 v = word_at(c->s, at);
  __u64 m = bytes_equal(v, '\r') | bytes_equal(v, '\n');
  if (c->space_ends) m |= bytes_equal(v, ' ');
  if (!m) return 0;
  __u32 hit = at + first_flag(m);
  if (hit < c->len) c->found = hit;
  return 1;
}

/* SCAN_UNROLL words of that search per bpf_loop step. */
static long find_field_end(__u32 i, void *arg) {
  struct scan_ctx *c = arg;
  __u32 w = i * SCAN_UNROLL;
  if (field_end_word(c, w) || field_end_word(c, w + 1) || field_end_word(c, w + 2)) return 1;
  return field_end_word(c, w + 3);
}

/* One step of the search for "\nhost:" (any case) from pos, a line at a time: `found` is
 * the offset after the ':'. Stops at the empty line that ends the header block. */
static long find_host(__u32 i, void *arg) {
  struct scan_ctx *c = arg;
  __u32 at = c->pos;
  if (at + 6 > c->len) return 1;
  /* Up to SCAN_UNROLL words to the next '\n'. A '\n' past len (a stale byte of the
   * scratch) stops the search below, as one at len - 5 or later does. */
  __u64 m = bytes_equal(word_at(c->s, at), '\n');
  if (!m) m = bytes_equal(word_at(c->s, at += 8), '\n');
  if (!m) m = bytes_equal(word_at(c->s, at += 8), '\n');
  if (!m) m = bytes_equal(word_at(c->s, at += 8), '\n');
  if (!m) {
    c->pos = at + 8;
    return 0;
  }
  __u32 nl = at + first_flag(m);
  if (nl + 6 > c->len) return 1;
  __u64 next = word_at(c->s, nl + 1);
  /* "host:" with the 4 letters lowercased (| 0x20 maps 'A'-'Z' onto 'a'-'z'). */
  if (((next | 0x20202020ULL) & 0xFFFFFFFFFFULL) == (W('h', 'o', 's', 't', ':', 0, 0, 0))) {
    c->found = nl + 6;
    return 1;
  }
  __u8 after = next & 0xFF;
  if (after == '\r' || after == '\n') return 1;
  c->pos = nl + 1;
  return 0;
}

/* For 1 <= n <= max (max a power of two): returns n in a form the verifier can prove
 * lies in [1, max] (the compiler cannot fold the mask away, unlike a range check). */
static __always_inline __u32 bounded(__u32 n, __u32 max) { return ((n - 1) & (max - 1)) + 1; }

/* Where a selected request's path and Host value are in its payload, and their flags. */
struct text_spans {
  __u32 path_start, path_len;
  __u32 host_start, host_len;
  __u8 flags;
};

/* Measures the field that starts at payload offset `start` (the request target, or a header
 * value): up to its end (find_field_end) but at most `max` bytes (a constant). Stores its
 * length in *len; sets `cut_flag` in *flags when the field was longer than `max` or the
 * segment (or the scan bound) ended inside it. Returns the offset of the field's
 * terminator, or ~0 when none was found. */
static __always_inline __u32 field_span(struct scan_ctx *c, __u32 start, __u32 max,
                                        __u32 space_ends, __u8 *flags, __u8 cut_flag, __u32 *len) {
  c->pos = start;
  c->found = ~0u;
  c->space_ends = space_ends;
  c->words = max / 8 + 1; /* Words covering max + 1 bytes. */
  bpf_loop((max / 8 + 1 + SCAN_UNROLL - 1) / SCAN_UNROLL, find_field_end, c, 0);
  __u32 end = c->found;
  if (end == ~0u) {
    /* No terminator within the bound or before the segment ended. */
    *flags |= cut_flag;
    end = start + max;
    if (end > c->len) end = c->len;
  }
  __u32 n = end > start ? end - start : 0;
  if (n > max) {
    n = max;
    *flags |= cut_flag;
  }
  *len = n;
  return c->found;
}

/* Finds the bounded path and Host of a selected request (in a per-CPU scratch copy of the
 * payload's first HS_SCAN_MAX bytes). Copies nothing into the record: its size class
 * depends on these lengths. */
static __always_inline void scan(struct __sk_buff *ctx, const struct hs_segment *seg,
                                 __u32 method_len, struct text_spans *t) {
  t->path_start = method_len;
  t->path_len = t->host_start = t->host_len = 0;
  t->flags = 0;
  __u32 zero = 0;
  struct hs_scratch *s = bpf_map_lookup_elem(&hs_scratch, &zero);
  if (!s) return;
  __u32 len = seg->payload_len;
  if (len > HS_SCAN_MAX) len = HS_SCAN_MAX;
  if (len < 1) return;
  len = bounded(len, HS_SCAN_MAX);
  if (bpf_skb_load_bytes(ctx, seg->payload_off, s->buf, len) < 0) return;

  struct scan_ctx c = {.s = s, .len = len};
  __u32 end =
      field_span(&c, method_len, HS_PATH_MAX, 1, &t->flags, HS_F_PATH_TRUNCATED, &t->path_len);
  if (end == ~0u) return;

  /* " HTTP/1." after the target. */
  if (end + 8 <= len) {
    __u8 *b = s->buf;
    if (b[end & (HS_SCAN_MAX - 1)] == ' ' && b[(end + 1) & (HS_SCAN_MAX - 1)] == 'H' &&
        b[(end + 2) & (HS_SCAN_MAX - 1)] == 'T' && b[(end + 3) & (HS_SCAN_MAX - 1)] == 'T' &&
        b[(end + 4) & (HS_SCAN_MAX - 1)] == 'P' && b[(end + 5) & (HS_SCAN_MAX - 1)] == '/' &&
        b[(end + 6) & (HS_SCAN_MAX - 1)] == '1' && b[(end + 7) & (HS_SCAN_MAX - 1)] == '.')
      t->flags |= HS_F_VERSION_SEEN;
  }

  c.pos = end;
  c.found = ~0u;
  bpf_loop(HS_SCAN_MAX, find_host, &c, 0);
  if (c.found == ~0u) return;
  t->flags |= HS_F_HOST_FOUND;
  __u32 vstart = c.found;
  /* Skip optional whitespace (at most a few bytes). */
  for (int k = 0; k < 8; k++) {
    if (vstart >= len) break;
    __u8 ch = s->buf[vstart & (HS_SCAN_MAX - 1)];
    if (ch != ' ' && ch != '\t') break;
    vstart++;
  }
  t->host_start = vstart;
  field_span(&c, vstart, HS_HOST_MAX, 0, &t->flags, HS_F_HOST_TRUNCATED, &t->host_len);
}

/* Copies the path, then the Host value right after it, into `text`, which holds `pcap` +
 * `hcap` bytes (constants, powers of two; the spans fit them: the caller chose the class).
 * The checks only tell the verifier what the class choice already guarantees. */
static __always_inline void copy_text(struct __sk_buff *ctx, const struct hs_segment *seg,
                                      const struct text_spans *t, char *text, __u32 pcap,
                                      __u32 hcap) {
  __u32 n = t->path_len;
  /* Hide what clang knows of n, or it drops the checks the verifier needs. */
  asm volatile("" : "+r"(n));
  if (n > pcap) return;
  if (n > 0) bpf_skb_load_bytes(ctx, seg->payload_off + t->path_start, text, bounded(n, pcap));
  __u32 h = t->host_len;
  asm volatile("" : "+r"(h));
  if (h == 0 || h > hcap) return;
  bpf_skb_load_bytes(ctx, seg->payload_off + t->host_start, text + n, bounded(h, hcap));
}

/* Writes the request record of class (pcap, hcap) (constants) to the ring buffer. Returns 0
 * when the ring buffer is full. */
static __always_inline int emit_request(struct __sk_buff *ctx, const struct hs_segment *seg,
                                        const struct text_spans *t, int method, __u64 now,
                                        __u32 pcap, __u32 hcap) {
  void *ring = cpu_ring();
  if (!ring) return 0;
  struct hs_request *ev = bpf_ringbuf_reserve(ring, sizeof(*ev) + pcap + hcap, 0);
  if (!ev) return 0;
  ev->kind = HS_KIND_REQUEST;
  ev->method = method;
  ev->flags = t->flags;
  ev->pad = 0;
  ev->path_len = t->path_len;
  ev->host_len = t->host_len;
  ev->ifindex = ctx->ifindex;
  ev->payload_len = seg->payload_len;
  ev->ts_ns = now;
  ev->tuple = seg->tuple;
  copy_text(ctx, seg, t, (char *)(ev + 1), pcap, hcap);
  submit(ev);
  return 1;
}

_Static_assert(sizeof(struct hs_tuple) == 40, "hashed and compared as 5 words");

/* The 64-bit hash of `t` (8-aligned, request direction): hs_tuple_hash (sampler_abi.h).
 * Two tuples with one hash would share a slot, and a response record names its request
 * by (timestamp, hash): such a (2^-64) mix-up needs two requests in the same nanosecond
 * too. */
static __always_inline __u64 tuple_hash(const __u64 *t) { return hs_tuple_hash(t); }

/* Index of the first slot of the pair for hash `h`. */
static __always_inline __u32 slot_pair(__u64 h) {
  return (__u32)(h >> 32) & (HS_PENDING_SLOTS - 2);
}

/* The occupancy count of the bucket that slot `i` (the first of its pair) belongs to. */
static __always_inline __u32 *occupancy(__u32 i) {
  __u32 zero = 0;
  struct hs_occupancy *o = bpf_map_lookup_elem(&hs_occupancy, &zero);
  if (!o) return NULL;
  return &o->n[(i / (HS_PENDING_SLOTS / HS_PENDING_BUCKETS)) & (HS_PENDING_BUCKETS - 1)];
}

/* Records that the request on `t` (seen at `now`) waits for its response: in the slot of
 * its pair that already holds `t` (an earlier request on the connection whose response
 * was not seen: replaced), else a free one, else the one holding the older request. */
static __always_inline void remember(const struct hs_tuple *t, __u64 now) {
  __u64 h = tuple_hash((const __u64 *)t);
  __u32 i = slot_pair(h), j = i + 1;
  struct hs_slot *a = bpf_map_lookup_elem(&hs_pending, &i);
  struct hs_slot *b = bpf_map_lookup_elem(&hs_pending, &j);
  __u32 *occupied = occupancy(i);
  if (!a || !b || !occupied) return;
  __u64 ta = a->ts_ns, tb = b->ts_ns;
  struct hs_slot *dst;
  if (ta && a->tag == h)
    dst = a;
  else if (tb && b->tag == h)
    dst = b;
  else if (!ta)
    dst = a;
  else if (!tb)
    dst = b;
  else
    dst = ta <= tb ? a : b;
  __sync_fetch_and_add(occupied, 1); /* Before the slot is published (see hs_occupancy). */
  dst->tag = h;
  /* Published after the tag. A request it replaces leaves the bucket. */
  if (__sync_lock_test_and_set(&dst->ts_ns, now) != 0) __sync_fetch_and_sub(occupied, 1);
}

/* Takes the pending request on `t` (8-aligned, request direction): its timestamp, or 0
 * when none waits (or another CPU took it first). Stores the tuple's hash in *tag. */
static __always_inline __u64 claim(const struct hs_tuple *t, __u64 *tag) {
  __u64 h = tuple_hash((const __u64 *)t);
  *tag = h;
  __u32 i = slot_pair(h), j = i + 1;
  __u32 *occupied = occupancy(i);
  /* Nothing waits in this bucket: the pair's cache line is not read. */
  if (!occupied || *(volatile __u32 *)occupied == 0) return 0;
  struct hs_slot *a = bpf_map_lookup_elem(&hs_pending, &i);
  struct hs_slot *b = bpf_map_lookup_elem(&hs_pending, &j);
  if (!a || !b) return 0;
  __u64 ta = *(volatile __u64 *)&a->ts_ns;
  if (ta && a->tag == h && __sync_val_compare_and_swap(&a->ts_ns, ta, 0) == ta) {
    __sync_fetch_and_sub(occupied, 1);
    return ta;
  }
  __u64 tb = *(volatile __u64 *)&b->ts_ns;
  if (tb && b->tag == h && __sync_val_compare_and_swap(&b->ts_ns, tb, 0) == tb) {
    __sync_fetch_and_sub(occupied, 1);
    return tb;
  }
  return 0;
}

/* A request with `method` ("NAME " is method_len bytes) starts the segment. */
static __always_inline void on_request(struct __sk_buff *ctx, struct hs_segment *seg, int method,
                                       __u32 method_len) {
  __u32 port = seg->dport;
  struct hs_policy *pol = bpf_map_lookup_elem(&hs_policy, &port);
  if (!pol) return;
  __u32 rate = pol->rate_ppm;
  struct hs_counters *cnt = counters(pol->rule);
  if (!cnt) return;
  cnt->seen++;
  /* The draw, before anything is copied: unsampled requests stop here. */
  if (rate == 0) return;
  if (rate < HS_RATE_ONE && bpf_get_prandom_u32() % HS_RATE_ONE >= rate) return;
  if (fill_tuple(ctx, seg) != 0) return;
  cnt->sampled++;

  struct text_spans t;
  scan(ctx, seg, method_len, &t);
  __u64 now = bpf_ktime_get_ns();
  int ok;
  if (t.path_len <= HS_SMALL_PATH && t.host_len <= HS_SMALL_HOST)
    ok = emit_request(ctx, seg, &t, method, now, HS_SMALL_PATH, HS_SMALL_HOST);
  else if (t.path_len <= HS_MEDIUM_PATH && t.host_len <= HS_MEDIUM_HOST)
    ok = emit_request(ctx, seg, &t, method, now, HS_MEDIUM_PATH, HS_MEDIUM_HOST);
  else
    ok = emit_request(ctx, seg, &t, method, now, HS_PATH_MAX, HS_HOST_MAX);
  if (!ok) {
    cnt->ring_full++;
    return;
  }
  remember(&seg->tuple, now);
}

/* True if the 8-byte `word` that starts a segment is "HTTP/1.x" (a status line). */
static __always_inline int is_status_line(__u64 word) {
  return (word & MASK(7)) == (W('H', 'T', 'T', 'P', '/', '1', '.', 0) & MASK(7));
}

/* A status line starts the segment (is_status_line): if a sampled request waits on this
 * connection, reports the response. */
static __always_inline void on_response(struct __sk_buff *ctx, struct hs_segment *seg) {
  if (seg->payload_len < 12) return;
  __u8 code[4]; /* " NNN" after "HTTP/1.x" */
  if (load(ctx, seg->payload_off + 8, code, sizeof(code)) < 0) return;
  if (code[0] != ' ') return;
  __u8 d0 = code[1] - '0', d1 = code[2] - '0', d2 = code[3] - '0';
  if (d0 < 1 || d0 > 5 || d1 > 9 || d2 > 9) return;

  if (fill_tuple(ctx, seg) != 0) return;
  /* The request travelled the other way. */
  struct hs_tuple key __attribute__((aligned(8)));
  __builtin_memcpy(key.saddr, seg->tuple.daddr, 16);
  __builtin_memcpy(key.daddr, seg->tuple.saddr, 16);
  key.sport = seg->tuple.dport;
  key.dport = seg->tuple.sport;
  key.family = seg->tuple.family;
  key.pad[0] = key.pad[1] = key.pad[2] = 0;
  /* Only the CPU whose claim succeeds reports the response. */
  __u64 tag;
  __u64 req_ts = claim(&key, &tag);
  if (req_ts == 0) return;

  __u32 port = key.dport;
  struct hs_policy *pol = bpf_map_lookup_elem(&hs_policy, &port);
  struct hs_counters *cnt = counters(pol ? pol->rule : 0);
  if (cnt) cnt->responses++;

  void *ring = cpu_ring();
  struct hs_response *ev = ring ? bpf_ringbuf_reserve(ring, sizeof(*ev), 0) : NULL;
  if (!ev) {
    if (cnt) cnt->ring_full++;
    return;
  }
  __u64 now = bpf_ktime_get_ns();
  ev->kind = HS_KIND_RESPONSE;
  ev->pad = 0;
  ev->status = d0 * 100 + d1 * 10 + d2;
  ev->ifindex = ctx->ifindex;
  ev->request_ts_ns = req_ts;
  ev->latency_ns = now > req_ts ? now - req_ts : 0;
  ev->tag = tag;
  submit(ev);
}

SEC("tc")
int hs_ingress(struct __sk_buff *ctx) {
  struct hs_segment seg;
  __u64 word;
  if (parse_segment(ctx, &seg, 0) != 0 || first_word(ctx, &seg, 8, &word) != 0)
    return TC_ACT_UNSPEC;
  __u32 method_len = 0;
  int method = match_method(word, &method_len);
  if (method != HS_METHOD_UNKNOWN) on_request(ctx, &seg, method, method_len);
  return TC_ACT_UNSPEC;
}

SEC("tc")
int hs_egress(struct __sk_buff *ctx) {
  struct hs_segment seg;
  __u64 word;
  if (parse_segment(ctx, &seg, 0) != 0 || first_word(ctx, &seg, 12, &word) != 0)
    return TC_ACT_UNSPEC;
  if (is_status_line(word)) on_response(ctx, &seg);
  return TC_ACT_UNSPEC;
}

SEC("tc")
int hs_loopback(struct __sk_buff *ctx) {
  struct hs_segment seg;
  __u64 word;
  if (parse_segment(ctx, &seg, 1) != 0 || first_word(ctx, &seg, 8, &word) != 0)
    return TC_ACT_UNSPEC;
  /* The status line first: one compare, where a response would fail all nine methods. */
  if (is_status_line(word)) {
    on_response(ctx, &seg);
    return TC_ACT_UNSPEC;
  }
  __u32 method_len = 0;
  int method = match_method(word, &method_len);
  if (method != HS_METHOD_UNKNOWN) on_request(ctx, &seg, method, method_len);
  return TC_ACT_UNSPEC;
}
