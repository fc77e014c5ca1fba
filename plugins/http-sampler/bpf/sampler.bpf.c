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
 *   1. link type -> L3 offset; IPv4/IPv6 + TCP only; first fragment only;
 *   2. TCP payload start and length (bounded by the IP length, not the skb);
 *   3. the first 8 payload bytes;
 *      request: seen++ -> policy lookup by destination port -> random draw -> only if
 *      selected: ring-buffer reservation, path + Host copy, 4-tuple into the LRU of
 *      outstanding requests;
 *      response: pending count of the client port (one array load) -> status digits ->
 *      LRU lookup by the reversed tuple -> response record.
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

char LICENSE[] SEC("license") = "GPL";

#define TC_ACT_UNSPEC (-1)
#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD
#define IPPROTO_TCP_ 6
#define ARPHRD_ETHER_ 1
#define ARPHRD_LOOPBACK_ 772
#define ARPHRD_NONE_ 0xFFFE
#define ARPHRD_RAWIP_ 519
#define ETH_HLEN_ 14

/* Wire formats (not kernel structures: no CO-RE, declared after vmlinux.h's pragma). */
struct wire_ipv4 {
  __u8 ver_ihl;
  __u8 tos;
  __be16 tot_len;
  __be16 id;
  __be16 frag_off;
  __u8 ttl;
  __u8 protocol;
  __be16 check;
  __u8 saddr[4];
  __u8 daddr[4];
};

struct wire_ipv6 {
  __be32 ver_tc_flow;
  __be16 payload_len;
  __u8 nexthdr;
  __u8 hop_limit;
  __u8 saddr[16];
  __u8 daddr[16];
};

struct wire_tcp {
  __be16 source;
  __be16 dest;
  __be32 seq;
  __be32 ack_seq;
  __u8 doff_res; /* data offset in the high nibble */
  __u8 flags;
  __be16 window;
  __be16 check;
  __be16 urg_ptr;
};

extern void *bpf_cast_to_kern_ctx(void *obj) __ksym;

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

struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, 16384);
  __type(key, struct hs_tuple);
  __type(value, struct hs_pending);
} hs_pending SEC(".maps");

/* Per client port (the request's source port, the response's destination port): how many
 * hs_pending entries may exist with that port. Egress reads it first (an array load the
 * verifier inlines) and searches the LRU only when it is nonzero, so a response to an
 * unsampled request costs no hash lookup. Never below the true number: an insert of a new
 * tuple increments it first, a successful delete decrements it. Entries the LRU evicts, or
 * whose response is never seen, leave it high until that tuple is sampled and answered
 * again: that costs lookups, never a missed match. */
struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, HS_PORTS);
  __type(key, __u32);
  __type(value, __u32);
} hs_pending_ports SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_RINGBUF);
  __uint(max_entries, HS_RING_BYTES);
} hs_events SEC(".maps");

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

/* ---- parsing ---- */

/* Where the TCP payload of a packet is. */
struct hs_segment {
  struct hs_tuple tuple; /* as the packet travels (src -> dst) */
  __u32 payload_off;
  __u32 payload_len;
};

/* Copies `len` (a constant) bytes at offset `off` of the packet into `to`: straight from
 * the linear data when they are there (the common case for headers), else through
 * bpf_skb_load_bytes (paged data). Returns 0 on success. */
static __always_inline int load(struct __sk_buff *ctx, __u32 off, void *to, __u32 len) {
  void *data = (void *)(long)ctx->data;
  void *end = (void *)(long)ctx->data_end;
  if (off <= 512 && data + off + len <= end) {
    __builtin_memcpy(to, data + off, len);
    return 0;
  }
  return bpf_skb_load_bytes(ctx, off, to, len);
}

/* Link-layer header length of the device the packet is on, or -1 if unsupported. Plain
 * loads through the trusted kernel skb (CO-RE relocated; the verifier turns them into
 * faulting-safe loads): BPF_CORE_READ would be two bpf_probe_read_kernel calls per packet. */
static __always_inline int l2_len(struct __sk_buff *ctx) {
  struct sk_buff *kskb = bpf_cast_to_kern_ctx(ctx);
  struct net_device *dev = kskb->dev;
  if (!dev) return -1;
  unsigned short type = dev->type;
  if (type == ARPHRD_ETHER_ || type == ARPHRD_LOOPBACK_) return ETH_HLEN_;
  if (type == ARPHRD_NONE_ || type == ARPHRD_RAWIP_) return 0;
  return -1;
}

/* Fills `seg` for an IPv4/IPv6 TCP packet with payload. Returns 0 on success. */
static __always_inline int parse_segment(struct __sk_buff *ctx, struct hs_segment *seg) {
  __u16 proto = bpf_ntohs((__u16)ctx->protocol);
  if (proto != ETH_P_IP && proto != ETH_P_IPV6) return -1;
  int l3 = l2_len(ctx);
  if (l3 < 0) return -1;
  __u32 skb_len = ctx->len;
  __u32 l4, l3_end;
  __builtin_memset(&seg->tuple, 0, sizeof(seg->tuple));
  if (proto == ETH_P_IP) {
    struct wire_ipv4 ip;
    if (load(ctx, l3, &ip, sizeof(ip)) < 0) return -1;
    if ((ip.ver_ihl >> 4) != 4 || ip.protocol != IPPROTO_TCP_) return -1;
    /* Later fragments carry no TCP header. */
    if (bpf_ntohs(ip.frag_off) & 0x1FFF) return -1;
    __u32 ihl = (ip.ver_ihl & 0xF) * 4;
    if (ihl < 20) return -1;
    l4 = l3 + ihl;
    l3_end = l3 + bpf_ntohs(ip.tot_len);
    __builtin_memcpy(seg->tuple.saddr, ip.saddr, 4);
    __builtin_memcpy(seg->tuple.daddr, ip.daddr, 4);
    seg->tuple.family = 4;
  } else {
    struct wire_ipv6 ip6;
    if (load(ctx, l3, &ip6, sizeof(ip6)) < 0) return -1;
    if ((bpf_ntohl(ip6.ver_tc_flow) >> 28) != 6 || ip6.nexthdr != IPPROTO_TCP_) return -1;
    l4 = l3 + sizeof(ip6);
    l3_end = l4 + bpf_ntohs(ip6.payload_len);
    __builtin_memcpy(seg->tuple.saddr, ip6.saddr, 16);
    __builtin_memcpy(seg->tuple.daddr, ip6.daddr, 16);
    seg->tuple.family = 6;
  }
  /* A GSO packet's IP length is a placeholder (0 for big IPv6, or the total): trust the
   * smaller of the two bounds, and the skb when the IP header says nothing. */
  if (l3_end > skb_len || l3_end <= l4) l3_end = skb_len;
  struct wire_tcp tcp;
  if (load(ctx, l4, &tcp, sizeof(tcp)) < 0) return -1;
  __u32 doff = (tcp.doff_res >> 4) * 4;
  if (doff < 20) return -1;
  seg->tuple.sport = bpf_ntohs(tcp.source);
  seg->tuple.dport = bpf_ntohs(tcp.dest);
  seg->payload_off = l4 + doff;
  if (seg->payload_off >= l3_end) return -1;
  seg->payload_len = l3_end - seg->payload_off;
  return 0;
}

/* Little-endian 8-byte words of "METHOD " prefixes, and how many bytes to compare. */
#define W(a, b, c, d, e, f, g, h)                                                        \
  ((__u64)(a) | (__u64)(b) << 8 | (__u64)(c) << 16 | (__u64)(d) << 24 | (__u64)(e) << 32 | \
   (__u64)(f) << 40 | (__u64)(g) << 48 | (__u64)(h) << 56)
#define MASK(n) ((n) == 8 ? ~0ULL : ((1ULL << ((n)*8)) - 1))

/* Returns the method whose "NAME " starts `word`, and its length with the space. */
static __always_inline int match_method(__u64 word, __u32 *len) {
#define TRY(m, n, a, b, c, d, e, f, g, h)                    \
  if ((word & MASK(n)) == (W(a, b, c, d, e, f, g, h) & MASK(n))) { \
    *len = n;                                               \
    return m;                                               \
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
};

/* Finds the first '\r' or '\n' (or ' ' when space_ends) at or after pos: the end of the
 * request target or of a header value. */
static long find_field_end(__u32 i, void *arg) {
  struct scan_ctx *c = arg;
  __u32 at = c->pos + i;
  if (at >= c->len) return 1;
  __u8 ch = c->s->buf[at & (HS_SCAN_MAX - 1)];
  if (ch == '\r' || ch == '\n' || (ch == ' ' && c->space_ends)) {
    c->found = at;
    return 1;
  }
  return 0;
}

/* Finds "\nhost:" (any case) at or after pos; `found` is the offset after the ':'. */
static long find_host(__u32 i, void *arg) {
  struct scan_ctx *c = arg;
  __u32 at = c->pos + i;
  if (at + 6 > c->len) return 1;
  __u8 *b = c->s->buf;
  if (b[at & (HS_SCAN_MAX - 1)] != '\n') return 0;
  if ((b[(at + 1) & (HS_SCAN_MAX - 1)] | 0x20) == 'h' &&
      (b[(at + 2) & (HS_SCAN_MAX - 1)] | 0x20) == 'o' &&
      (b[(at + 3) & (HS_SCAN_MAX - 1)] | 0x20) == 's' &&
      (b[(at + 4) & (HS_SCAN_MAX - 1)] | 0x20) == 't' && b[(at + 5) & (HS_SCAN_MAX - 1)] == ':') {
    c->found = at + 6;
    return 1;
  }
  /* The header block ends at an empty line. */
  if (b[(at + 1) & (HS_SCAN_MAX - 1)] == '\r' || b[(at + 1) & (HS_SCAN_MAX - 1)] == '\n') return 1;
  return 0;
}

/* For 1 <= n <= max (max a power of two): returns n in a form the verifier can prove
 * lies in [1, max] (the compiler cannot fold the mask away, unlike a range check). */
static __always_inline __u32 bounded(__u32 n, __u32 max) {
  return ((n - 1) & (max - 1)) + 1;
}

/* Copies the field that starts at payload offset `start` (the request target, or a header
 * value) into `dst`: up to its end (find_field_end) but at most `max` bytes (a power of
 * two, a constant). Stores its length in *dst_len; sets `cut_flag` in ev->flags when the
 * field was longer than `max` or the segment (or the scan bound) ended inside it.
 * Returns the offset of the field's terminator, or ~0 when none was found. */
static __always_inline __u32 extract_field(struct __sk_buff *ctx, const struct hs_segment *seg,
                                           struct scan_ctx *c, __u32 start, __u32 max,
                                           __u32 space_ends, struct hs_request *ev,
                                           __u8 cut_flag, char *dst, __u16 *dst_len) {
  c->pos = start;
  c->found = ~0u;
  c->space_ends = space_ends;
  bpf_loop(max + 1, find_field_end, c, 0);
  __u32 end = c->found;
  if (end == ~0u) {
    /* No terminator within the bound or before the segment ended. */
    ev->flags |= cut_flag;
    end = start + max;
    if (end > c->len) end = c->len;
  }
  __u32 n = end > start ? end - start : 0;
  if (n > max) {
    n = max;
    ev->flags |= cut_flag;
  }
  *dst_len = n;
  if (n == 0) return c->found;
  /* Hide what clang knows of n (1..max), or it drops the mask the verifier needs. */
  asm volatile("" : "+r"(n));
  bpf_skb_load_bytes(ctx, seg->payload_off + start, dst, bounded(n, max));
  return c->found;
}

/* Copies the bounded path and Host of a selected request into `ev`. */
static __always_inline void extract(struct __sk_buff *ctx, const struct hs_segment *seg,
                                    __u32 method_len, struct hs_request *ev) {
  __u32 zero = 0;
  struct hs_scratch *s = bpf_map_lookup_elem(&hs_scratch, &zero);
  if (!s) return;
  __u32 len = seg->payload_len;
  if (len > HS_SCAN_MAX) len = HS_SCAN_MAX;
  if (len < 1) return;
  len = bounded(len, HS_SCAN_MAX);
  if (bpf_skb_load_bytes(ctx, seg->payload_off, s->buf, len) < 0) return;

  struct scan_ctx c = {.s = s, .len = len};
  __u32 end = extract_field(ctx, seg, &c, method_len, HS_PATH_MAX, 1, ev, HS_F_PATH_TRUNCATED,
                            ev->path, &ev->path_len);
  if (end == ~0u) return;

  /* " HTTP/1." after the target. */
  if (end + 8 <= len) {
    __u8 *b = s->buf;
    if (b[end & (HS_SCAN_MAX - 1)] == ' ' && b[(end + 1) & (HS_SCAN_MAX - 1)] == 'H' &&
        b[(end + 2) & (HS_SCAN_MAX - 1)] == 'T' && b[(end + 3) & (HS_SCAN_MAX - 1)] == 'T' &&
        b[(end + 4) & (HS_SCAN_MAX - 1)] == 'P' && b[(end + 5) & (HS_SCAN_MAX - 1)] == '/' &&
        b[(end + 6) & (HS_SCAN_MAX - 1)] == '1' && b[(end + 7) & (HS_SCAN_MAX - 1)] == '.')
      ev->flags |= HS_F_VERSION_SEEN;
  }

  c.pos = end;
  c.found = ~0u;
  bpf_loop(HS_SCAN_MAX, find_host, &c, 0);
  if (c.found == ~0u) return;
  ev->flags |= HS_F_HOST_FOUND;
  __u32 vstart = c.found;
  /* Skip optional whitespace (at most a few bytes). */
  for (int k = 0; k < 8; k++) {
    if (vstart >= len) break;
    __u8 ch = s->buf[vstart & (HS_SCAN_MAX - 1)];
    if (ch != ' ' && ch != '\t') break;
    vstart++;
  }
  extract_field(ctx, seg, &c, vstart, HS_HOST_MAX, 0, ev, HS_F_HOST_TRUNCATED, ev->host,
                &ev->host_len);
}

/* A request with `method` ("NAME " is method_len bytes) starts the segment. */
static __always_inline void on_request(struct __sk_buff *ctx, const struct hs_segment *seg,
                                       int method, __u32 method_len) {
  __u32 port = seg->tuple.dport;
  struct hs_policy *pol = bpf_map_lookup_elem(&hs_policy, &port);
  if (!pol) return;
  __u32 rate = pol->rate_ppm;
  struct hs_counters *cnt = counters(pol->rule);
  if (!cnt) return;
  cnt->seen++;
  /* The draw, before anything is copied: unsampled requests stop here. */
  if (rate == 0) return;
  if (rate < HS_RATE_ONE && bpf_get_prandom_u32() % HS_RATE_ONE >= rate) return;
  cnt->sampled++;

  struct hs_request *ev = bpf_ringbuf_reserve(&hs_events, sizeof(*ev), 0);
  if (!ev) {
    cnt->ring_full++;
    return;
  }
  __u64 now = bpf_ktime_get_ns();
  ev->kind = HS_KIND_REQUEST;
  ev->method = method;
  ev->flags = 0;
  ev->pad = 0;
  ev->path_len = 0;
  ev->host_len = 0;
  ev->ifindex = ctx->ifindex;
  ev->payload_len = seg->payload_len;
  ev->ts_ns = now;
  ev->tuple = seg->tuple;
  extract(ctx, seg, method_len, ev);
  submit(ev);

  /* The tuple may be pending already (its last response was never seen): then its entry
   * is reused in place (an LRU insert would take a new node even to fail on a duplicate),
   * and it stays counted once. */
  struct hs_pending *old = bpf_map_lookup_elem(&hs_pending, &seg->tuple);
  if (old) {
    old->ts_ns = now;
    return;
  }
  __u32 client_port = seg->tuple.sport;
  __u32 *gate = bpf_map_lookup_elem(&hs_pending_ports, &client_port);
  if (!gate) return;
  __sync_fetch_and_add(gate, 1);
  struct hs_pending p = {.ts_ns = now};
  bpf_map_update_elem(&hs_pending, &seg->tuple, &p, BPF_ANY);
}

/* True if the 8-byte `word` that starts a segment is "HTTP/1.x" (a status line). */
static __always_inline int is_status_line(__u64 word) {
  return (word & MASK(7)) == (W('H', 'T', 'T', 'P', '/', '1', '.', 0) & MASK(7));
}

/* A status line starts the segment (is_status_line): if a sampled request waits on this
 * connection, reports the response. */
static __always_inline void on_response(struct __sk_buff *ctx, const struct hs_segment *seg) {
  if (seg->payload_len < 12) return;
  /* No sampled request waits on this client port: the common case, one array load. */
  __u32 client_port = seg->tuple.dport;
  __u32 *gate = bpf_map_lookup_elem(&hs_pending_ports, &client_port);
  if (!gate || *gate == 0) return;
  __u8 code[4]; /* " NNN" after "HTTP/1.x" */
  if (load(ctx, seg->payload_off + 8, code, sizeof(code)) < 0) return;
  if (code[0] != ' ') return;
  __u8 d0 = code[1] - '0', d1 = code[2] - '0', d2 = code[3] - '0';
  if (d0 < 1 || d0 > 5 || d1 > 9 || d2 > 9) return;

  /* The request travelled the other way. */
  struct hs_tuple key;
  __builtin_memcpy(key.saddr, seg->tuple.daddr, 16);
  __builtin_memcpy(key.daddr, seg->tuple.saddr, 16);
  key.sport = seg->tuple.dport;
  key.dport = seg->tuple.sport;
  key.family = seg->tuple.family;
  key.pad[0] = key.pad[1] = key.pad[2] = 0;
  struct hs_pending *p = bpf_map_lookup_elem(&hs_pending, &key);
  if (!p) return;
  __u64 req_ts = p->ts_ns;
  /* Only the CPU whose delete succeeds reports the response (and uncounts the entry). */
  if (bpf_map_delete_elem(&hs_pending, &key) != 0) return;
  if (*gate > 0) __sync_fetch_and_add(gate, -1);

  __u32 port = key.dport;
  struct hs_policy *pol = bpf_map_lookup_elem(&hs_policy, &port);
  struct hs_counters *cnt = counters(pol ? pol->rule : 0);
  if (cnt) cnt->responses++;

  struct hs_response *ev = bpf_ringbuf_reserve(&hs_events, sizeof(*ev), 0);
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
  ev->tuple = key;
  submit(ev);
}

/* The first 8 payload bytes of a segment that has at least `min` of them. 0 on success. */
static __always_inline int first_word(struct __sk_buff *ctx, const struct hs_segment *seg,
                                      __u32 min, __u64 *word) {
  if (seg->payload_len < min) return -1;
  return load(ctx, seg->payload_off, word, sizeof(*word));
}

SEC("tc")
int hs_ingress(struct __sk_buff *ctx) {
  struct hs_segment seg;
  __u64 word;
  if (parse_segment(ctx, &seg) != 0 || first_word(ctx, &seg, 8, &word) != 0) return TC_ACT_UNSPEC;
  __u32 method_len = 0;
  int method = match_method(word, &method_len);
  if (method != HS_METHOD_UNKNOWN) on_request(ctx, &seg, method, method_len);
  return TC_ACT_UNSPEC;
}

SEC("tc")
int hs_egress(struct __sk_buff *ctx) {
  struct hs_segment seg;
  __u64 word;
  if (parse_segment(ctx, &seg) != 0 || first_word(ctx, &seg, 12, &word) != 0) return TC_ACT_UNSPEC;
  if (is_status_line(word)) on_response(ctx, &seg);
  return TC_ACT_UNSPEC;
}

SEC("tc")
int hs_loopback(struct __sk_buff *ctx) {
  struct hs_segment seg;
  __u64 word;
  if (parse_segment(ctx, &seg) != 0 || first_word(ctx, &seg, 8, &word) != 0) return TC_ACT_UNSPEC;
  __u32 method_len = 0;
  int method = match_method(word, &method_len);
  if (method != HS_METHOD_UNKNOWN) {
    on_request(ctx, &seg, method, method_len);
  } else if (is_status_line(word)) {
    on_response(ctx, &seg);
  }
  return TC_ACT_UNSPEC;
}
