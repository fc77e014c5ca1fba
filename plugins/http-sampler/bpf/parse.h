/* Packet parsing shared by the sampler (sampler.bpf.c) and the cost floor of its benchmark
 * (tests/bench/http-sampler/floor.bpf.c): where a TCP segment's payload starts and its
 * first 8 bytes. Included after vmlinux.h, bpf_helpers.h and bpf_endian.h.
 */
#ifndef PADDOCK_HTTP_SAMPLER_PARSE_H_
#define PADDOCK_HTTP_SAMPLER_PARSE_H_

#include "sampler_abi.h"

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

/* ---- parsing ---- */

/* Where the TCP payload of a packet is. The tuple is filled only for segments that need
 * it (fill_tuple: a sampled request, a status line): ACKs, other traffic and unsampled
 * requests never copy the addresses. */
struct hs_segment {
  /* As the packet travels (src -> dst). 8-aligned: hashed as 5 words. */
  struct hs_tuple tuple __attribute__((aligned(8)));
  __u32 payload_off;
  __u32 payload_len;
  __u32 l3;    /* offset of the IP header */
  __u16 sport; /* host order */
  __u16 dport; /* host order */
  __u8 family; /* 4 or 6 */
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

/* Fills `seg` (all but the tuple) for an IPv4/IPv6 TCP packet with payload. `loopback`
 * (a constant): the program runs on a loopback interface, whose link-layer header is
 * always Ethernet's, so the device is not read. Returns 0 on success. */
static __always_inline int parse_segment(struct __sk_buff *ctx, struct hs_segment *seg,
                                         int loopback) {
  __u16 proto = bpf_ntohs((__u16)ctx->protocol);
  if (proto != ETH_P_IP && proto != ETH_P_IPV6) return -1;
  int l3 = loopback ? ETH_HLEN_ : l2_len(ctx);
  if (l3 < 0) return -1;
  __u32 skb_len = ctx->len;
  __u32 l4, l3_end;
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
    seg->family = 4;
  } else {
    struct wire_ipv6 ip6;
    if (load(ctx, l3, &ip6, sizeof(ip6)) < 0) return -1;
    if ((bpf_ntohl(ip6.ver_tc_flow) >> 28) != 6 || ip6.nexthdr != IPPROTO_TCP_) return -1;
    l4 = l3 + sizeof(ip6);
    l3_end = l4 + bpf_ntohs(ip6.payload_len);
    seg->family = 6;
  }
  /* A GSO packet's IP length is not the segment's (0 for big IPv6, or the total): trust the
   * smaller of the two bounds, and the skb when the IP header says nothing. */
  if (l3_end > skb_len || l3_end <= l4) l3_end = skb_len;
  struct wire_tcp tcp;
  if (load(ctx, l4, &tcp, sizeof(tcp)) < 0) return -1;
  __u32 doff = (tcp.doff_res >> 4) * 4;
  if (doff < 20) return -1;
  seg->l3 = l3;
  seg->sport = bpf_ntohs(tcp.source);
  seg->dport = bpf_ntohs(tcp.dest);
  seg->payload_off = l4 + doff;
  if (seg->payload_off >= l3_end) return -1;
  seg->payload_len = l3_end - seg->payload_off;
  return 0;
}

/* Fills seg->tuple from the packet's addresses (parse_segment checked the headers).
 * Returns 0 on success. */
static __always_inline int fill_tuple(struct __sk_buff *ctx, struct hs_segment *seg) {
  __builtin_memset(&seg->tuple, 0, sizeof(seg->tuple));
  if (seg->family == 4) {
    __u8 addrs[8]; /* saddr, daddr: bytes 12-19 of the IPv4 header */
    if (load(ctx, seg->l3 + 12, addrs, sizeof(addrs)) < 0) return -1;
    __builtin_memcpy(seg->tuple.saddr, addrs, 4);
    __builtin_memcpy(seg->tuple.daddr, addrs + 4, 4);
  } else {
    __u8 addrs[32]; /* saddr, daddr: bytes 8-39 of the IPv6 header */
    if (load(ctx, seg->l3 + 8, addrs, sizeof(addrs)) < 0) return -1;
    __builtin_memcpy(seg->tuple.saddr, addrs, 16);
    __builtin_memcpy(seg->tuple.daddr, addrs + 16, 16);
  }
  seg->tuple.sport = seg->sport;
  seg->tuple.dport = seg->dport;
  seg->tuple.family = seg->family;
  return 0;
}

/* The first 8 payload bytes of a segment that has at least `min` of them. 0 on success. */
static __always_inline int first_word(struct __sk_buff *ctx, const struct hs_segment *seg,
                                      __u32 min, __u64 *word) {
  if (seg->payload_len < min) return -1;
  return load(ctx, seg->payload_off, word, sizeof(*word));
}

#endif /* PADDOCK_HTTP_SAMPLER_PARSE_H_ */
