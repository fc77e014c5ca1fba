// SPDX-License-Identifier: GPL-2.0
/* Floors for http-sampler-prog-cost: what any TC program on the sampler's hook costs before
 * the sampler's own logic, timed by BPF_PROG_TEST_RUN in the same run as the sampler.
 *   floor_unspec: returns TC_ACT_UNSPEC and nothing else (the cost of running a program);
 *   floor_parse:  the sampler's own parse (parse.h, as hs_loopback calls it) up to the
 *                 first 8 payload bytes, then TC_ACT_UNSPEC.
 */
#include "vmlinux.h"

#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "parse.h"
#include "sampler_abi.h"

char LICENSE[] SEC("license") = "GPL";

SEC("tc")
int floor_unspec(struct __sk_buff* ctx) { return TC_ACT_UNSPEC; }

SEC("tc")
int floor_parse(struct __sk_buff* ctx) {
  struct hs_segment seg;
  __u64 word;
  if (parse_segment(ctx, &seg, 1) != 0 || first_word(ctx, &seg, 8, &word) != 0)
    return TC_ACT_UNSPEC;
  asm volatile("" : : "r"(word)); /* The word is read, as the sampler reads it. */
  return TC_ACT_UNSPEC;
}
